import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { loadConfigOrThrow } from '../../src/config/loader.js';
import { GantryError } from '../../src/errors/index.js';
import { EnvSecretSource } from '../../src/secrets/source.js';
import { DockerTargets } from '../../src/targets/docker/docker-targets.js';
import { issueAgentCertificate } from '../../src/targets/remote/pki/agent-certificate.js';
import { readPins, recordPin } from '../../src/targets/remote/pki/agent-pins.js';
import { loadOrCreateCa } from '../../src/targets/remote/pki/certificate-authority.js';
import { freePorts, revisionSpec, serviceArtifact, type Artifact } from '../support/agent-process.js';
import { runCli } from '../support/cli.js';
import { fixtureRepo } from '../support/fixture-repo.js';
import { startRemoteAgent, type RemoteAgent } from '../support/remote-agent.js';
import { startServerProcess, type ServerProcess } from '../support/server-process.js';
import { TempDirs, until } from '../support/temp.js';

/**
 * Remote agents over TLS, on loopback addresses: `gantry hosts issue` (the CLI as a process,
 * against a real server that stores the token) writes what a real `gantry agent --listen` serves,
 * and the docker kind reaches it only with Gantry's CA, the pinned certificate and the host's token.
 * Run the server build first: `npx tsc -p tsconfig.build.json`.
 */
const temp = new TempDirs();
const agents: RemoteAgent[] = [];
let server: ServerProcess | undefined;
let root = '';
let dataDir = '';
let configPath = '';
let adminToken = '';
let ports = { route: 0, h1: 0, h2: 0 };
let artifact: Artifact;

const config = (p: typeof ports): string => `version: 1
project:
  name: tls
repository:
  url: ./origin.git
registries:
  main:
    url: 127.0.0.1:5999
services:
  api:
    path: svc
    build:
      run: "true"
      output: .
    image:
      base: 127.0.0.1:5999/base/node:1
    run:
      command: node server.mjs
      port: ${p.route}
environments:
  dev:
    branch: main
    target: web
targets:
  web:
    kind: docker
    hosts:
      - name: h1
        address: 127.0.0.1:${p.h1}
        tokenSecret: AGENT_TOKEN_H1
      - name: h2
        address: 127.0.0.1:${p.h2}
        tokenSecret: AGENT_TOKEN_H2
`;

const cli = (...args: string[]) => runCli(['--config', configPath, '--data-dir', dataDir, '--token', adminToken, ...args]);

/** The docker kind as the server builds it, reading host tokens from the given values. */
async function dockerKind(tokens: Record<string, string>): Promise<DockerTargets> {
  const env = Object.fromEntries(Object.entries(tokens).map(([k, v]) => [`GANTRY_SECRET_${k}`, v]));
  return new DockerTargets({ config: await loadConfigOrThrow(configPath), configPath, dataDir, secrets: new EnvSecretSource(env), logger: pino({ level: 'silent' }) });
}

const tokenIn = async (folder: string): Promise<string> => (await readFile(join(folder, 'agent.token'), 'utf8')).trim();

async function rejection(promise: Promise<unknown>): Promise<GantryError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(GantryError);
  return error as GantryError;
}

async function agentFor(host: 'h1' | 'h2', files: string): Promise<RemoteAgent> {
  const agent = await startRemoteAgent({ target: 'web', listen: `127.0.0.1:${ports[host]}`, routeHost: '127.0.0.1', files, dataDir: await temp.make(`gantry-${host}-`) });
  agents.push(agent);
  return agent;
}

beforeAll(async () => {
  root = await temp.make('gantry-agent-tls-');
  const base = await freePorts(30_000, 8_000, 3);
  ports = { route: base, h1: base + 1, h2: base + 2 };
  await fixtureRepo(root, { 'svc/server.mjs': 'export {};\n' });
  configPath = join(root, 'gantry.yaml');
  await writeFile(configPath, config(ports));
  dataDir = join(root, 'data');
  server = await startServerProcess(configPath, dataDir);
  adminToken = (await readFile(join(dataDir, 'admin.token'), 'utf8')).trim();
  artifact = await serviceArtifact(temp);
}, 90_000);

afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  if (server && server.child.exitCode === null) {
    const gone = new Promise((resolve) => server?.child.once('exit', resolve));
    server.child.kill('SIGTERM');
    await gone;
  }
  await temp.cleanup();
}, 60_000);

describe('remote agents over TLS', () => {
  it('issues with the CLI a certificate, key, CA and token that a real agent serves, and the docker target deploys through it', async () => {
    const out = join(root, 'h1-files');
    const issued = await cli('hosts', 'issue', 'web', 'h1', '--out', out);
    expect(issued.stderr).toBe('');
    expect(issued.code).toBe(0);
    expect(issued.stdout).toContain(`gantry agent --target web --listen 127.0.0.1:${ports.h1} --tls-cert /etc/gantry-agent/agent.crt`);
    for (const file of ['agent.crt', 'agent.key', 'ca.crt', 'agent.token']) expect(((await stat(join(out, file))).mode & 0o777).toString(8)).toBe('600');
    expect(((await stat(join(dataDir, 'pki', 'ca.key'))).mode & 0o777).toString(8)).toBe('600');
    // The token went to the server's secret store (values never come out: its name and version do).
    const secrets = JSON.parse((await cli('secrets', 'list', '--output', 'json')).stdout) as { secrets: Array<{ scope: string; name: string }> };
    expect(secrets.secrets).toContainEqual(expect.objectContaining({ scope: 'shared', name: 'AGENT_TOKEN_H1' }));
    const listed = JSON.parse((await cli('hosts', 'list', '--output', 'json')).stdout) as { hosts: Array<{ host: string; pin: { fingerprint: string } | null }> };
    expect(listed.hosts.find((h) => h.host === 'h1')?.pin?.fingerprint).toBe((await readPins(dataDir))['web/h1']?.fingerprint);
    expect(listed.hosts.find((h) => h.host === 'h2')?.pin).toBeNull();

    const agent = await agentFor('h1', out);
    expect(agent.url).toBe(`https://127.0.0.1:${ports.h1}`);
    // Only h1 of the target: h2 has no certificate yet, which the kind refuses by name.
    const kind = await dockerKind({ AGENT_TOKEN_H1: await tokenIn(out), AGENT_TOKEN_H2: 'unused' });
    const refused = await rejection(kind.get('web'));
    expect(refused.code).toBe('TARGET_TLS_INVALID');
    expect(refused.message).toContain('host h2 of target web');

    // The same agent through a one-host config: it deploys, and its route answers on the route host.
    await writeFile(configPath, config(ports).replace(/ {6}- name: h2\n.*\n.*\n/, ''));
    const target = await (await dockerKind({ AGENT_TOKEN_H1: await tokenIn(out) })).get('web');
    await target.startRevision(revisionSpec(artifact, 'dev', 'api', 1));
    await until('r1 to be ready on h1', async () => (await target.describe('dev'))[0]?.revisions[0]?.phase === 'ready', 30_000);
    await target.setWeights('dev', 'api', 'main', { '1': 100 });
    expect((await target.verifyWeights('dev', 'api', 'main', { '1': 100 })).applied).toBe(true);
    expect(await target.url('dev', 'api', 'main')).toBe(`http://127.0.0.1:${ports.route}`);
    const answer = await fetch(`http://127.0.0.1:${ports.route}/`);
    expect(await answer.json()).toMatchObject({ service: 'api', revision: '1' });
  }, 90_000);

  it('refuses the agent when the token is not the host\'s own', async () => {
    const target = await (await dockerKind({ AGENT_TOKEN_H1: 'gta_not_the_token' })).get('web');
    const error = await rejection(target.describe('dev'));
    expect(error.code).toBe('AUTH_INVALID');
    expect(error.message).toContain('host h1 of target web');
  });

  it('refuses an agent whose certificate Gantry\'s CA signed but is not the one pinned for the host, and accepts it again once the new one is served', async () => {
    const before = join(root, 'h1-files');
    const again = join(root, 'h1-files-again');
    expect((await cli('hosts', 'issue', 'web', 'h1', '--out', again)).code).toBe(0);
    // The agent still serves the first certificate: valid, same CA, same address, but no longer pinned.
    const stale = await (await dockerKind({ AGENT_TOKEN_H1: await tokenIn(again) })).get('web');
    const error = await rejection(stale.describe('dev'));
    expect(error.code).toBe('TARGET_TLS_REFUSED');
    expect(error.message).toContain('host h1 of target web');
    expect(error.message).toContain('not the one pinned');
    expect(error.hint).toContain('gantry hosts issue');
    expect(await tokenIn(before)).not.toBe(await tokenIn(again));

    await agents.shift()?.stop();
    await agentFor('h1', again);
    const fresh = await (await dockerKind({ AGENT_TOKEN_H1: await tokenIn(again) })).get('web');
    expect(await fresh.describe('dev')).toEqual([expect.objectContaining({ service: 'api', revisions: [] })]);
  }, 60_000);

  it('refuses an agent whose certificate another CA signed, even with its fingerprint pinned', async () => {
    await writeFile(configPath, config(ports));
    const rogueCa = await loadOrCreateCa(await temp.make('gantry-rogue-ca-'));
    const rogue = await issueAgentCertificate(rogueCa, { name: 'h2', address: '127.0.0.1' });
    const files = await temp.make('gantry-rogue-files-');
      await writeFile(join(files, 'agent.crt'), rogue.certPem);
    await writeFile(join(files, 'agent.key'), rogue.keyPem, { mode: 0o600 });
    await writeFile(join(files, 'agent.token'), 'gta_rogue_token\n', { mode: 0o600 });
    await recordPin(dataDir, { target: 'web', host: 'h2', address: `127.0.0.1:${ports.h2}`, fingerprint: rogue.fingerprint, issuedAt: new Date().toISOString(), notAfter: rogue.notAfter.toISOString() });
    await agentFor('h2', files);
    const kind = await dockerKind({ AGENT_TOKEN_H1: await tokenIn(join(root, 'h1-files-again')), AGENT_TOKEN_H2: 'gta_rogue_token' });
    const error = await rejection((await kind.get('web')).describe('dev'));
    expect(error.code).toBe('TARGET_TLS_REFUSED');
    expect(error.message).toContain('host h2 of target web');
  }, 60_000);

  it('refuses --listen without a certificate, and an unknown host, before anything starts', async () => {
    const plain = await runCli(['agent', '--target', 'web', '--data-dir', await temp.make('gantry-plain-'), '--listen', `127.0.0.1:${ports.h2}`]);
    expect(plain.code).toBe(2);
    expect(plain.stderr).toContain('--listen needs --tls-cert and --tls-key');
    const unknown = await cli('hosts', 'issue', 'web', 'h9', '--out', join(root, 'h9'));
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('target web lists no host "h9"');
    await until('nothing written for h9', async () => !(await stat(join(root, 'h9')).then(() => true, () => false)));
  });
});
