import { rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { destination, pino, type Logger } from 'pino';
import type { ScratchRepo } from '../../src/cli/demo/scratch-repo.js';
import type { RunView, StepView } from '../../src/server/views.js';
import { stopLeftoverRevisions } from '../../src/agent/leftover-revisions.js';
import { startServer, type RunningServer, type ServerOptions } from '../../src/server/gantry-server.js';
import type { SecretSource } from '../../src/secrets/source.js';
import { startPostgres, type TestPostgres } from './postgres.js';
import { serverLogFile } from './sweep.js';
import { until } from './temp.js';

export interface TestServer {
  readonly server: RunningServer;
  readonly token: string;
  readonly dataDir: string;
  api<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: T }>;
  /** Tells the server about new pushes (as the post-receive hook does) and waits for the branch's next run. */
  runFor(branch: string, afterId?: number): Promise<RunView>;
  finished(runId: number, timeoutMs?: number): Promise<{ run: RunView; steps: StepView[] }>;
  close(): Promise<void>;
}

/** Silent, unless the secret sweep runs: then everything the server logs goes to a file in its folder, which the sweep searches. */
function testLogger(root: string): Logger {
  const file = serverLogFile(root);
  return file ? pino({ level: 'debug' }, destination({ dest: file, sync: true })) : pino({ level: 'silent' });
}

/** GANTRY_TEST_STORE=postgres: each test folder's cluster, kept between a server's restarts and removed when the worker exits. */
const keptClusters = new Map<string, { pg: TestPostgres; database: string }>();
process.once('exit', () => {
  for (const { pg } of keptClusters.values()) rmSync(pg.dir, { recursive: true, force: true });
});

/** An in-process server (real store, real git, real HTTP via inject) on the fixture repository's origin. */
export async function startTestServer(root: string, repo: ScratchRepo, configText: string, options: { secrets?: SecretSource; leaseMs?: number; targetKinds?: ServerOptions['targetKinds'] } = {}): Promise<TestServer> {
  const configPath = join(root, 'server-gantry.yaml');
  await writeFile(configPath, configText.replace(/url: \.$/m, `url: ${repo.originDir}`));
  let token = '';
  const dataDir = join(root, 'data');
  // GANTRY_TEST_STORE=postgres runs the same test on a private PostgreSQL cluster of its own; a
  // server started again in the same folder (a restart) finds its database again.
  const kept = process.env.GANTRY_TEST_STORE === 'postgres' ? keptClusters.get(root) : undefined;
  // A test may close the server itself (`t.server.close()`) and start another: its cluster still runs.
  const pg = process.env.GANTRY_TEST_STORE === 'postgres' ? (kept?.pg.running ? kept.pg : await startPostgres(kept ? { dir: kept.pg.dir } : {})) : undefined;
  const database = pg ? (kept?.database ?? (await pg.newDatabase())) : undefined;
  if (pg && database) keptClusters.set(root, { pg, database });
  const server = await startServer({
    configPath,
    dataDir,
    ...(database ? { database } : {}),
    port: 0,
    logger: testLogger(root),
    sourcePollMs: 3_600_000,
    executorPollMs: 50,
    stopLeftovers: stopLeftoverRevisions,
    ...(options.leaseMs ? { leaseMs: options.leaseMs } : {}),
    ...(options.secrets ? { secrets: options.secrets } : {}),
    ...(options.targetKinds ? { targetKinds: options.targetKinds } : {}),
    onBootstrapToken: (t) => (token = t),
  });
  const api = async <T>(method: 'GET' | 'POST', path: string, body?: unknown) => {
    const res = await server.app.inject({ method, url: path, headers: { authorization: `Bearer ${token}` }, ...(body === undefined ? {} : { payload: body as object }) });
    return { status: res.statusCode, body: res.json<T>() };
  };
  const finished = async (runId: number, timeoutMs = 60_000) => {
    const view = async () => (await api<{ run: RunView; steps: StepView[] }>('GET', `/api/v1/runs/${runId}`)).body;
    try {
      return await until(`run #${runId} to finish`, async () => {
        const body = await view();
        return ['succeeded', 'failed', 'cancelled'].includes(body.run.state) ? body : undefined;
      }, timeoutMs);
    } catch (error: unknown) {
      // A run that never ends is diagnosed by where it stands: each step's state and last message.
      const body = await view().catch(() => undefined);
      const steps = body?.steps.map((s) => `${s.key} ${s.state}${s.message ? ` (${s.message})` : ''}`).join('; ');
      throw new Error(`${error instanceof Error ? error.message : String(error)}; run is ${body?.run.state ?? 'unreadable'}: ${steps ?? ''}`);
    }
  };
  return {
    server,
    token,
    dataDir,
    api,
    finished,
    async runFor(branch, afterId = 0) {
      // Ask the watcher on every probe: a poll that failed (a busy machine, a git lock) is simply tried again.
      return until(`a run for ${branch}`, async () => {
        await server.watcher.poll();
        const r = await api<{ runs: RunView[] }>('GET', `/api/v1/runs?branch=${encodeURIComponent(branch)}&limit=1`);
        const run = r.body.runs[0];
        return run && run.id > afterId ? run : undefined;
      }, 60_000, 200);
    },
    async close() {
      await server.close();
      await pg?.stop({ keep: true });
    },
  };
}
