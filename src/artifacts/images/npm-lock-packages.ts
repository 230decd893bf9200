import { readFile } from 'node:fs/promises';
import { z } from 'zod';

/** One installed npm package as package-lock.json records it. */
export interface LockedPackage {
  readonly name: string;
  readonly version: string;
  /** Hex sha512 (or sha1 for old packages) from the lock's `integrity`, when it has one. */
  readonly sha512?: string | undefined;
}

const Lock = z.looseObject({
  lockfileVersion: z.number().optional(),
  packages: z.record(z.string(), z.looseObject({ version: z.string().optional(), name: z.string().optional(), dev: z.boolean().optional(), link: z.boolean().optional(), integrity: z.string().optional() })).optional(),
});

/**
 * The packages a service ships, from its package-lock.json (lockfile v2 and v3, whose `packages`
 * map names every installed folder): dev-only and linked (workspace) entries are left out, since
 * they are not in the image. A service without a lock file has none to list; a v1 lock file (npm 6)
 * lists nothing either, which the SBOM's absence of npm components makes visible.
 */
export async function readLockedPackages(lockfile: string): Promise<LockedPackage[] | undefined> {
  let text: string;
  try {
    text = await readFile(lockfile, 'utf8');
  } catch (error: unknown) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const parsed = Lock.safeParse(JSON.parse(text));
  if (!parsed.success || parsed.data.packages === undefined) return [];
  const found = new Map<string, LockedPackage>();
  for (const [path, entry] of Object.entries(parsed.data.packages)) {
    if (path === '' || entry.dev === true || entry.link === true || entry.version === undefined) continue;
    // "node_modules/a/node_modules/@s/b": the name is what follows the last node_modules/.
    const name = entry.name ?? path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
    const sha512 = entry.integrity?.startsWith('sha512-') ? Buffer.from(entry.integrity.slice(7), 'base64').toString('hex') : undefined;
    found.set(`${name}@${entry.version}`, { name, version: entry.version, sha512 });
  }
  return [...found.values()].sort((a, b) => (a.name === b.name ? cmp(a.version, b.version) : cmp(a.name, b.name)));
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
