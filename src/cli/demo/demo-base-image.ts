import { execFile } from 'node:child_process';
import { copyFile, mkdir, realpath, rm, symlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import { create as createTar } from 'tar';

const run = promisify(execFile);

/** Where the example's images find their base: `<registry>/volteryde/node-base:20`. */
export const DEMO_BASE_REPOSITORY = 'volteryde/node-base';
export const DEMO_BASE_TAG = '20';

/**
 * A root filesystem of this machine's own files: its node at /usr/local/bin/node, /bin/sh, and the
 * libraries `ldd` lists for both. Nothing can be pulled from the internet here, and this is all the
 * example's services need (any normal node base image has more).
 */
export async function baseRootfs(root: string): Promise<void> {
  const node = await realpath(process.execPath);
  const sh = await realpath('/bin/sh');
  const files = new Set<string>();
  for (const binary of [node, sh]) {
    const { stdout } = await run('ldd', [binary]);
    for (const match of stdout.matchAll(/(\/\S+)/g)) if (match[1]) files.add(match[1]);
  }
  for (const file of files) {
    await mkdir(join(root, dirname(file)), { recursive: true });
    await copyFile(file, join(root, file));
  }
  await mkdir(join(root, 'usr/local/bin'), { recursive: true });
  await copyFile(node, join(root, 'usr/local/bin/node'));
  await mkdir(join(root, 'bin'), { recursive: true });
  await copyFile(sh, join(root, 'bin/sh'));
  await symlink('/usr/local/bin/node', join(root, 'bin/node'));
  for (const folder of ['tmp', 'app', 'etc', 'run']) await mkdir(join(root, folder), { recursive: true, mode: 0o1777 });
  // node resolves localhost through /etc/hosts.
  await copyFile('/etc/hosts', join(root, 'etc/hosts')).catch(() => undefined);
}

/** Waits for an engine progress stream to end; an `error` event in it rejects. */
export async function followProgress(docker: Docker, stream: NodeJS.ReadableStream): Promise<unknown[]> {
  const events = await new Promise<unknown[]>((resolve, reject) => docker.modem.followProgress(stream, (error: Error | null, out: unknown[]) => (error ? reject(error) : resolve(out))));
  const failed = events.find((e) => typeof (e as { error?: unknown }).error === 'string') as { error: string } | undefined;
  if (failed) throw new Error(failed.error);
  return events;
}

/**
 * Makes the base image the example names (imported into `docker` from this machine's files) and
 * pushes it to the demo's registry as volteryde/node-base:20; returns its digest reference.
 */
export async function pushDemoBaseImage(docker: Docker, registryHost: string, scratch: string): Promise<string> {
  const root = join(scratch, 'rootfs');
  const repository = `${registryHost}/${DEMO_BASE_REPOSITORY}`;
  try {
    await mkdir(root, { recursive: true });
    await baseRootfs(root);
    const tar = createTar({ cwd: root, portable: true }, ['.']);
    // @types/dockerode types the promise form of importImage and push as void; the engine answers a progress stream.
    const imported = (await docker.importImage(tar as unknown as NodeJS.ReadableStream, { repo: repository, tag: DEMO_BASE_TAG, changes: ['ENV PATH=/usr/local/bin:/usr/bin:/bin', 'WORKDIR /app'] } as never)) as unknown as NodeJS.ReadableStream;
    await followProgress(docker, imported);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  const pushed = (await docker.getImage(`${repository}:${DEMO_BASE_TAG}`).push({ authconfig: {} } as never)) as unknown as NodeJS.ReadableStream;
  const events = await followProgress(docker, pushed);
  const digest = events.map((e) => (e as { aux?: { Digest?: string } }).aux?.Digest).find((d) => d !== undefined);
  if (digest === undefined) throw new Error(`pushing ${repository}:${DEMO_BASE_TAG} reported no digest`);
  return `${repository}@${digest}`;
}
