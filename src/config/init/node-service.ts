import type { DetectedGate, Folder, Recognised } from './detected-service.js';
import { nearest, readJson } from './folder-files.js';

/** A package manager as chosen by the lock file: how to install exactly, run a script, run a tool. */
interface PackageManager {
  readonly install: string;
  script(name: string): string;
  readonly exec: string;
}

const NPM_LOCKS = ['package-lock.json', 'npm-shrinkwrap.json'];
const LOCKS = ['pnpm-lock.yaml', 'yarn.lock', 'bun.lock', 'bun.lockb', ...NPM_LOCKS];
const CI_SCRIPTS = ['lint', 'test', 'build'] as const;
const NEST_NOTE = "Nest's starter main.ts listens on process.env.PORT; give it a /healthz route (@nestjs/terminus) or change health.path.";
/** Start scripts that run a development server, not a built app. */
const DEV_SERVER = /^(vite|next dev|nuxt dev|nodemon|ts-node-dev|tsx watch|nest start --watch)\b/;

/** The lock file decides, here or at the workspace root; with none, npm (`npm install`: nothing to be exact about). */
function packageManager(lock: ReturnType<typeof nearest>): PackageManager {
  switch (lock?.name) {
    case 'pnpm-lock.yaml':
      return { install: 'pnpm install --frozen-lockfile', script: (s) => `pnpm run ${s}`, exec: 'pnpm exec' };
    case 'yarn.lock':
      return { install: lock.files.has('.yarnrc.yml') ? 'yarn install --immutable' : 'yarn install --frozen-lockfile', script: (s) => `yarn ${s}`, exec: 'yarn' };
    case 'bun.lock':
    case 'bun.lockb':
      return { install: 'bun install --frozen-lockfile', script: (s) => `bun run ${s}`, exec: 'bunx' };
    default:
      return { install: lock === undefined ? 'npm install' : 'npm ci', script: (s) => (s === 'test' || s === 'start' ? `npm ${s}` : `npm run ${s}`), exec: 'npx' };
  }
}

const record = (value: unknown): Record<string, unknown> => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {});

/**
 * A package.json folder: an install gate and its lint / test / build scripts as gates. It deploys
 * when it says how it starts: NestJS's `start:prod` before `start`, and a Vite app with a build but
 * no server of its own as a static site served by `vite preview`. The artifact is the whole folder
 * after install and build, node_modules included, since the start command needs them.
 */
export async function nodeService(folder: Folder): Promise<Recognised> {
  const pkg = await readJson(folder.dir, 'package.json');
  if (pkg?.workspaces !== undefined || folder.files.has('pnpm-workspace.yaml')) return 'aggregate';
  const scripts = record(pkg?.scripts);
  const deps = { ...record(pkg?.dependencies), ...record(pkg?.devDependencies) };
  const has = (script: string): boolean => typeof scripts[script] === 'string';
  // A lock file above counts only in a workspace root: one of a tooling-only root covers nothing below it.
  const lock = nearest(folder, LOCKS, true);
  const pm = packageManager(lock);
  const gates: DetectedGate[] = [{ name: 'install', run: pm.install }, ...CI_SCRIPTS.filter(has).map((name) => ({ name, run: pm.script(name) }))];
  const base = { path: folder.path, kind: 'node' as const, gates };
  const build = { run: has('build') ? `${pm.install} && ${pm.script('build')}` : pm.install, output: '.' };
  const workspaceNote = lock !== undefined && lock.path !== folder.path ? ['Its lock file is in the workspace root: packages hoisted there are not in the artifact, which is this folder only.'] : [];
  const start = typeof scripts.start === 'string' ? scripts.start : undefined;

  if ('vite' in deps && has('build') && !has('start:prod') && (start === undefined || /^vite\b/.test(start))) {
    return {
      ...base,
      framework: 'Vite static site',
      build,
      run: `${pm.exec} vite preview --host 127.0.0.1 --port $PORT --strictPort`,
      health: '/',
      notes: ['`vite preview` serves the built dist/ folder; Vite calls it a preview, not a production server:', 'for production, serve dist/ with a static file server you trust instead.', ...workspaceNote],
    };
  }
  const framework = '@nestjs/core' in deps ? 'NestJS' : undefined;
  const script = has('start:prod') ? 'start:prod' : start !== undefined && !DEV_SERVER.test(start) ? 'start' : undefined;
  if (script === undefined) return { ...base, ...(framework ? { framework } : {}), run: undefined };
  const notes = [...(framework === 'NestJS' ? [NEST_NOTE] : []), ...workspaceNote];
  return { ...base, ...(framework ? { framework } : {}), build, run: pm.script(script), ...(notes.length > 0 ? { notes } : {}) };
}
