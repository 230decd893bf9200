import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { OciLayout, packBundle } from '../../src/artifacts/index.js';
import { ociLayoutRef } from '../../src/targets/artifact-ref.js';
import { freePorts, spawnAgent } from '../support/agent-process.js';
import { CONTRACT_SERVICE_JS, targetContract, type ContractSubject } from '../support/target-contract.js';
import { TempDirs } from '../support/temp.js';

/**
 * The local target against the target contract: a real `gantry agent` process (run the server
 * build first: `npx tsc -p tsconfig.build.json`) driven through LocalTarget, the client the
 * control plane uses, with artifacts packed into a real OCI image layout.
 */
const temp = new TempDirs();
afterAll(() => temp.cleanup());

const SERVICES = ['s0', 's1', 's2', 's3', 's4', 's5', 's6'];
const PREVIEW_OFFSET = 100;

function contractConfig(base: number): string {
  const services = SERVICES.map((name, i) => `  ${name}:\n    path: svc\n    run:\n      command: node server.mjs\n      port: ${base + i}\n    health:\n      path: /healthz\n`).join('');
  return `version: 1
project:
  name: contract
repository:
  url: .
services:
${services}environments:
  contract:
    branch: main
    strategy:
      kind: blue-green
      previewPortOffset: ${PREVIEW_OFFSET}
`;
}

/** The contract's service, packed twice (the second differs by a comment): two real artifacts in one layout. */
async function packed(): Promise<{ layout: string; digest: string; otherDigest: string }> {
  const root = await temp.make('gantry-contract-artifact-');
  const layout = new OciLayout(join(root, 'layout'));
  await layout.init();
  const digests: string[] = [];
  for (const [i, text] of [CONTRACT_SERVICE_JS, `${CONTRACT_SERVICE_JS}// the other artifact\n`].entries()) {
    const dir = join(root, `service-${i}`);
    await mkdir(dir);
    await writeFile(join(dir, 'server.mjs'), text);
    digests.push((await layout.put('svc', await packBundle(dir))).manifestDigest);
  }
  return { layout: layout.root, digest: digests[0] ?? '', otherDigest: digests[1] ?? '' };
}

targetContract('local (a gantry agent on this machine)', async (): Promise<ContractSubject> => {
  const artifacts = await packed();
  // Main ports base…base+6 and their preview ports 100 above, all free now.
  const base = await freePorts(23_000, 990, PREVIEW_OFFSET + SERVICES.length);
  const agent = await spawnAgent(temp, contractConfig(base));
  return {
    target: agent.target,
    environment: 'contract',
    services: SERVICES,
    artifact: { digest: artifacts.digest, ref: ociLayoutRef(artifacts.layout, artifacts.digest) },
    command: 'node server.mjs',
    otherDigest: artifacts.otherDigest,
    refFor: (digest) => ociLayoutRef(artifacts.layout, digest),
    close: () => agent.stop(),
  };
});
