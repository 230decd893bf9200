import { execFile, spawn } from 'node:child_process';
import { chmod, chown, lstat, mkdir, realpath, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { followProgress } from '../../src/cli/demo/demo-base-image.js';
import type { TestDockerd } from './dockerd.js';
import { TempDirs } from './temp.js';

const run = promisify(execFile);

/** Stand-ins for node:20-bookworm-slim and node:20-bookworm, which cannot be pulled here. */
export const STANDIN_RUNTIME_IMAGE = 'gantry-test/node:20-bookworm-slim';
export const STANDIN_BUILD_IMAGE = 'gantry-test/node:20-bookworm';

/** What the slim node image has (Debian's essential packages, as in debian:bookworm-slim, node, certificates), and git. */
const RUNTIME_PACKAGES = ['nodejs', 'git', 'ca-certificates', 'mawk'];
/** What the full node image adds that `npm ci` needs to compile better-sqlite3. */
const BUILD_PACKAGES = [...RUNTIME_PACKAGES, 'python3', 'make', 'gcc', 'g++', 'libc6-dev'];

/** Installed Debian packages that `roots` need, by Depends and Pre-Depends (first of each alternative). */
async function installedClosure(roots: readonly string[]): Promise<string[]> {
  const seen = new Set<string>();
  const all = await run('dpkg-query', ['-W', '-f', '${Package} ${Essential}\n']);
  const essential = all.stdout.split('\n').filter((l) => l.endsWith(' yes')).map((l) => l.split(' ')[0] as string);
  const queue = [...essential, ...roots];
  while (queue.length > 0) {
    const name = queue.shift() as string;
    if (seen.has(name)) continue;
    const info = await run('dpkg-query', ['-W', '-f', '${db:Status-Status}\t${Depends}, ${Pre-Depends}', name]).then((r) => r.stdout, () => '');
    const [status, depends = ''] = info.split('\t');
    if (status !== 'installed') continue;
    seen.add(name);
    for (const dep of depends.split(',')) {
      const first = dep.split('|')[0]?.replace(/\(.*?\)/g, '').replace(/:any/, '').trim();
      if (first) queue.push(first);
    }
  }
  return [...seen];
}

/**
 * The files, symlinks and folders of `packages` as tar member names (relative to `/`), each under
 * its parent's real path: this machine has a merged /usr, so `/bin/sh` is stored as `usr/bin/sh`
 * beside the `bin -> usr/bin` link itself.
 */
async function packageMembers(packages: readonly string[]): Promise<string[]> {
  const { stdout } = await run('dpkg', ['-L', ...packages], { maxBuffer: 64 * 1024 * 1024 });
  const members = new Set<string>();
  for (const path of stdout.split('\n').filter((p) => p.startsWith('/') && p !== '/')) {
    const exists = await lstat(path).then(() => true, () => false);
    if (!exists) continue;
    const real = join(await realpath(dirname(path)), basename(path));
    members.add(real.slice(1));
  }
  return [...members].sort();
}

/** Written by writeExtras: the tar takes them from there, not from this machine. */
const EXTRAS = ['etc/passwd', 'etc/group', 'home/node', 'tmp', 'root', 'usr/local/bin'];

/** Files no package owns but a node image has: users (uid 1000 `node`), a home, /tmp, /usr/local/bin. */
async function writeExtras(root: string): Promise<void> {
  await mkdir(join(root, 'etc'), { recursive: true });
  await writeFile(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\nnode:x:1000:1000::/home/node:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n');
  await writeFile(join(root, 'etc/group'), 'root:x:0:\nnode:x:1000:\nnogroup:x:65534:\n');
  await mkdir(join(root, 'home/node'), { recursive: true });
  await chown(join(root, 'home/node'), 1000, 1000);
  await mkdir(join(root, 'tmp'));
  // Not through mkdir's mode, which the umask trims.
  await chmod(join(root, 'tmp'), 0o1777);
  await mkdir(join(root, 'root'), { mode: 0o700 });
  await mkdir(join(root, 'usr/local/bin'), { recursive: true });
}

/** Streams a tar of `members` of this machine (plus `recursive` folders and the extras) into the engine as `name`. */
async function importRootfs(d: TestDockerd, name: string, members: readonly string[], recursive: readonly string[], env: readonly string[]): Promise<void> {
  const temp = new TempDirs();
  try {
    const dir = await temp.make('gantry-standin-', { sweep: false });
    const extras = join(dir, 'extras');
    await writeExtras(extras);
    const list = join(dir, 'members');
    // The engine refuses a tar that holds a path twice: what the extras or a whole folder bring is left out of the list.
    const own = (m: string): boolean => EXTRAS.includes(m) || recursive.some((r) => m === r || m.startsWith(`${r}/`));
    await writeFile(list, members.filter((m) => !own(m)).join('\n') + '\n');
    const tar = spawn('tar', ['-c', '-f', '-', '--numeric-owner', '-C', '/', '--no-recursion', '-T', list, '--recursion', ...recursive, '-C', extras, ...EXTRAS], { stdio: ['ignore', 'pipe', 'pipe'] });
    let errors = '';
    tar.stderr.on('data', (c: Buffer) => (errors += c.toString()));
    const [repo, tag] = name.split(':') as [string, string];
    const changes = ['ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', ...env.map((e) => `ENV ${e}`), 'CMD ["node"]'];
    // @types/dockerode types the promise form of importImage as void; the engine answers a progress stream.
    const stream = (await d.docker.importImage(tar.stdout, { repo, tag, changes } as never)) as unknown as NodeJS.ReadableStream;
    await followProgress(d.docker, stream);
    const code = tar.exitCode ?? (await new Promise<number | null>((resolve) => tar.once('exit', resolve)));
    // 1 is "a file changed as we read it" (a log file of this machine): the image is still whole.
    if (code !== 0 && code !== 1) throw new Error(`tar of the ${name} root filesystem failed (${String(code)}): ${errors.slice(-2000)}`);
  } finally {
    await temp.cleanup();
  }
}

/**
 * Imports both stand-ins into the engine, made of this machine's own Debian bookworm files (it runs
 * the nodesource nodejs 20 package): the runtime one with node and git, the build one with npm, the
 * compiler better-sqlite3 needs, and this machine's npm cache, which `npm ci` prefers; what the cache
 * lacks comes from the npm registry (the build shares the host's network).
 */
export async function importNodeStandins(d: TestDockerd): Promise<{ readonly runtime: string; readonly build: string }> {
  const runtime = await packageMembers(await installedClosure(RUNTIME_PACKAGES));
  const build = await packageMembers(await installedClosure(BUILD_PACKAGES));
  // npm is updated in place on this machine (not in dpkg's list); the certificate bundle is generated;
  // `awk`, `cc` and `c++` are links update-alternatives made (/usr/bin/cc -> /etc/alternatives/cc -> gcc).
  const common = ['usr/lib/node_modules/npm', 'etc/ssl/certs', 'etc/alternatives', 'usr/bin/awk'];
  const compilers = ['usr/bin/cc', 'usr/bin/c++'];
  const cache = join(process.env.HOME ?? '/root', '.npm', '_cacache').slice(1);
  const hasCache = await lstat(`/${cache}`).then(() => true, () => false);
  await importRootfs(d, STANDIN_RUNTIME_IMAGE, runtime, common, []);
  // This machine reaches the npm registry through a proxy whose CA is in the system bundle; node trusts it only when told.
  const trust = process.env.NODE_EXTRA_CA_CERTS ? ['NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt'] : [];
  // nodedir: node-gyp takes the headers the nodejs package installed in /usr/include/node instead of downloading them.
  await importRootfs(d, STANDIN_BUILD_IMAGE, build, [...common, ...compilers, ...(hasCache ? [cache] : [])], ['npm_config_nodedir=/usr', `npm_config_cache=/${dirname(cache)}`, 'npm_config_prefer_offline=true', ...trust]);
  return { runtime: STANDIN_RUNTIME_IMAGE, build: STANDIN_BUILD_IMAGE };
}
