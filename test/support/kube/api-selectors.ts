import type { KubeObject } from './cluster-state.js';
import { ApiError } from './api-status.js';
import { isMap } from './api-field-set.js';

/** A parsed `labelSelector` or `fieldSelector`: every requirement must hold. */
export type Selector = (object: KubeObject) => boolean;

interface Requirement {
  readonly key: string;
  readonly op: '=' | '!=' | 'exists' | '!exists' | 'in' | 'notin';
  readonly values: readonly string[];
}

function parse(text: string, which: string): Requirement[] {
  const out: Requirement[] = [];
  // Commas inside `in (a,b)` belong to the set, not between requirements.
  for (const raw of text.match(/[^,(]+(\([^)]*\))?/g) ?? []) {
    const part = raw.trim();
    if (part === '') continue;
    const set = /^([^\s!=]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(part);
    const eq = /^([^\s!=]+)\s*(==|=|!=)\s*([^\s,]*)$/.exec(part);
    if (set?.[1] && set[2] && set[3] !== undefined) out.push({ key: set[1], op: set[2] === 'in' ? 'in' : 'notin', values: set[3].split(',').map((v) => v.trim()) });
    else if (eq?.[1] && eq[2]) out.push({ key: eq[1], op: eq[2] === '!=' ? '!=' : '=', values: [eq[3] ?? ''] });
    else if (/^!?[A-Za-z0-9._/-]+$/.test(part)) out.push({ key: part.replace(/^!/, ''), op: part.startsWith('!') ? '!exists' : 'exists', values: [] });
    else throw new ApiError('BadRequest', `unable to parse requirement: ${which} "${part}"`);
  }
  return out;
}

function holds(requirement: Requirement, value: string | undefined): boolean {
  switch (requirement.op) {
    case '=':
      return value === requirement.values[0];
    case '!=':
      return value !== requirement.values[0];
    case 'exists':
      return value !== undefined;
    case '!exists':
      return value === undefined;
    case 'in':
      return value !== undefined && requirement.values.includes(value);
    case 'notin':
      return value === undefined || !requirement.values.includes(value);
  }
}

export function labelSelector(text: string | null): Selector {
  const requirements = parse(text ?? '', 'labelSelector');
  return (object) => requirements.every((r) => holds(r, object.metadata.labels?.[r.key]));
}

/** Field selectors on any scalar field by its dotted path (`metadata.name`, `status.phase`, `spec.nodeName`). */
export function fieldSelector(text: string | null): Selector {
  const requirements = parse(text ?? '', 'fieldSelector');
  for (const r of requirements) {
    if (r.op !== '=' && r.op !== '!=') throw new ApiError('BadRequest', `fieldSelector "${r.key}": only = and != are supported`);
  }
  return (object) =>
    requirements.every((r) => {
      let here: unknown = object;
      for (const part of r.key.split('.')) here = isMap(here) ? here[part] : undefined;
      // An absent field selects as the empty string, as on the real server.
      return holds(r, here === undefined || here === null ? '' : String(here));
    });
}
