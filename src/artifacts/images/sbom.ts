import * as CDX from '@cyclonedx/cyclonedx-library';
import { createHash } from 'node:crypto';
import { sha256Digest } from '../digest.js';
import type { LockedPackage } from './npm-lock-packages.js';

export interface SbomInput {
  readonly service: string;
  readonly version: string;
  /** The commit sha. */
  readonly revision: string;
  /** The commit's time: the SBOM's timestamp, so a rebuild gives the same document. */
  readonly created: Date;
  /** The base image, by digest; undefined for a Dockerfile whose base the engine could not name. */
  readonly base?: { readonly ref: string; readonly digest: string } | undefined;
  /** The service's npm packages (undefined: the service has no package-lock.json). */
  readonly packages?: readonly LockedPackage[] | undefined;
}

export const SBOM_MEDIA_TYPE = 'application/vnd.cyclonedx+json';

/**
 * A CycloneDX 1.5 JSON SBOM of an image: the service as `metadata.component`, the base image as a
 * container component with its digest, and the npm packages from the lock file. Bom-refs are the
 * purls and the serial number is derived from the content, so the same input gives the same bytes.
 */
export function buildSbom(input: SbomInput): { json: string; digest: string } {
  const bom = new CDX.Models.Bom();
  bom.metadata.timestamp = new Date(Math.floor(input.created.getTime() / 1000) * 1000);
  bom.metadata.component = new CDX.Models.Component(CDX.Enums.ComponentType.Application, input.service, {
    bomRef: `service:${input.service}`,
    version: input.version,
    properties: new CDX.Models.PropertyRepository([new CDX.Models.Property('org.opencontainers.image.revision', input.revision)]),
  });
  if (input.base) bom.components.add(baseComponent(input.base));
  for (const pkg of input.packages ?? []) bom.components.add(npmComponent(pkg));
  bom.serialNumber = contentUuid(input);
  const serializer = new CDX.Serialize.JsonSerializer(new CDX.Serialize.JSON.Normalize.Factory(CDX.Spec.Spec1dot5));
  const json = serializer.serialize(bom, { sortLists: true, space: 2 });
  return { json, digest: sha256Digest(json) };
}

function baseComponent(base: { ref: string; digest: string }): CDX.Models.Component {
  const at = base.ref.search(/[@:][^/]*$/);
  const name = at > 0 ? base.ref.slice(0, at) : base.ref;
  const last = name.slice(name.lastIndexOf('/') + 1);
  const purl = `pkg:oci/${last}@${encodeURIComponent(base.digest)}?repository_url=${encodeURIComponent(name)}`;
  const component = new CDX.Models.Component(CDX.Enums.ComponentType.Container, name, { bomRef: purl, version: base.digest, purl, description: `base image ${base.ref}` });
  component.hashes.set(CDX.Enums.HashAlgorithm['SHA-256'], base.digest.replace(/^sha256:/, ''));
  return component;
}

function npmComponent(pkg: LockedPackage): CDX.Models.Component {
  const slash = pkg.name.startsWith('@') ? pkg.name.indexOf('/') : -1;
  const path = slash > 0 ? `${encodeURIComponent(pkg.name.slice(0, slash))}/${encodeURIComponent(pkg.name.slice(slash + 1))}` : encodeURIComponent(pkg.name);
  const purl = `pkg:npm/${path}@${encodeURIComponent(pkg.version)}`;
  const component = new CDX.Models.Component(CDX.Enums.ComponentType.Library, pkg.name, { bomRef: purl, version: pkg.version, purl, scope: CDX.Enums.ComponentScope.Required });
  if (pkg.sha512 !== undefined) component.hashes.set(CDX.Enums.HashAlgorithm['SHA-512'], pkg.sha512);
  return component;
}

/** A version-4-shaped UUID from a hash of the input (CycloneDX wants a UUID URN, not a random one per se). */
function contentUuid(input: SbomInput): string {
  const seed = JSON.stringify([input.service, input.version, input.revision, input.base?.digest ?? '', (input.packages ?? []).map((p) => `${p.name}@${p.version}`)]);
  const hex = createHash('sha256').update(seed).digest('hex');
  const variant = ((parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `urn:uuid:${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
