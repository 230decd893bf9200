import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';

/** What `gantry init` found in one folder of the repository. */
export interface DetectedService {
  /** A valid service name derived from the folder name. */
  readonly name: string;
  /** Folder relative to the repository root, with forward slashes; `.` for the root itself. */
  readonly path: string;
  readonly kind: 'node' | 'maven' | 'gradle' | 'docker';
  readonly gates: readonly { readonly name: string; readonly run: string }[];
  /** Start command, when the folder says how it starts (`npm start`). */
  readonly run: string | undefined;
}

export const DETECT_MAX_DEPTH = 3;
/** Dependencies, VCS data and build outputs: never services, and often huge. */
const SKIPPED = new Set(['node_modules', '.git', 'dist', 'build', 'target', 'coverage', '.gantry']);
const NODE_GATES = ['lint', 'test', 'build'] as const;

async function readJson(file: string): Promise<Record<string, unknown> | undefined> {
  try {
    const value: unknown = JSON.parse(await readFile(file, 'utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function nodeRunner(files: ReadonlySet<string>): (script: string) => string {
  if (files.has('pnpm-lock.yaml')) return (script) => `pnpm run ${script}`;
  if (files.has('yarn.lock')) return (script) => `yarn ${script}`;
  return (script) => (script === 'test' || script === 'start' ? `npm ${script}` : `npm run ${script}`);
}

type Found = Omit<DetectedService, 'name'> | 'aggregate' | undefined;

/** Recognises one folder. A workspace or multi-module root is an aggregate: its modules are the services. */
async function recognise(dir: string, path: string, files: ReadonlySet<string>): Promise<Found> {
  if (files.has('package.json')) {
    const pkg = await readJson(join(dir, 'package.json'));
    if (pkg?.workspaces !== undefined) return 'aggregate';
    const scripts = typeof pkg?.scripts === 'object' && pkg.scripts !== null ? (pkg.scripts as Record<string, unknown>) : {};
    const run = nodeRunner(files);
    const gates = NODE_GATES.filter((name) => typeof scripts[name] === 'string').map((name) => ({ name, run: run(name) }));
    return { path, kind: 'node', gates, run: typeof scripts.start === 'string' ? run('start') : undefined };
  }
  if (files.has('pom.xml')) {
    const pom = await readFile(join(dir, 'pom.xml'), 'utf8').catch(() => '');
    if (pom.includes('<modules>')) return 'aggregate';
    return { path, kind: 'maven', gates: [{ name: 'verify', run: 'mvn -B verify' }], run: undefined };
  }
  if (files.has('settings.gradle') || files.has('settings.gradle.kts')) return 'aggregate';
  if (files.has('build.gradle') || files.has('build.gradle.kts')) return { path, kind: 'gradle', gates: [{ name: 'check', run: './gradlew check' }], run: undefined };
  if (files.has('Dockerfile')) return { path, kind: 'docker', gates: [], run: undefined };
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
 * package.json, pom.xml, build.gradle(.kts) or Dockerfile. A service's own subfolders are not searched.
 */
export async function detectServices(root: string, maxDepth = DETECT_MAX_DEPTH): Promise<DetectedService[]> {
  const found: Omit<DetectedService, 'name'>[] = [];
  const visit = async (dir: string, path: string, depth: number): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    const files = new Set(entries.filter((e) => e.isFile()).map((e) => e.name));
    const service = await recognise(dir, path, files);
    if (service !== undefined && service !== 'aggregate') {
      found.push(service);
      return;
    }
    if (depth >= maxDepth) return;
    const folders = entries.filter((e) => e.isDirectory() && !SKIPPED.has(e.name) && !e.name.startsWith('.')).map((e) => e.name).sort();
    for (const folder of folders) await visit(join(dir, folder), path === '.' ? folder : `${path}/${folder}`, depth + 1);
  };
  await visit(root, '.', 0);
  const used = new Set<string>();
  return found.map((service) => {
    const base = serviceName(service.path === '.' ? basename(root) : basename(service.path)) || 'app';
    let name = base;
    for (let n = 2; used.has(name); n++) name = `${base.slice(0, 60)}-${n}`;
    used.add(name);
    return { name, ...service };
  });
}
