import { describe, expect, it } from 'vitest';
import { containerConfig, containerName } from '../../src/agent/containers/container-config.js';
import type { ContainerSpec } from '../../src/agent/containers/container-spec.js';
import { parseImageRef } from '../../src/agent/containers/image-ref.js';
import { SECRETS_LOADER } from '../../src/agent/containers/secret-files.js';
import { isGantryError } from '../../src/errors/index.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const SECRET = 'hunter2-very-secret';

const spec: ContainerSpec = {
  name: containerName('production', 'api', 7, 0),
  image: `registry.local:5000/team/api@${DIGEST}`,
  digest: DIGEST,
  labels: { 'gantry.revision': '7' },
  env: { PORT: '4100', LOG_LEVEL: 'info' },
  secrets: { DB_PASSWORD: SECRET },
  limits: { cpus: 1.5, memoryBytes: 128 * 1024 * 1024 },
};

const plan = { spec, command: 'node server.mjs', port: 4100, secretsDir: '/run/gantry-tmpfs/gantry-production-api-r7', maxRestarts: 5, stopGraceMs: 10_000 } as const;

const refused = (work: () => unknown): string => {
  try {
    work();
  } catch (error: unknown) {
    if (isGantryError(error)) return error.code;
    throw error;
  }
  throw new Error('expected a refusal');
};

describe('the docker runtime\'s container body', () => {
  it('names replica 0 and replica i apart', () => {
    expect(containerName('production', 'api', 7, 0)).toBe('gantry-production-api-r7');
    expect(containerName('production', 'api', 7, 2)).toBe('gantry-production-api-r7-2');
  });

  it('publishes the port on loopback only when the engine has a bridge', () => {
    const body = containerConfig({ ...plan, network: 'bridge' });
    expect(body.ExposedPorts).toEqual({ '4100/tcp': {} });
    expect(body.HostConfig).toMatchObject({ NetworkMode: 'bridge', PortBindings: { '4100/tcp': [{ HostIp: '127.0.0.1', HostPort: '4100' }] } });
    const host = containerConfig({ ...plan, network: 'host' });
    expect(host.ExposedPorts).toBeUndefined();
    expect(host.HostConfig).toMatchObject({ NetworkMode: 'host' });
    expect(host.HostConfig?.PortBindings).toBeUndefined();
  });

  it('sets real limits, a bounded restart policy, and the secrets as a read-only mount the loader reads, with no value anywhere in the body', () => {
    const body = containerConfig({ ...plan, network: 'host' });
    expect(body.HostConfig).toMatchObject({ NanoCpus: 1_500_000_000, Memory: 134_217_728, MemorySwap: 134_217_728, RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 5 }, Init: true, Binds: [`${plan.secretsDir}:/run/gantry/secrets:ro`] });
    expect(body.Cmd).toEqual([`${SECRETS_LOADER}; exec node server.mjs`]);
    expect(body.Env).toEqual(['PORT=4100', 'LOG_LEVEL=info']);
    expect(JSON.stringify(body)).not.toContain(SECRET);
    const plain = containerConfig({ ...plan, network: 'host', secretsDir: null });
    expect(plain.Cmd).toEqual(['exec node server.mjs']);
    expect(plain.HostConfig?.Binds).toBeUndefined();
  });

  it('runs only images pinned by the digest the deployment names', () => {
    expect(parseImageRef(spec.image, DIGEST)).toEqual({ repository: 'registry.local:5000/team/api', digest: DIGEST, ref: spec.image });
    expect(refused(() => parseImageRef('registry.local:5000/team/api:latest', DIGEST))).toBe('ARTIFACT_REF_INVALID');
    expect(refused(() => parseImageRef(`registry.local:5000/team/api@sha256:${'b'.repeat(64)}`, DIGEST))).toBe('ARTIFACT_DIGEST_MISMATCH');
    expect(refused(() => parseImageRef(`oci-layout:/var/lib/gantry/artifacts@${DIGEST}`, DIGEST))).toBe('ARTIFACT_REF_INVALID');
    expect(refused(() => parseImageRef(`Team/API@${DIGEST}`, DIGEST))).toBe('ARTIFACT_REF_INVALID');
  });
});
