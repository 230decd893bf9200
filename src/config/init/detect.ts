import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { DetectedService, Folder, Recognised } from './detected-service.js';
import { goService } from './go-service.js';
import { jvmService } from './jvm-service.js';
import { nodeService } from './node-service.js';
import { pythonService } from './python-service.js';

export type { DetectedService, ServiceKind } from './detected-service.js';

export const DETECT_MAX_DEPTH = 3;
/** Dependencies, VCS data, virtualenvs and build outputs: never services, and often huge. */
const SKIPPED = new Set(['node_modules', '.git', 'dist', 'build', 'target', 'coverage', '.gantry', 'vendor', '__pycache__']);

/** Recognises one folder, by the first build file it holds in this order; a Dockerfile alone makes a CI-less service. */
async function recognise(folder: Folder): Promise<Recognised> {
  if (folder.files.has('package.json')) return nodeService(folder);
  const found = (await jvmService(folder)) ?? (await pythonService(folder)) ?? (await goService(folder));
  if (found !== undefined) return found;
  if (folder.files.has('Dockerfile')) return { path: folder.path, kind: 'docker', gates: [], run: undefined };
  return undefined;
}

/** `My_API` → `my-api`; names must start with a letter and fit the schema's Name pattern. */
export function serviceName(folder: string): string {
  const cleaned = folder.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').replace(/-{2,}/g, '-');
  const named = /^[a-z]/.test(cleaned) ? cleaned : `svc-${cleaned}`.replace(/-$/, '');
  return named.slice(0, 63).replace(/-+$/, '');
}

/**
 * Finds the services of a repository: folders (up to DETECT_MAX_DEPTH below `root`) holding a
 * package.json, pom.xml, build.gradle(.kts), pyproject.toml, go.mod or Dockerfile. A service's own
 * subfolders are not searched; a workspace or multi-module root is searched, its modules are the services.
 */
export async function detectServices(root: string, maxDepth = DETECT_MAX_DEPTH): Promise<DetectedService[]> {
  const found: Omit<DetectedService, 'name'>[] = [];
  const visit = async (dir: string, path: string, depth: number, ancestors: Folder['ancestors']): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    const files = new Set(entries.filter((e) => e.isFile()).map((e) => e.name));
    const folders = entries.filter((e) => e.isDirectory() && !SKIPPED.has(e.name) && !e.name.startsWith('.')).map((e) => e.name).sort();
    const service = await recognise({ dir, path, files, folders: new Set(folders), ancestors });
    if (service !== undefined && service !== 'aggregate' && (depth > 0 || service.run !== undefined)) {
      found.push(service);
      return;
    }
    if (depth >= maxDepth) return;
    const below = [{ path, files, aggregate: service === 'aggregate' }, ...ancestors];
    for (const folder of folders) await visit(join(dir, folder), path === '.' ? folder : `${path}/${folder}`, depth + 1, below);
    // A root that does not start anything may be a monorepo's tooling (a package.json for prettier, a
    // pyproject.toml for ruff): it is a service only when nothing below it is one.
    if (depth === 0 && service !== undefined && service !== 'aggregate' && found.length === 0) found.push(service);
  };
  await visit(root, '.', 0, []);
  const used = new Set<string>();
  return found.map((service) => {
    const base = serviceName(service.path === '.' ? basename(root) : basename(service.path)) || 'app';
    let name = base;
    for (let n = 2; used.has(name); n++) name = `${base.slice(0, 60)}-${n}`;
    used.add(name);
    return { name, ...service };
  });
}
