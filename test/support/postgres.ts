import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { until } from './temp.js';
import { freePort } from './free-port.js';

/** Debian's `postgresql` package puts its binaries here (`.ci/run` installs it when missing). */
const PG_LIB = '/usr/lib/postgresql';

export interface TestPostgres {
  /** `postgres://gantry@127.0.0.1:<port>/postgres`: the cluster's maintenance database. */
  readonly url: string;
  readonly port: number;
  /** The cluster's folder (its data in `data/`). */
  readonly dir: string;
  /** False once stopped (or exited). */
  readonly running: boolean;
  /** A new, empty database of its own for one test; returns its URL. */
  newDatabase(): Promise<string>;
  /** What the server wrote, for a failing test's message. */
  log(): string;
  /** Stops the cluster (fast shutdown, then SIGKILL) and removes its folder, unless `keep` (to start it again on it). */
  stop(options?: { keep?: boolean }): Promise<void>;
}

export interface StartPostgresOptions {
  /** A folder a stopped cluster was kept in (`stop({ keep: true })`): started again on its data. */
  readonly dir?: string;
}

export function postgresBinDir(): string | undefined {
  if (!existsSync(PG_LIB)) return undefined;
  const versions = readdirSync(PG_LIB).filter((v) => existsSync(join(PG_LIB, v, 'bin', 'postgres'))).sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(PG_LIB, versions[0], 'bin') : undefined;
}


/** PostgreSQL refuses to run as root; as root, the cluster runs as the package's `postgres` user (or nobody). */
function clusterUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const name of ['postgres', 'nobody']) {
    const id = spawnSync('id', ['-u', name], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
    if (id.status === 0 && gid.status === 0) return { uid: Number(id.stdout.trim()), gid: Number(gid.stdout.trim()) };
  }
  throw new Error('running as root and neither a postgres nor a nobody user exists to run PostgreSQL as');
}

let databases = 0;

/**
 * Clusters this process started and has not stopped. When it exits without stopping them (a test
 * that failed before its stop()), each one's watchdog is told at once (SIGUSR1: stop, remove the
 * folder) rather than at its next look for this process.
 */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGUSR1');
});

/**
 * A private PostgreSQL cluster for a test file: `initdb` into a new folder under /tmp, a free port on
 * 127.0.0.1, trust authentication for the `gantry` role, no fsync (the tests need no crash safety of
 * their own database). Never touches a system cluster. Call `stop()` in afterAll.
 */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<TestPostgres> {
  const bin = postgresBinDir();
  if (!bin) throw new Error(`PostgreSQL is not installed under ${PG_LIB}: apt-get install postgresql (.ci/run does it)`);
  const user = clusterUser();
  // Under /tmp rather than the suite's folder: the cluster's user must be able to reach it.
  const dir = options.dir ?? (await mkdtemp('/tmp/gantry-pg-'));
  const data = join(dir, 'data');
  if (user) await chown(dir, user.uid, user.gid);
  const asUser = user ? { uid: user.uid, gid: user.gid } : {};
  const reuse = existsSync(join(data, 'PG_VERSION'));
  const init = reuse ? { status: 0, stderr: '', stdout: '' } : spawnSync(join(bin, 'initdb'), ['-D', data, '-U', 'gantry', '--auth=trust', '-E', 'UTF8', '--no-sync', '--locale=C.UTF-8'], { encoding: 'utf8', ...asUser, cwd: dir });
  if (init.status !== 0) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${init.stderr || init.stdout}`);
  }
  const port = await freePort();
  const args = ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=300'];
  // Through a watchdog shell that ends the cluster when this process is gone, however it ended (a
  // test worker torn down with SIGTERM or SIGKILL runs no exit handler); SIGINT or SIGTERM to the
  // shell is PostgreSQL's fast shutdown.
  const watchdog = `"$0" "$@" & pg=$!; gone() { kill -INT $pg; wait $pg; rm -rf '${dir}'; exit 0; }; trap 'kill -INT $pg; wait $pg; exit 0' INT TERM; trap gone USR1; while [ -d /proc/${process.pid} ]; do kill -0 $pg 2>/dev/null || { wait $pg; exit $?; }; sleep 1; done; gone`;
  const child: ChildProcess = spawn('sh', ['-c', watchdog, join(bin, 'postgres'), ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], ...asUser });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-20_000)));
  running.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => running.delete(child));
  let gone = false;
  void exited.then(() => (gone = true));
  const url = `postgres://gantry@127.0.0.1:${port}/postgres`;
  const stop = async (stopOptions: { keep?: boolean } = {}): Promise<void> => {
    if (!gone) {
      // SIGINT is PostgreSQL's fast shutdown: it ends every session and exits.
      child.kill('SIGINT');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    }
    if (!stopOptions.keep) await rm(dir, { recursive: true, force: true });
  };
  const query = async (text: string): Promise<void> => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(text);
    } finally {
      await client.end();
    }
  };
  try {
    await until('PostgreSQL to accept connections', async () => {
      if (gone) throw new Error(`postgres exited: ${output.slice(-2000)}`);
      return query('select 1').then(() => true, () => false);
    }, 30_000, 50);
  } catch (error: unknown) {
    await stop();
    throw error;
  }
  return {
    url,
    port,
    log: () => output,
    stop,
    dir,
    get running() {
      return !gone;
    },
    async newDatabase(): Promise<string> {
      const name = `gantry_${process.pid}_${++databases}`;
      await query(`create database ${name}`);
      return `postgres://gantry@127.0.0.1:${port}/${name}`;
    },
  };
}
