import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { appendFile, cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiClient } from '../client.js';
import type { Output } from '../output.js';
import { installPostReceiveHook } from '../../sources/git/hook.js';
import { stopAgentProcesses } from '../../targets/local/stop-agents.js';
import { stopLeftoverRevisions } from '../../agent/leftover-revisions.js';
import { demoSecrets, demoServerConfig, introduceProductionOnlyBug, servicesWithoutTraffic } from './demo-config.js';
import { DemoSession, type Summary } from './demo-session.js';
import { DemoReceivers } from './receivers.js';
import { DemoRefusal } from './demo-refusal.js';
import { DockerDemo, dockerPreflight, type DockerPreflight } from './docker-demo.js';
import { keepLogs } from './keep-logs.js';
import { stopServer } from './stop-server.js';
import { printImagesSummary } from './demo-images.js';
import { ScratchRepo } from './scratch-repo.js';

const EXAMPLE_DIR = fileURLToPath(new URL('../../../examples/volteryde', import.meta.url));
const CLI_MAIN = fileURLToPath(new URL('../main.js', import.meta.url));

export interface DemoOptions {
  readonly keep: boolean;
  readonly out: Output;
  /** Print the summary as one JSON object on stdout (progress goes to stderr). */
  readonly json: boolean;
  /** local: plain processes under gantry agent (nothing but Node and git); docker: images, a registry and containers. */
  readonly target?: 'local' | 'docker';
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const stopAgents = (dataDir: string): Promise<void> => stopAgentProcesses(join(dataDir, 'agents'), stopLeftoverRevisions);

/**
 * The reference pipeline on examples/volteryde, end to end, with real processes: a feature branch
 * (CI only) → develop (dev, rolling) → staging (integration tests, load, watch) → main (two
 * approvals, blue-green service by service under load) → a bad release on main that rolls back by
 * itself while production keeps serving the good one.
 */
export async function runDemo(o: DemoOptions): Promise<number> {
  let preflight: DockerPreflight | undefined;
  if (o.target === 'docker') {
    // Before anything is created: a demo that cannot run says why and leaves nothing behind.
    try {
      preflight = await dockerPreflight();
    } catch (error: unknown) {
      if (!(error instanceof DemoRefusal)) throw error;
      o.out.err(`gantry demo --target docker: ${error.message}\n  hint: ${error.hint}`);
      return 2;
    }
  }
  const root = await mkdtemp(join(tmpdir(), 'gantry-demo-'));
  const dataDir = join(root, 'data');
  let server: ChildProcess | undefined;
  const receivers = new DemoReceivers();
  const log = (text: string): void => (o.json ? o.out.err(text) : o.out.out(text));
  const docker = preflight ? new DockerDemo(preflight, root, log) : undefined;
  let succeeded = false;
  let stopping = false;
  // Ctrl-C (or a closed pipe) must not leave a server and agents holding the example's ports.
  const interrupted = (): void => {
    stopping = true;
    void (server ? stopServer(server) : Promise.resolve())
      .then(() => stopAgents(dataDir))
      .then(() => docker?.stop())
      .then(() => rm(root, { recursive: true, force: true }))
      .finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  process.stdout.on('error', interrupted);
  try {
    if (docker) {
      log(o.out.paint('bold', '0. Containers: a Docker engine, a registry, and the base image the example names'));
      await docker.start();
    }
    log(o.out.paint('bold', '1. A scratch copy of examples/volteryde with its own git origin'));
    const repo = await ScratchRepo.create(join(root, 'volteryde'), join(root, 'origin.git'));
    await cp(EXAMPLE_DIR, repo.workDir, { recursive: true, filter: (src) => !/[/\\](node_modules|coverage|reports|dist|target)([/\\]|$)/.test(src) });
    // The repository's own gantry.yaml names the images and the target too: a run plans its image steps from the commit's.
    if (docker) await writeFile(join(repo.workDir, 'gantry.yaml'), docker.config(await readFile(join(repo.workDir, 'gantry.yaml'), 'utf8')));
    await repo.commitAll('Import the Volteryde platform');
    await repo.git('branch', 'develop');
    await repo.git('branch', 'staging');
    await repo.push('main', 'develop', 'staging');
    await receivers.start();
    const serverConfig = join(root, 'gantry.yaml');
    const serverConfigText = demoServerConfig(await readFile(join(repo.workDir, 'gantry.yaml'), 'utf8'), repo.originDir, receivers.url);
    await writeFile(serverConfig, serverConfigText);
    log(`   Slack and PagerDuty stand-ins listening on ${receivers.url}`);
    log(`   ${repo.workDir} → ${repo.originDir}`);

    log(o.out.paint('bold', `2. gantry server on a free port (it starts ${docker ? 'one agent that runs every environment\'s containers on the engine' : 'the agents for dev/staging and for production'})`));
    // The server writes its output straight to a file: no pipe through this process that could close
    // under it (a kept server once died of EPIPE at its first write after the demo ended, issue 18).
    const logFile = join(root, 'server.log');
    const logFd = openSync(logFile, 'a', 0o600);
    try {
      server = spawn(process.execPath, [CLI_MAIN, 'server', '--config', serverConfig, '--data-dir', dataDir, '--port', '0', '--poll', '30s'], {
        stdio: ['ignore', logFd, logFd],
        // A kept server has its own process group, so Ctrl-C on the demo (which stays up) does not reach it.
        detached: o.keep,
        env: { ...process.env, ...demoSecrets(receivers.url), GANTRY_LOG_LEVEL: 'warn' },
      });
    } finally {
      closeSync(logFd);
    }
    const url = await waitFor(`the server to start (its log: ${logFile})`, async () => {
      const file = join(dataDir, 'server.json');
      if (!existsSync(file)) return undefined;
      const { url: u } = JSON.parse(await readFile(file, 'utf8')) as { url: string };
      return (await fetch(`${u}/healthz`)).ok ? u : undefined;
    });
    const token = (await readFile(join(dataDir, 'admin.token'), 'utf8')).trim();
    const client = new ApiClient(url, token);
    // The hook reads the address the server rewrites at every start: a restart on another port is still reached.
    await installPostReceiveHook(repo.originDir, url, token, join(dataDir, 'server.json'));
    log(`   API ${url}; post-receive hook installed (server log: ${logFile})`);
    const session = new DemoSession(client, o.out, log, repo, receivers, servicesWithoutTraffic(serverConfigText));
    await session.createApprovers();

    log(o.out.paint('bold', '3. Push feature/quote-cache: CI only, only nest-api is checked'));
    await repo.git('checkout', '--quiet', '-b', 'feature/quote-cache', 'develop');
    await appendFile(join(repo.workDir, 'services/nest-api/README.md'), '\nQuotes are cached for 30 seconds.\n');
    await repo.commitAll('nest-api: cache quotes for 30 s');
    await repo.push('feature/quote-cache');
    await session.followPush('feature/quote-cache');

    log(o.out.paint('bold', '4. Merge to develop: dev deploys (rolling), health and smoke checked'));
    await session.merge('feature/quote-cache', 'develop');
    await session.followPush('develop');

    log(o.out.paint('bold', '5. Merge to staging: the same artifacts (not rebuilt), integration tests, load baseline, watch window'));
    await session.merge('develop', 'staging');
    await session.followPush('staging', { loadOn: 'staging' });

    log(o.out.paint('bold', '6. Merge to main: two approvers, then blue-green service by service while traffic flows'));
    await session.merge('staging', 'main');
    await session.followPush('main', { loadOn: 'production', approveAs: ['alice', 'bob'] });

    log(o.out.paint('bold', '7. A bad release reaches main: the smoke test on the green preview fails, production rolls back by itself'));
    await repo.git('checkout', '--quiet', 'develop');
    const app = join(repo.workDir, 'services/nest-api/src/app.mjs');
    await writeFile(app, introduceProductionOnlyBug(await readFile(app, 'utf8')));
    await repo.commitAll('nest-api: production surcharge table');
    await repo.push('develop');
    await session.followPush('develop');
    await session.merge('develop', 'staging');
    await session.followPush('staging', { loadOn: 'staging' });
    await session.merge('staging', 'main');
    await session.followPush('main', { loadOn: 'production', approveAs: ['alice', 'bob'], expectFailure: true });

    const local: Summary = await session.summary();
    const images = docker ? await docker.summarize(client, Object.keys(local.environments['production'] ?? {}), local.problems) : undefined;
    const summary: Summary = images ? { ...local, ok: local.problems.length === 0, images } : local;
    if (o.json) o.out.printJson(summary);
    else {
      session.printSummary(summary);
      if (images) printImagesSummary(o.out, log, images);
    }
    succeeded = summary.ok;
    if (o.keep) {
      log(`\nEverything keeps running.\n  Dashboard: ${url}/  (sign in with the token below)\n  Token:     ${token}\n  export GANTRY_SERVER=${url} GANTRY_TOKEN=${token}\n  gantry runs; gantry history production\n  Server log: ${logFile}\nThis command stays up to receive notifications for the Slack and PagerDuty stand-ins (Ctrl-C ends it; the server stays).\nStop the rest with: kill ${server.pid ?? ''} and the agents in ${join(dataDir, 'agents')}`);
      server.unref();
      server = undefined;
    }
    return summary.ok ? 0 : 1;
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    process.stdout.off('error', interrupted);
    if (!o.keep) await receivers.stop();
    if (server) {
      await stopServer(server);
      await stopAgents(dataDir);
      if (!docker) await rm(root, { recursive: true, force: true });
    }
    if (docker) {
      // After the server and its agent: nothing may start a container again meanwhile.
      await docker.stop();
      // Ctrl-C is no failure to explain: the interrupt handler exits as soon as everything is stopped.
      if (!succeeded && !stopping) log(`   logs kept in ${await keepLogs(root, dataDir, docker.logFiles())}`);
      await rm(root, { recursive: true, force: true });
    }
  }
}
