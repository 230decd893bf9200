import { describe, expect, it } from 'vitest';
import { GantryError, TargetError } from '../../src/errors/index.js';
import { ociLayoutRef, parseArtifactRef } from '../../src/targets/artifact-ref.js';
import { controlPlaneUrl } from '../../src/targets/endpoint.js';
import { sameWeights } from '../../src/targets/weights.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const OTHER = `sha256:${'b'.repeat(64)}`;

function thrown(work: () => unknown): GantryError {
  try {
    work();
  } catch (error: unknown) {
    if (error instanceof GantryError) return error;
    throw error;
  }
  throw new Error('expected a GantryError');
}

describe('the pure parts of the target contract', () => {
  it('gives the control plane the url of an endpoint it can reach, and refuses one reachable only from inside the target', () => {
    expect(controlPlaneUrl({ url: 'http://127.0.0.1:3000', reachableFrom: 'control-plane' }, 'local', 'dev', 'api', 'main')).toBe('http://127.0.0.1:3000');
    const error = thrown(() => controlPlaneUrl({ url: 'http://api.dev.svc:80', reachableFrom: 'target' }, 'cluster', 'dev', 'api', 'preview'));
    expect(error).toBeInstanceOf(TargetError);
    expect(error).toMatchObject({ code: 'TARGET_ENDPOINT_UNREACHABLE', where: 'dev/api (preview)' });
    expect(error.message).toContain('http://api.dev.svc:80');
  });

  it('reads an oci-layout ref only when it names the digest of the deployment', () => {
    expect(parseArtifactRef(ociLayoutRef('/var/lib/gantry/artifacts', DIGEST), DIGEST)).toEqual({ kind: 'oci-layout', folder: '/var/lib/gantry/artifacts', digest: DIGEST });
    expect(thrown(() => parseArtifactRef(ociLayoutRef('/a', OTHER), DIGEST)).code).toBe('ARTIFACT_DIGEST_MISMATCH');
    expect(thrown(() => parseArtifactRef('oci-layout:/a', DIGEST)).code).toBe('ARTIFACT_REF_INVALID');
    expect(thrown(() => parseArtifactRef(`oci-layout:@${DIGEST}`, DIGEST)).code).toBe('ARTIFACT_REF_INVALID');
    expect(thrown(() => parseArtifactRef(`ghcr.io/acme/api@${DIGEST}`, DIGEST)).code).toBe('ARTIFACT_REF_INVALID');
    expect(thrown(() => parseArtifactRef(ociLayoutRef('/a', DIGEST), 'sha256:short')).code).toBe('ARTIFACT_REF_INVALID');
  });

  it('compares weights as a router applies them: a zero weight is no weight', () => {
    expect(sameWeights({ '1': 100, '2': 0 }, { '1': 100 })).toBe(true);
    expect(sameWeights({ '1': 50, '2': 50 }, { '2': 50, '1': 50 })).toBe(true);
    expect(sameWeights({ '1': 100 }, { '2': 100 })).toBe(false);
    expect(sameWeights({}, { '1': 0 })).toBe(true);
  });
});
