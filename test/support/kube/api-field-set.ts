import { isDeepStrictEqual } from 'node:util';

/**
 * Field paths as server-side apply tracks them (structured-merge-diff's fieldpath): `f:name` for a
 * map key, `k:{"name":"app"}` for an item of a list merged by key, `.` for the item itself. Lists
 * without a merge key are atomic: one field. A path is stored as its segments joined by NUL so a
 * Set can hold them; managedFields render them as the nested `fieldsV1` object of the real server.
 */
export type FieldPath = string;
const SEP = '\u0000';

/** The merge key of a list field, as the OpenAPI `x-kubernetes-list-map-keys` of the types Gantry writes. */
export function listKey(field: string, items: readonly unknown[]): string | undefined {
  if (['containers', 'initContainers', 'ephemeralContainers', 'env', 'volumes', 'imagePullSecrets'].includes(field)) return 'name';
  if (field === 'volumeMounts') return 'mountPath';
  if (field === 'ports') return items.every((item) => isMap(item) && 'containerPort' in item) ? 'containerPort' : 'port';
  return undefined;
}

export const isMap = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Top-level and metadata fields no manager owns (identity and server-kept bookkeeping). */
const UNTRACKED_TOP = new Set(['apiVersion', 'kind', 'status']);
const UNTRACKED_META = new Set(['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'managedFields', 'selfLink']);

const keySegment = (key: string, item: Record<string, unknown>): string => `k:${JSON.stringify({ [key]: item[key] })}`;

/** Every field path an object (or an apply configuration) sets. */
export function fieldsOf(object: Record<string, unknown>): Set<FieldPath> {
  const out = new Set<FieldPath>();
  const walk = (value: Record<string, unknown>, path: string[]): void => {
    for (const [name, child] of Object.entries(value)) {
      if (child === null || child === undefined) continue;
      if (path.length === 0 && UNTRACKED_TOP.has(name)) continue;
      if (path.length === 1 && path[0] === 'f:metadata' && UNTRACKED_META.has(name)) continue;
      const here = [...path, `f:${name}`];
      const key = Array.isArray(child) ? listKey(name, child) : undefined;
      if (Array.isArray(child) && key !== undefined && child.every(isMap)) {
        for (const item of child) {
          const itemPath = [...here, keySegment(key, item)];
          out.add([...itemPath, '.'].join(SEP));
          walk(item, itemPath);
        }
      } else if (isMap(child) && Object.keys(child).length > 0) {
        walk(child, here);
      } else {
        out.add(here.join(SEP));
      }
    }
  };
  walk(object, []);
  return out;
}

/** The value a path points at in `object` (undefined when absent); `.` is the list item itself. */
export function valueAt(object: unknown, path: FieldPath): unknown {
  let here: unknown = object;
  for (const segment of path.split(SEP)) {
    if (segment === '.') return here;
    if (segment.startsWith('f:')) here = isMap(here) ? here[segment.slice(2)] : undefined;
    else if (segment.startsWith('k:')) here = findItem(here, segment);
    if (here === undefined) return undefined;
  }
  return here;
}

function findItem(list: unknown, segment: string): Record<string, unknown> | undefined {
  if (!Array.isArray(list)) return undefined;
  const key = JSON.parse(segment.slice(2)) as Record<string, unknown>;
  return list.find((item): item is Record<string, unknown> => isMap(item) && Object.entries(key).every(([k, v]) => isDeepStrictEqual(item[k], v)));
}

/**
 * Removes the field a path names from `object` (in place); a `.` path removes the whole list item.
 * Maps left empty by it go too (the last label removed takes `labels` with it, as on the real server).
 */
export function removeAt(object: Record<string, unknown>, path: FieldPath): void {
  removeOne(object, path);
  const segments = path.split(SEP).filter((s) => s !== '.');
  for (let end = segments.length - 1; end > 0; end -= 1) {
    const parentPath = segments.slice(0, end);
    if (!parentPath.at(-1)?.startsWith('f:')) break;
    const value = valueAt(object, parentPath.join(SEP));
    if (!isMap(value) || Object.keys(value).length > 0) break;
    removeOne(object, parentPath.join(SEP));
  }
}

function removeOne(object: Record<string, unknown>, path: FieldPath): void {
  const segments = path.split(SEP);
  const last = segments.at(-1) === '.' ? segments.length - 2 : segments.length - 1;
  let parent: unknown = object;
  for (const segment of segments.slice(0, last)) {
    parent = segment.startsWith('f:') ? (isMap(parent) ? parent[segment.slice(2)] : undefined) : findItem(parent, segment);
    if (parent === undefined) return;
  }
  const target = segments[last] ?? '';
  if (target.startsWith('f:') && isMap(parent)) delete parent[target.slice(2)];
  else if (target.startsWith('k:') && Array.isArray(parent)) {
    const item = findItem(parent, target);
    if (item) parent.splice(parent.indexOf(item), 1);
  }
}

/** The real server's `fieldsV1`: the paths as a nested object of segments with `{}` leaves. */
export function renderFieldsV1(paths: Iterable<FieldPath>): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const path of [...paths].sort()) {
    let node = root;
    for (const segment of path.split(SEP)) {
      node[segment] ??= {};
      node = node[segment] as Record<string, unknown>;
    }
  }
  return root;
}

export function parseFieldsV1(fields: unknown): Set<FieldPath> {
  const out = new Set<FieldPath>();
  const walk = (node: unknown, path: string[]): void => {
    const entries = isMap(node) ? Object.entries(node) : [];
    if (entries.length === 0 && path.length > 0) out.add(path.join(SEP));
    for (const [segment, child] of entries) walk(child, [...path, segment]);
  };
  walk(fields, []);
  return out;
}

/** `.spec.replicas`, `.spec.template.spec.containers[name="app"].image`: how the real server names a field in a conflict. */
export function describePath(path: FieldPath): string {
  return path
    .split(SEP)
    .filter((s) => s !== '.')
    .map((s) => (s.startsWith('f:') ? `.${s.slice(2)}` : `[${Object.entries(JSON.parse(s.slice(2)) as Record<string, unknown>).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}]`))
    .join('');
}
