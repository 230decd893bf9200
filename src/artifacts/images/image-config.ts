import type { ImageConfigJson } from './base-image.js';
import { isoSeconds } from './image-labels.js';

export interface ConfigChange {
  readonly diffId: string;
  readonly workdir: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly created: Date;
  /** Replaces the base's Cmd when given (the service's run command). */
  readonly cmd?: readonly string[] | undefined;
  /** Said in the history entry: which bundle went in. */
  readonly createdBy: string;
}

/**
 * The new image's config: the base's, with the layer's diff_id and a history entry appended, and
 * WorkingDir, Labels (base labels kept unless overridden, sorted) and `created` set. Keys come
 * in an order fixed by the parsed base and the code, so the same base and input give the same bytes.
 */
export function imageConfigJson(base: ImageConfigJson, change: ConfigChange): Buffer {
  const created = isoSeconds(change.created);
  const runtime: Record<string, unknown> = { ...(base.config ?? {}) };
  const baseLabels = (runtime['Labels'] ?? {}) as Record<string, string>;
  const labels = { ...baseLabels, ...change.labels };
  runtime['WorkingDir'] = change.workdir;
  runtime['Labels'] = Object.fromEntries(Object.keys(labels).sort().map((k) => [k, labels[k]]));
  if (change.cmd !== undefined) runtime['Cmd'] = [...change.cmd];
  const config = {
    ...base,
    created,
    config: runtime,
    rootfs: { type: 'layers', diff_ids: [...base.rootfs.diff_ids, change.diffId] },
    history: [...(base.history ?? []), { created, created_by: change.createdBy, comment: 'gantry: assembled without a Docker engine' }],
  };
  return Buffer.from(JSON.stringify(config));
}
