import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { reportUnreadable } from './unreadable.js';

/** A plain XML element tree: just what the report parsers need, fully typed. */
export interface XmlElement {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: readonly XmlElement[];
  /** The element's own text (CDATA included), trimmed. */
  readonly text: string;
}

// preserveOrder gives one uniform node shape ({ tag: children, ':@': attributes }) that we can walk
// without `any`. Values stay strings: the parsers decide what is a number. DOCTYPE declarations
// (JaCoCo, Istanbul's Cobertura) are read but external DTDs are never fetched; the library caps
// entity expansion.
const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  ignoreDeclaration: true,
  ignorePiTags: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
});

type Node = Readonly<Record<string, unknown>>;

const isNode = (value: unknown): value is Node => typeof value === 'object' && value !== null && !Array.isArray(value);

function toElement(node: Node): XmlElement | undefined {
  const name = Object.keys(node).find((key) => key !== ':@' && key !== '#text');
  if (name === undefined) return undefined;
  const rawAttributes = node[':@'];
  const attributes: Record<string, string> = {};
  if (isNode(rawAttributes)) for (const [key, value] of Object.entries(rawAttributes)) attributes[key] = String(value);
  const children: XmlElement[] = [];
  let text = '';
  const content = node[name];
  for (const child of Array.isArray(content) ? content : []) {
    if (!isNode(child)) continue;
    if ('#text' in child) text += String(child['#text']);
    else {
      const element = toElement(child);
      if (element) children.push(element);
    }
  }
  return { name, attributes, children, text: text.trim() };
}

/** Validates and parses an XML report; malformed text is a REPORT_UNREADABLE error with line and column. */
export function parseXml(text: string, report: string, hint: string): XmlElement {
  if (text.trim() === '') throw reportUnreadable(report, 'the file is empty', { hint });
  const verdict = XMLValidator.validate(text);
  if (verdict !== true) {
    const { msg, line, col } = verdict.err;
    throw reportUnreadable(report, `not well-formed XML: ${msg}`, { where: `line ${line}${col === undefined ? '' : `:${col}`}`, hint });
  }
  const nodes: unknown = parser.parse(text);
  const root = Array.isArray(nodes) ? nodes.filter(isNode).map(toElement).find((e) => e !== undefined) : undefined;
  if (!root) throw reportUnreadable(report, 'the document has no root element', { hint });
  return root;
}

export const childrenNamed = (element: XmlElement, name: string): XmlElement[] => element.children.filter((c) => c.name === name);
