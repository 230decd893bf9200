import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { appendFile, cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { ApiClient } from '../cli/client.js';
import { followRun, printFailure, runSummary } from '../cli/follow.js';
import type { Output } from '../cli/output.js';
import type { RunView, StepView } from '../server/views.js';
import { installPostReceiveHook } from '../sources/git/hook.js';
import { ScratchRepo } from './scratch-repo.js';

const EXAMPLE_DIR = fileURLToPath(new URL('../../examples/volteryde', import.meta.url));
const CLI_MAIN = fileURLToPath(new URL('../cli/main.js', import.meta.url));
const WAIT_MS = 60_000;

export interface DemoOptions {
  readonly keep: boolean;
  readonly out: Output;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = WAIT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The demo, first part: the example monorepo in a scratch git repository, a real server process
 * watching it, a feature push whose CI runs only the changed service's gates, and a merge to
 * develop that reuses those passes from the cache.
 */
export async function runDemo(o: DemoOptions): Promise<number> {
  const { out } = o;
  const root = await mkdtemp(join(tmpdir(), 'gantry-demo-'));
  const dataDir = join(root, 'data');
  let server: ChildProcess | undefined;
  try {
    out.out(out.paint('bold', '1. A scratch copy of examples/volteryde with its own git origin'));
    const repo = await ScratchRepo.create(join(root, 'volteryde'), join(root, 'origin.git'));
    await cp(EXAMPLE_DIR, repo.workDir, { recursive: true, filter: (src) => !/[/\\](node_modules|coverage|reports|dist|target)([/\\]|$)/.test(src) });
    await repo.commitAll('Import the Volteryde platform');
    await repo.git('branch', 'develop');
    await repo.git('branch', 'staging');
    await repo.push('main', 'develop', 'staging');
    out.out(`   ${repo.workDir} → ${repo.originDir} (branches main, develop, staging)`);

    // The server's pinned gantry.yaml is the example's, pointed at the origin people push to.
    const serverConfig = join(root, 'gantry.yaml');
    const doc = parseDocument(await readFile(join(repo.workDir, 'gantry.yaml'), 'utf8'));
    doc.setIn(['repository', 'url'], repo.originDir);
    await writeFile(serverConfig, doc.toString());

    out.out(out.paint('bold', '2. gantry server on a free port'));
    const logFile = join(root, 'server.log');
    server = spawn(process.execPath, [CLI_MAIN, 'server', '--config', serverConfig, '--data-dir', dataDir, '--port', '0', '--poll', '30s'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, GANTRY_LOG_LEVEL: 'warn' },
    });
    server.stdout?.on('data', (c: Buffer) => void appendFile(logFile, c));
    server.stderr?.on('data', (c: Buffer) => void appendFile(logFile, c));
    const url = await waitFor('the server to start', async () => {
      const file = join(dataDir, 'server.json');
      if (!existsSync(file)) return undefined;
      const { url: u } = JSON.parse(await readFile(file, 'utf8')) as { url: string };
      const health = await fetch(`${u}/healthz`);
      return health.ok ? u : undefined;
    });
    const token = (await readFile(join(dataDir, 'admin.token'), 'utf8')).trim();
    const client = new ApiClient(url, token);
    await installPostReceiveHook(repo.originDir, url, token);
    out.out(`   listening on ${url}; post-receive hook installed in origin.git (log: ${logFile})`);

    out.out(out.paint('bold', '3. Push feature/quote-cache: a change to nest-api only'));
    await repo.git('checkout', '--quiet', '-b', 'feature/quote-cache', 'develop');
    await appendFile(join(repo.workDir, 'services/nest-api/README.md'), '\nQuotes are cached for 30 seconds.\n');
    await repo.commitAll('nest-api: cache quotes for 30 s');
    await repo.push('feature/quote-cache');
    const first = await followPushRun(client, out, 'feature/quote-cache');

    out.out(out.paint('bold', '4. Merge it to develop: nest-api is unchanged since its green run, so its gates come from the cache'));
    await repo.git('checkout', '--quiet', 'develop');
    await repo.git('merge', '--quiet', '--no-ff', '-m', 'Merge feature/quote-cache', 'feature/quote-cache');
    await repo.push('develop');
    const second = await followPushRun(client, out, 'develop');

    const { steps: firstSteps } = await client.request<{ steps: StepView[] }>('GET', `/api/v1/runs/${first.id}`);
    const { steps: secondSteps } = await client.request<{ steps: StepView[] }>('GET', `/api/v1/runs/${second.id}`);
    const gatesRun = firstSteps.filter((s) => s.kind === 'gate');
    const cached = secondSteps.filter((s) => s.kind === 'gate' && s.cached);
    out.out(out.paint('bold', 'Summary'));
    out.out(`   run #${first.id}: ${gatesRun.length} gate(s) of ${new Set(gatesRun.map((s) => s.service)).size} service(s) ran, ${first.state}`);
    out.out(`   run #${second.id}: ${cached.length} of ${secondSteps.filter((s) => s.kind === 'gate').length} gate(s) reused from the cache, ${second.state}`);
    const ok = first.state === 'succeeded' && second.state === 'succeeded' && cached.length > 0;
    if (o.keep) {
      out.out(`\nThe server keeps running: ${url}\n  export GANTRY_SERVER=${url} GANTRY_TOKEN=${token}\n  gantry runs\nStop it with: kill ${server.pid ?? ''}`);
      server.unref();
      server.stdout?.destroy();
      server.stderr?.destroy();
      server = undefined;
    }
    return ok ? 0 : 1;
  } finally {
    if (server) {
      const exited = new Promise((r) => server?.once('exit', r));
      server.kill('SIGTERM');
      await exited;
      await rm(root, { recursive: true, force: true });
    }
  }
}

async function followPushRun(client: ApiClient, out: Output, branch: string): Promise<RunView> {
  const run = await waitFor(`a run for ${branch}`, async () => {
    const { runs } = await client.request<{ runs: RunView[] }>('GET', `/api/v1/runs?branch=${encodeURIComponent(branch)}&limit=1`);
    return runs[0];
  });
  out.out(`   run #${run.id} started for ${branch}@${run.sha.slice(0, 7)}`);
  const finished = await followRun(client, out, run.id);
  out.out(`   ${runSummary(out, finished)}`);
  for (const note of finished.notes) out.out(out.paint('dim', `   note: ${note}`));
  if (finished.state === 'failed') printFailure(out, finished);
  return finished;
}
