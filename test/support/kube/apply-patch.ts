import { isDeepStrictEqual } from 'node:util';
import type { KubeObject } from './cluster-state.js';
import { ApiError, type StatusCause } from './api-status.js';
import { describePath, fieldsOf, removeAt, valueAt } from './api-field-set.js';
import { readManaged, sameEntry, writeManaged } from './api-managed-fields.js';
import { strategicMerge } from './api-patches.js';

/**
 * Server-side apply (`application/apply-patch+yaml`) over the live object: the manager's apply
 * configuration is merged in (maps by key, containers/ports/env by their merge key); fields this
 * manager applied before and leaves out now are removed unless another manager also owns them; a
 * field another manager owns with a different value is a 409 Conflict naming field and manager,
 * unless `force`, which moves the ownership. A field the configuration leaves out keeps its value
 * and owner: that is how `spec.replicas` set by `kubectl scale` survives Gantry's next apply.
 *
 * Returns the object to store (new when `current` is undefined: apply creates).
 */
export function serverSideApply(current: KubeObject | undefined, applied: KubeObject, manager: string, force: boolean): KubeObject {
  const wanted = fieldsOf(applied);
  const managers = readManaged(current);
  const conflicts: StatusCause[] = [];
  for (const other of managers) {
    if (sameEntry(other, manager, 'Apply')) continue;
    for (const path of wanted) {
      if (!other.fields.has(path) || path.endsWith('.')) continue;
      if (isDeepStrictEqual(valueAt(current, path), valueAt(applied, path))) continue;
      if (force) other.fields.delete(path);
      else conflicts.push({ reason: 'FieldManagerConflict', message: `conflict with "${other.manager}"${other.subresource ? ` with subresource "${other.subresource}"` : ''}`, field: describePath(path) });
    }
  }
  if (conflicts.length > 0) {
    const lines = conflicts.map((c) => `${c.message} using ${applied.apiVersion}: ${c.field ?? ''}`);
    const message = `Apply failed with ${conflicts.length} conflict${conflicts.length > 1 ? 's' : ''}: ${lines.join('\n')}`;
    throw new ApiError('Conflict', message, { name: applied.metadata.name, kind: applied.kind.toLowerCase() + 's', causes: conflicts });
  }

  const mine = managers.find((m) => sameEntry(m, manager, 'Apply'));
  const next = strategicMerge(current ?? {}, stripBookkeeping(applied)) as KubeObject;
  for (const path of mine?.fields ?? []) {
    if (wanted.has(path)) continue;
    if (managers.some((m) => m !== mine && m.fields.has(path))) continue;
    removeAt(next, path);
  }
  if (mine) mine.fields = wanted;
  else managers.push({ manager, operation: 'Apply', apiVersion: applied.apiVersion, fields: wanted });
  writeManaged(next, managers);
  return next;
}

/** What the client may not set through an apply: the server keeps these. */
function stripBookkeeping(applied: KubeObject): KubeObject {
  const { managedFields: _f, resourceVersion: _v, uid: _u, generation: _g, creationTimestamp: _c, ...metadata } = applied.metadata;
  const { status: _s, ...rest } = applied;
  return { ...rest, metadata };
}
