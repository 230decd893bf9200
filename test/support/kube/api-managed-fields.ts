import { isDeepStrictEqual } from 'node:util';
import type { KubeObject } from './cluster-state.js';
import { fieldsOf, isMap, parseFieldsV1, renderFieldsV1, valueAt, type FieldPath } from './api-field-set.js';

/** One manager's entry of metadata.managedFields, with its fields parsed into paths. */
export interface ManagerFields {
  readonly manager: string;
  readonly operation: 'Apply' | 'Update';
  readonly subresource?: string;
  readonly apiVersion: string;
  fields: Set<FieldPath>;
  /** The entry's time and fields as read: a write that leaves them alone keeps its time, as the real server does. */
  readonly time?: string;
  readonly original?: string;
}

const signature = (fields: Set<FieldPath>): string => JSON.stringify([...fields].sort());

const now = (): string => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

export function readManaged(object: KubeObject | undefined): ManagerFields[] {
  const entries = object?.metadata.managedFields ?? [];
  return entries.filter(isMap).map((entry) => ({
    manager: String(entry.manager ?? ''),
    operation: entry.operation === 'Apply' ? 'Apply' : 'Update',
    ...(typeof entry.subresource === 'string' ? { subresource: entry.subresource } : {}),
    apiVersion: String(entry.apiVersion ?? object?.apiVersion ?? ''),
    fields: parseFieldsV1(entry.fieldsV1),
    ...(typeof entry.time === 'string' ? { time: entry.time } : {}),
    original: signature(parseFieldsV1(entry.fieldsV1)),
  }));
}

/** Writes the entries back as the real server shows them; a manager left with no field is dropped. */
export function writeManaged(object: KubeObject, managers: readonly ManagerFields[]): void {
  object.metadata.managedFields = managers
    .filter((m) => m.fields.size > 0)
    .map((m) => ({
      manager: m.manager,
      operation: m.operation,
      apiVersion: m.apiVersion,
      time: m.time !== undefined && m.original === signature(m.fields) ? m.time : now(),
      fieldsType: 'FieldsV1',
      fieldsV1: renderFieldsV1(m.fields),
      ...(m.subresource ? { subresource: m.subresource } : {}),
    }));
}

export const sameEntry = (m: ManagerFields, manager: string, operation: 'Apply' | 'Update', subresource?: string): boolean =>
  m.manager === manager && m.operation === operation && m.subresource === subresource;

/**
 * Ownership after a non-apply write (create, PUT, PATCH, scale): the fields whose value it changed
 * move to `manager` (operation Update), and fields the object no longer has leave every manager, as
 * the real server's field manager does.
 */
export function recordUpdate(before: KubeObject | undefined, after: KubeObject, manager: string, subresource?: string): void {
  const present = fieldsOf(after);
  const changed = [...present].filter((path) => {
    const old = before === undefined ? undefined : valueAt(before, path);
    return path.endsWith('.') ? old === undefined : !isDeepStrictEqual(old, valueAt(after, path));
  });
  const managers = readManaged(before);
  for (const m of managers) {
    for (const path of [...m.fields]) if (!present.has(path) || changed.includes(path)) m.fields.delete(path);
  }
  let mine = managers.find((m) => sameEntry(m, manager, 'Update', subresource));
  if (!mine) {
    mine = { manager, operation: 'Update', apiVersion: after.apiVersion, fields: new Set(), ...(subresource ? { subresource } : {}) };
    managers.push(mine);
  }
  for (const path of changed) mine.fields.add(path);
  writeManaged(after, managers);
}
