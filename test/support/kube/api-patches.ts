import { ApiError } from './api-status.js';
import { isMap, listKey } from './api-field-set.js';

/** JSON merge patch (RFC 7386): maps merge, `null` removes, anything else (lists too) replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isMap(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = isMap(target) ? structuredClone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

/**
 * Strategic merge patch, the part Gantry and kubectl use: like a merge patch, but the lists of
 * containers, ports, env, volumes and mounts merge item by item on their key (`name`,
 * `containerPort`...) instead of being replaced. Directives ($patch, $retainKeys) are not modelled.
 * Server-side apply merges an apply configuration into the live object the same way.
 */
export function strategicMerge(target: unknown, patch: unknown, field = ''): unknown {
  if (Array.isArray(patch)) {
    const key = listKey(field, patch);
    if (key === undefined || !Array.isArray(target) || !patch.every(isMap)) return structuredClone(patch);
    const out = structuredClone(target) as unknown[];
    for (const item of patch) {
      const at = out.findIndex((old) => isMap(old) && old[key] === item[key]);
      if (at >= 0) out[at] = strategicMerge(out[at], item);
      else out.push(structuredClone(item));
    }
    return out;
  }
  if (!isMap(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = isMap(target) ? structuredClone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = strategicMerge(out[key], value, key);
  }
  return out;
}

interface Operation {
  op: string;
  path: string;
  value?: unknown;
  from?: string;
}

const pointer = (path: string): string[] => {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new ApiError('BadRequest', `json patch: path "${path}" must start with "/"`);
  return path.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
};

function parentOf(doc: unknown, tokens: string[], path: string): { parent: Record<string, unknown> | unknown[]; last: string } {
  let here = doc;
  for (const token of tokens.slice(0, -1)) {
    here = Array.isArray(here) ? here[Number(token)] : isMap(here) ? here[token] : undefined;
    if (here === undefined) throw new ApiError('Invalid', `json patch: path "${path}" does not exist`);
  }
  if (!Array.isArray(here) && !isMap(here)) throw new ApiError('Invalid', `json patch: path "${path}" does not exist`);
  return { parent: here, last: tokens.at(-1) ?? '' };
}

function get(doc: unknown, path: string): unknown {
  const tokens = pointer(path);
  if (tokens.length === 0) return doc;
  const { parent, last } = parentOf(doc, tokens, path);
  const value = Array.isArray(parent) ? parent[Number(last)] : parent[last];
  if (value === undefined) throw new ApiError('Invalid', `json patch: path "${path}" does not exist`);
  return value;
}

function put(doc: unknown, path: string, value: unknown, replace: boolean): void {
  const { parent, last } = parentOf(doc, pointer(path), path);
  if (Array.isArray(parent)) {
    const index = last === '-' ? parent.length : Number(last);
    if (!Number.isInteger(index) || index < 0 || index > parent.length) throw new ApiError('Invalid', `json patch: index in "${path}" is out of range`);
    parent.splice(index, replace ? 1 : 0, structuredClone(value));
  } else {
    if (replace && !(last in parent)) throw new ApiError('Invalid', `json patch: path "${path}" does not exist`);
    parent[last] = structuredClone(value);
  }
}

function remove(doc: unknown, path: string): void {
  get(doc, path);
  const { parent, last } = parentOf(doc, pointer(path), path);
  if (Array.isArray(parent)) parent.splice(Number(last), 1);
  else delete parent[last];
}

/** JSON patch (RFC 6902): add, remove, replace, move, copy, test, applied in order to a copy. */
export function jsonPatch(target: unknown, operations: unknown): unknown {
  if (!Array.isArray(operations)) throw new ApiError('BadRequest', 'json patch: the body must be a list of operations');
  const doc = structuredClone(target);
  for (const raw of operations as Operation[]) {
    if (!isMap(raw) || typeof raw.path !== 'string') throw new ApiError('BadRequest', 'json patch: every operation needs "op" and "path"');
    if (raw.op === 'add') put(doc, raw.path, raw.value, false);
    else if (raw.op === 'replace') put(doc, raw.path, raw.value, true);
    else if (raw.op === 'remove') remove(doc, raw.path);
    else if (raw.op === 'test') {
      if (JSON.stringify(get(doc, raw.path)) !== JSON.stringify(raw.value)) throw new ApiError('Invalid', `json patch: test at "${raw.path}" failed`);
    } else if (raw.op === 'move' || raw.op === 'copy') {
      const value = get(doc, raw.from ?? '');
      if (raw.op === 'move') remove(doc, raw.from ?? '');
      put(doc, raw.path, value, false);
    } else throw new ApiError('BadRequest', `json patch: unknown op "${String(raw.op)}"`);
  }
  return doc;
}
