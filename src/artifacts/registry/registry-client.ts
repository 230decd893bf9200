import type { Dispatcher } from 'undici';
import { sha256Digest } from '../digest.js';
import type { BlobSource } from './blob-source.js';
import { mountBlob, uploadBlob } from './blob-upload.js';
import { getManifest, headManifest, mismatch, putManifest, type Manifest, type ManifestHead } from './manifests.js';
import { assertDigest, assertRepository } from './names.js';
import { RegistryAuth, type RegistryCredentials } from './registry-auth.js';
import { RegistryError } from './registry-error.js';
import { RegistryHttp } from './registry-http.js';

/** 8 MiB: few round trips for a bundle, small enough to bound memory per chunk. */
export const DEFAULT_CHUNK_SIZE = 8 * 1024 * 1024;

export interface RegistryClientOptions {
  /** `http://127.0.0.1:5000` or `https://registry.example`. */
  readonly url: string;
  readonly credentials?: RegistryCredentials;
  /** Blobs above this many bytes go up in PATCH chunks of this size; smaller ones in one PUT. */
  readonly chunkSize?: number;
  /** An undici dispatcher (TLS options, a proxy, an interceptor). */
  readonly dispatcher?: Dispatcher;
}

/** How a blob got to the registry: it was there already, mounted from another repository, or uploaded. */
export type BlobPush = 'exists' | 'mounted' | 'uploaded';

/** Gantry's client of the OCI Distribution API (blobs, manifests, tags) for one registry. */
export class RegistryClient {
  private readonly http: RegistryHttp;
  private readonly chunkSize: number;

  constructor(readonly options: RegistryClientOptions) {
    const auth = new RegistryAuth(options.credentials, options.dispatcher);
    this.http = new RegistryHttp(new URL(options.url), auth, options.dispatcher);
    this.chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  }

  /** host[:port], the registry's name in messages and image references. */
  get registry(): string {
    return this.http.registry;
  }

  async hasBlob(repository: string, digest: string): Promise<boolean> {
    assertDigest(this.registry, repository, digest);
    const answer = await this.http.send({ method: 'HEAD', path: `/v2/${repository}/blobs/${digest}`, repository, what: `looking up blob ${digest}`, expect: [200, 404] });
    return answer.status === 200;
  }

  /** HEAD first (nothing is sent for a blob the repository has), then a mount when `mountFrom` is given, else an upload. */
  async pushBlob(repository: string, source: BlobSource, options: { mountFrom?: string } = {}): Promise<BlobPush> {
    if (await this.hasBlob(repository, source.digest)) return 'exists';
    let session: URL | undefined;
    if (options.mountFrom !== undefined) {
      assertRepository(this.registry, options.mountFrom);
      const mounted = await mountBlob(this.http, repository, source.digest, options.mountFrom);
      if (mounted === true) return 'mounted';
      session = mounted;
    }
    await uploadBlob(this.http, repository, source, this.chunkSize, session);
    return 'uploaded';
  }

  /** Mounts a blob from another repository of this registry; false when the registry would not (nothing uploaded then). */
  async mountBlob(repository: string, digest: string, from: string): Promise<boolean> {
    assertRepository(this.registry, from);
    return (await mountBlob(this.http, repository, digest, from)) === true;
  }

  /** The whole blob, checked against its sha256 before it is returned. */
  async pullBlob(repository: string, digest: string): Promise<Buffer> {
    assertDigest(this.registry, repository, digest);
    const what = `pulling blob ${digest}`;
    let answer = await this.http.send({ method: 'GET', path: `/v2/${repository}/blobs/${digest}`, repository, what, expect: [200, 307] });
    // Registries backed by object storage redirect to it; the redirect carries its own signature.
    const redirect = answer.header('location');
    if (answer.status === 307 && redirect !== undefined) answer = await this.http.send({ method: 'GET', path: redirect, repository, what, expect: [200] });
    const actual = sha256Digest(answer.body);
    if (actual !== digest) throw mismatch(this.registry, repository, what, digest, actual);
    return answer.body;
  }

  putManifest(repository: string, reference: string, bytes: Buffer): Promise<string> {
    return putManifest(this.http, repository, reference, bytes);
  }

  getManifest(repository: string, reference: string): Promise<Manifest> {
    return getManifest(this.http, repository, reference);
  }

  headManifest(repository: string, reference: string): Promise<ManifestHead | undefined> {
    return headManifest(this.http, repository, reference);
  }

  /**
   * Points a tag at a manifest. A registry lets any tag move, so for an immutable tag Gantry looks
   * first and refuses (REGISTRY_TAG_IMMUTABLE) when it names another digest; the same digest again
   * is fine. Returns the manifest's digest.
   */
  async pushTag(repository: string, tag: string, manifest: Buffer, options: { immutable?: boolean } = {}): Promise<string> {
    const digest = sha256Digest(manifest);
    if (options.immutable) {
      const current = await this.headManifest(repository, tag);
      if (current !== undefined && current.digest !== digest) {
        throw new RegistryError('REGISTRY_TAG_IMMUTABLE', `tag ${repository}:${tag} on ${this.registry} is immutable and points at ${current.digest}; it would move to ${digest}`, {
          hint: 'Deploy the manifest the tag already names, or push under a new tag.',
          where: `${this.registry}/${repository}:${tag}`,
          details: { registry: this.registry, repository, tag, current: current.digest, refused: digest },
        });
      }
    }
    return this.putManifest(repository, tag, manifest);
  }
}
