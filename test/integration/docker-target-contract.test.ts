import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe } from 'vitest';
import { pino } from 'pino';
import { loadConfigOrThrow } from '../../src/config/loader.js';
import { EnvSecretSource } from '../../src/secrets/source.js';
import { DockerTargets, type DockerTargetsOptions } from '../../src/targets/docker/docker-targets.js';
import { issueHost } from '../../src/targets/remote/issue-host.js';
import { dockerAvailable, startDockerd, type TestDockerd } from '../support/dockerd.js';
import { createHosts, netnsAvailable, type TestHosts } from '../support/netns.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { startRemoteAgent } from '../support/remote-agent.js';
import { pushServiceImage } from '../support/service-image.js';
import { CONTRACT_SERVICE_JS, targetContract, type ContractSubject } from '../support/target-contract.js';
import { TempDirs } from '../support/temp.js';

/**
 * The target contract against the docker kind as the control plane uses it (DockerTarget), on a
 * remote host: a network namespace with its own dockerd and a `gantry agent --runtime docker
 * --listen` reached over TLS with a pinned certificate and its own token; the contract's service
 * built into two images in a docker-registry the host reaches. Each test gets a fresh agent (its
 * own data folder) on the same address. Run the server build first.
 */
const temp = new TempDirs();
const SERVICES = ['s0', 's1', 's2', 's3', 's4', 's5', 's6'];
const PREVIEW_OFFSET = 100;
const BASE_PORT = 21_000;

interface Shared {
  readonly net: TestHosts;
  readonly engine: TestDockerd;
  readonly registry: TestRegistry;
  readonly repository: string;
  readonly digest: string;
  readonly otherDigest: string;
  readonly root: string;
  readonly files: string;
  readonly options: DockerTargetsOptions;
}

function contractConfig(net: TestHosts, registryHost: string): string {
  const services = SERVICES.map((name, i) => `  ${name}:\n    path: svc\n    build: { run: "true", output: . }\n    image: { base: '${registryHost}/base/node:1' }\n    run:\n      command: node server.mjs\n      port: ${BASE_PORT + i}\n    health:\n      path: /healthz\n`).join('');
  const host = net.hosts[0]?.address ?? '';
  return `version: 1
project:
  name: contract
repository:
  url: .
registries:
  main: { url: '${registryHost}', insecure: true }
services:
${services}environments:
  contract:
    branch: main
    target: web
    strategy:
      kind: blue-green
      previewPortOffset: ${PREVIEW_OFFSET}
targets:
  web:
    kind: docker
    hosts:
      - { name: host-1, address: '${host}:7443', tokenSecret: AGENT_TOKEN_1 }
`;
}

let shared: Promise<Shared> | undefined;
let made = 0;

/** The host, its engine, the registry, both images and the host's certificate, made once for the file. */
function once(): Promise<Shared> {
  shared ??= (async () => {
    const net = await createHosts(1);
    const registry = await startRegistry({ host: net.shared });
    const registryHost = new URL(registry.url).host;
    const engine = await startDockerd(new TempDirs(), { netns: net.hosts[0]?.ns ?? '', insecureRegistries: [registryHost] });
    const first = await pushServiceImage(engine, registryHost, 'contract/svc', { 'server.mjs': CONTRACT_SERVICE_JS });
    const other = await pushServiceImage(engine, registryHost, 'contract/svc', { 'server.mjs': `${CONTRACT_SERVICE_JS}// the other artifact\n` });
    const root = await temp.make('gantry-docker-contract-');
    const configPath = join(root, 'gantry.yaml');
    await writeFile(configPath, contractConfig(net, registryHost));
    const config = await loadConfigOrThrow(configPath);
    const dataDir = join(root, 'data');
    const files = join(root, 'host-1');
    const tokens: Record<string, string> = {};
    await issueHost({ config, dataDir, target: 'web', host: 'host-1', out: files, storeToken: async (name, token) => void (tokens[`GANTRY_SECRET_${name}`] = token) });
    const options: DockerTargetsOptions = { config, configPath, dataDir, secrets: new EnvSecretSource(tokens), logger: pino({ level: 'silent' }) };
    return { net, engine, registry, repository: first.repository, digest: first.digest, otherDigest: other.digest, root, files, options };
  })();
  return shared;
}

describe.skipIf(!dockerAvailable() || !netnsAvailable())('docker target', () => {
  afterAll(async () => {
    const s = await shared?.catch(() => undefined);
    await s?.engine.stop();
    await s?.registry.stop();
    await s?.net.remove();
    await temp.cleanup();
  }, 120_000);

  targetContract('docker target on a remote host (TLS, pinned certificate, its own token)', async (): Promise<ContractSubject> => {
    const s = await once();
    const host = s.net.hosts[0];
    const agent = await startRemoteAgent({ netns: host?.ns ?? '', target: 'web', listen: `${host?.address ?? ''}:7443`, routeHost: host?.address ?? '', files: s.files, dataDir: join(s.root, `agent-${made++}`), dockerHost: s.engine.dockerHost });
    // A target per agent, as a restarted control plane would make: it tells the new agent its routes.
    const target = await new DockerTargets(s.options).get('web');
    return {
      target,
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
