import { createHash } from 'node:crypto';
import { resolve } from 'node:path';

/**
 * Stable per data folder: the next worker on it finds the cgroups and markers of what this one
 * left, and the docker runtime labels its containers with it (gantry.agent).
 */
export const scopeOf = (dataDir: string): string => createHash('sha256').update(resolve(dataDir)).digest('hex').slice(0, 12);
