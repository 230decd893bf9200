import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { create as createTar } from 'tar';
import { baseImage, type TestDockerd } from './dockerd.js';

export interface PushedImage {
  /** `host/repo@sha256:…`, what a revision's artifact.ref names. */
  readonly ref: string;
  readonly digest: string;
  readonly repository: string;
}

async function follow(docker: Docker, stream: NodeJS.ReadableStream): Promise<unknown[]> {
  const events = await new Promise<unknown[]>((resolve, reject) => docker.modem.followProgress(stream, (error: Error | null, out: unknown[]) => (error ? reject(error) : resolve(out))));
  const failed = events.find((e) => typeof (e as { error?: unknown }).error === 'string') as { error: string } | undefined;
  if (failed) throw new Error(failed.error);
  return events;
}

/**
 * Builds a service image through the engine (`FROM` the local base image, the files under /app),
 * pushes it to a real registry (`host:port`, basic auth when given), and removes it from the
 * engine again: a revision started from `ref` then really pulls it (the base layers stay).
 */
export async function pushServiceImage(
  d: TestDockerd,
  registryHost: string,
  name: string,
  files: Readonly<Record<string, string>>,
  auth?: { readonly username: string; readonly password: string },
): Promise<PushedImage> {
  const base = await baseImage(d);
  const context = await mkdtemp(join(tmpdir(), 'gantry-image-'));
  try {
    const names = Object.keys(files);
    await writeFile(join(context, 'Dockerfile'), `FROM ${base}\n${names.map((f) => `COPY ${f} /app/`).join('\n')}\nWORKDIR /app\n`);
    for (const [file, text] of Object.entries(files)) await writeFile(join(context, file), text);
    const repository = `${registryHost}/${name}`;
    const tagRef = `${repository}:1`;
    const build = await d.docker.buildImage(createTar({ cwd: context, portable: true }, ['Dockerfile', ...names]) as unknown as NodeJS.ReadableStream, { t: tagRef });
    await follow(d.docker, build);
    const push = (await d.docker.getImage(tagRef).push({ authconfig: auth ? { ...auth, serveraddress: registryHost } : {} } as never)) as unknown as NodeJS.ReadableStream;
    const digest = (await follow(d.docker, push)).map((e) => (e as { aux?: { Digest?: string } }).aux?.Digest).find((x) => x !== undefined);
    if (digest === undefined) throw new Error(`the push of ${tagRef} reported no digest`);
    const { Id } = await d.docker.getImage(tagRef).inspect();
    await d.docker.getImage(Id).remove({ force: true });
    return { ref: `${repository}@${digest}`, digest, repository };
  } finally {
    await rm(context, { recursive: true, force: true });
  }
}
