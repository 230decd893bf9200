import { afterAll, describe } from 'vitest';
import { freePorts, spawnAgent } from '../support/agent-process.js';
import { dockerAvailable, startDockerd, type TestDockerd } from '../support/dockerd.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { pushServiceImage } from '../support/service-image.js';
import { CONTRACT_SERVICE_JS, targetContract, type ContractSubject } from '../support/target-contract.js';
import { TempDirs } from '../support/temp.js';

/**
 * The target contract against `gantry agent --runtime docker` (run the server build first): a real
 * private dockerd and a real docker-registry, the contract's service built into two images (the
 * second differs by a comment) pushed by digest, each replica a container pulled from there. One
 * engine and registry serve every test; each test gets its own agent, which removes its containers
 * when it stops. This engine has no bridge network: containers use host networking.
 */
const temp = new TempDirs();
const SERVICES = ['s0', 's1', 's2', 's3', 's4', 's5', 's6'];
const PREVIEW_OFFSET = 100;

function contractConfig(base: number): string {
  const services = SERVICES.map((name, i) => `  ${name}:\n    path: svc\n    run:\n      command: node server.mjs\n      port: ${base + i}\n    health:\n      path: /healthz\n`).join('');
  return `version: 1\nproject:\n  name: contract\nrepository:\n  url: .\nservices:\n${services}environments:\n  contract:\n    branch: main\n    strategy:\n      kind: blue-green\n      previewPortOffset: ${PREVIEW_OFFSET}\n`;
}

interface Shared {
  readonly dockerd: TestDockerd;
  readonly registry: TestRegistry;
  readonly repository: string;
  readonly digest: string;
  readonly otherDigest: string;
}

let shared: Promise<Shared> | undefined;

/** The engine, the registry and both images, made once for the file. */
function once(): Promise<Shared> {
  shared ??= (async () => {
    const dockerd = await startDockerd(temp);
    const registry = await startRegistry();
    const host = new URL(registry.url).host;
    const first = await pushServiceImage(dockerd, host, 'contract/svc', { 'server.mjs': CONTRACT_SERVICE_JS });
    const other = await pushServiceImage(dockerd, host, 'contract/svc', { 'server.mjs': `${CONTRACT_SERVICE_JS}// the other artifact\n` });
    return { dockerd, registry, repository: first.repository, digest: first.digest, otherDigest: other.digest };
  })();
  return shared;
}

describe.skipIf(!dockerAvailable())('docker runtime', () => {
  afterAll(async () => {
    const made = await shared?.catch(() => undefined);
    await made?.dockerd.stop();
    await made?.registry.stop();
    await temp.cleanup();
  }, 120_000);

  targetContract('local target, docker runtime (a gantry agent --runtime docker on this machine)', async (): Promise<ContractSubject> => {
    const s = await once();
    const base = await freePorts(25_000, 990, PREVIEW_OFFSET + SERVICES.length);
    const agent = await spawnAgent(temp, contractConfig(base), { docker: { dockerHost: s.dockerd.dockerHost } });
    return {
      target: agent.target,
      environment: 'contract',
      services: SERVICES,
      artifact: { digest: s.digest, ref: `${s.repository}@${s.digest}` },
      command: 'node server.mjs',
      otherDigest: s.otherDigest,
      refFor: (digest) => `${s.repository}@${digest}`,
      close: () => agent.stop(),
    };
  });
});
