import { mkdir, rename, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseImageRef } from '../../../../src/artifacts/images/image-ref.js';
import { RegistryClient } from '../../../../src/artifacts/registry/index.js';
import { extractSafely } from '../../../../src/artifacts/safe-extract.js';
import type { ClusterState } from '../cluster-state.js';

/** What a container starts from: the extracted rootfs and the image config's runtime part. */
export interface PulledImage {
  readonly digest: string;
  readonly rootfs: string;
  readonly env: readonly string[];
  readonly entrypoint: readonly string[];
  readonly cmd: readonly string[];
  readonly workingDir: string | undefined;
}

interface RuntimeConfig {
  config?: { Env?: string[]; Entrypoint?: string[] | null; Cmd?: string[] | null; WorkingDir?: string } | null;
}
interface ManifestJson {
  mediaType?: string;
  config?: { digest: string };
  layers?: Array<{ digest: string }>;
  manifests?: Array<{ digest: string; platform?: { os?: string; architecture?: string } }>;
}

/** Credentials for `registry` from the pod's kubernetes.io/dockerconfigjson pull secrets, as the kubelet's keyring reads them. */
export function pullCredentials(state: ClusterState, namespace: string, secretNames: readonly string[], registry: string): { username: string; password: string } | undefined {
  for (const name of secretNames) {
    const secret = state.get('secrets', namespace, name);
    const data = (secret?.['data'] ?? {}) as Record<string, string>;
    const raw = data['.dockerconfigjson'];
    if (secret?.['type'] !== 'kubernetes.io/dockerconfigjson' || raw === undefined) continue;
    try {
      const parsed = JSON.parse(Buffer.from(raw, 'base64').toString('utf8')) as { auths?: Record<string, { username?: string; password?: string; auth?: string }> };
      for (const [host, entry] of Object.entries(parsed.auths ?? {})) {
        if (host.replace(/^https?:\/\//, '').replace(/\/.*$/, '') !== registry) continue;
        if (entry.username !== undefined && entry.password !== undefined) return { username: entry.username, password: entry.password };
        if (entry.auth !== undefined) {
          const [username = '', ...rest] = Buffer.from(entry.auth, 'base64').toString('utf8').split(':');
          return { username, password: rest.join(':') };
        }
      }
    } catch {
      // A secret that is not JSON gives no credentials, as the kubelet skips it.
    }
  }
  return undefined;
}

/**
 * Pulls images with Gantry's registry client (digests verified on every manifest and blob) and
 * extracts each once into `<workDir>/images/<digest>/rootfs`, shared by the pods that run it.
 * Loopback registries are spoken to over http, others over https.
 */
export class ImageStore {
  private readonly pulled = new Map<string, PulledImage>();
  private readonly pulling = new Map<string, Promise<PulledImage>>();

  constructor(private readonly workDir: string) {}

  /** The image when a pull of this exact reference finished before (IfNotPresent skips the registry then). */
  present(ref: string): PulledImage | undefined {
    return this.pulled.get(ref);
  }

  pull(ref: string, credentials: { username: string; password: string } | undefined): Promise<PulledImage> {
    const key = `${ref}|${credentials?.username ?? ''}|${credentials?.password ?? ''}`;
    const running = this.pulling.get(key);
    if (running) return running;
    const job = this.fetch(ref, credentials).finally(() => this.pulling.delete(key));
    this.pulling.set(key, job);
    return job;
  }

  private async fetch(ref: string, credentials: { username: string; password: string } | undefined): Promise<PulledImage> {
    const { registry, repository, reference } = parseImageRef(ref, 'container image');
    const loopback = /^(127\.|localhost|\[::1\])/.test(registry);
    const client = new RegistryClient({ url: `${loopback ? 'http' : 'https'}://${registry}`, ...(credentials ? { credentials } : {}) });
    let top = await client.getManifest(repository, reference);
    let manifest = JSON.parse(top.bytes.toString('utf8')) as ManifestJson;
    if (manifest.manifests) {
      const entry = manifest.manifests.find((m) => m.platform?.os === 'linux' && m.platform.architecture === 'amd64');
      if (!entry) throw new Error(`no matching manifest for linux/amd64 in the manifest list entries`);
      top = await client.getManifest(repository, entry.digest);
      manifest = JSON.parse(top.bytes.toString('utf8')) as ManifestJson;
    }
    if (!manifest.config) throw new Error(`${ref} is not an image manifest`);
    const config = JSON.parse((await client.pullBlob(repository, manifest.config.digest)).toString('utf8')) as RuntimeConfig;
    const folder = join(this.workDir, 'images', top.digest.replace(':', '-'));
    const rootfs = join(folder, 'rootfs');
    if (!existsSync(rootfs)) {
      const partial = join(folder, `rootfs.partial-${process.pid}-${Date.now()}`);
      await mkdir(partial, { recursive: true });
      try {
        for (const layer of manifest.layers ?? []) await extractSafely(await client.pullBlob(repository, layer.digest), partial);
        if (existsSync(rootfs)) await rm(partial, { recursive: true, force: true });
        else await rename(partial, rootfs);
      } catch (error: unknown) {
        await rm(partial, { recursive: true, force: true });
        throw error;
      }
    }
    const runtime = config.config ?? {};
    const image: PulledImage = { digest: top.digest, rootfs, env: runtime.Env ?? [], entrypoint: runtime.Entrypoint ?? [], cmd: runtime.Cmd ?? [], workingDir: runtime.WorkingDir || undefined };
    this.pulled.set(ref, image);
    return image;
  }
}
