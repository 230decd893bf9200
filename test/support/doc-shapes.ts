import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

const DOCS = fileURLToPath(new URL('../../docs/cli.md', import.meta.url));

/** The key structure of a JSON value: what docs/cli.md promises, without the values. */
export function shape(value: unknown): unknown {
  // Arrays of objects keep the shape of their first element; lists of plain values are just lists.
  if (Array.isArray(value)) return value.length > 0 && typeof value[0] === 'object' && value[0] !== null ? [shape(value[0])] : 'list';
  if (value && typeof value === 'object') return Object.fromEntries(Object.keys(value).sort().map((k) => [k, shape((value as Record<string, unknown>)[k])]));
  return value === null ? 'null-or-value' : 'value';
}

/** Documented example outputs in docs/cli.md, each in a ```json block after `<!-- shape: NAME -->`. */
export async function documentedShape(name: string): Promise<unknown> {
  const docs = await readFile(DOCS, 'utf8');
  const match = new RegExp(`<!-- shape: ${name} -->\\s*\`\`\`json\\n([\\s\\S]*?)\`\`\``).exec(docs);
  if (!match?.[1]) throw new Error(`docs/cli.md documents no shape "${name}"`);
  return shape(JSON.parse(match[1]));
}

/** Asserts a CLI's JSON output has exactly the keys docs/cli.md shows for `name`. */
export async function expectDocumentedShape(actual: unknown, name: string): Promise<void> {
  // Null and non-null values are interchangeable in examples; compare keys only.
  const strip = (v: unknown): unknown => (Array.isArray(v) ? v.map(strip) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, strip(x)])) : 'value');
  expect(strip(shape(actual)), `docs/cli.md <!-- shape: ${name} -->`).toEqual(strip(await documentedShape(name)));
}
