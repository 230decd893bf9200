import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../../kernel/logger.js';
import { TargetError } from '../../errors/index.js';
import { withLaunchLock } from './launch-lock.js';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function readRecord(file: string): Promise<{ url: string; pid: number } | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as { url: string; pid: number };
  } catch {
    // Missing, or (from an older agent) caught half written: ask again shortly.
    return undefined;
  }
}

/** dist/cli/main.js of this package, whether we run from dist/ or from src/ (tests). */
export function cliEntry(): string {
  const here = fileURLToPath(import.meta.url);
  const root = resolve(dirname(here), '..', '..', '..');
  return join(root, 'dist', 'cli', 'main.js');
}

export interface LaunchOptions {
  readonly targetName: string;
  readonly configPath: string;
  readonly dataDir: string;
  readonly port: number | undefined;
  /** A token from the secret store (tokenSecret in gantry.yaml); else one is made and kept in the data dir. */
  readonly token: string | undefined;
  readonly logger: Logger;
  /** Passed on as `--run-as`: the user revisions run as. */
  readonly runAs?: string | null;
  /** Passed on as `--revisions-dir`: outside the data folder, where the run-as user can reach it. */
  readonly revisionsDir?: string;
  /** More `gantry agent` flags: the docker kind's `--runtime docker --docker-host <engine>`. */
  readonly agentArgs?: readonly string[];
}

/**
 * Starts a local target's agent when none answers, detached, so that it outlives the control plane:
 * a restart or crash of `gantry server` must not take user traffic down with it.
 */
export class AgentLauncher {
  private url: string | undefined;
  private starting: Promise<string> | undefined;
  readonly token: Promise<string>;

  constructor(private readonly o: LaunchOptions) {
    this.token = this.loadToken();
  }

  private async loadToken(): Promise<string> {
    if (this.o.token) return this.o.token;
    await mkdir(this.o.dataDir, { recursive: true, mode: 0o700 });
    const file = join(this.o.dataDir, 'agent.token');
    if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
    const token = `gta_${randomBytes(24).toString('base64url')}`;
    await writeFile(file, `${token}\n`, { mode: 0o600 });
    await chmod(file, 0o600);
    return token;
  }

  private async healthy(url: string): Promise<boolean> {
    try {
      const res = await fetch(`${url}/v1/health`, { headers: { authorization: `Bearer ${await this.token}` }, signal: AbortSignal.timeout(5_000) });
      return res.ok;
    } catch {
      return false;
    }
  }

  /** The agent's URL, starting the agent first if none runs. Once known it is trusted until a call fails. */
  async ensure(): Promise<string> {
    if (this.url) return this.url;
    this.starting ??= this.start().finally(() => (this.starting = undefined));
    return this.starting;
  }

  /** A call could not reach the agent: look again (and start one if it is really gone) next time. */
  invalidate(): void {
    this.url = undefined;
  }

  /** One server at a time, across every server sharing the agents folder (see launch-lock.ts). */
  private start(): Promise<string> {
    return withLaunchLock(join(this.o.dataDir, 'launch.lock'), () => this.startLocked());
  }

  private async startLocked(): Promise<string> {
    const recorded = join(this.o.dataDir, 'agent.json');
    const previous = await readRecord(recorded);
    if (previous && (await this.healthy(previous.url))) return (this.url = previous.url);
    if (previous && isAlive(previous.pid)) {
      // A busy agent answers late; a second agent would only fight it for the ports.
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline) {
        if (await this.healthy(previous.url)) return (this.url = previous.url);
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new TargetError('AGENT_UNREACHABLE', `the agent of target ${this.o.targetName} (pid ${previous.pid}) runs but does not answer`, { retryable: true, hint: `See ${join(this.o.dataDir, 'agent.log')}.` });
    }
    await mkdir(this.o.dataDir, { recursive: true, mode: 0o700 });
    const tokenFile = join(this.o.dataDir, 'agent.token');
    if (!existsSync(tokenFile)) await writeFile(tokenFile, `${await this.token}\n`, { mode: 0o600 });
    const log = openSync(join(this.o.dataDir, 'agent.log'), 'a');
    const before = previous?.pid;
    const child = spawn(
      process.execPath,
      [
        ...[cliEntry(), 'agent', '--config', this.o.configPath, '--data-dir', this.o.dataDir, '--target', this.o.targetName, '--port', String(this.o.port ?? 0), '--token-file', tokenFile],
        ...(this.o.runAs ? ['--run-as', this.o.runAs] : []),
        ...(this.o.revisionsDir ? ['--revisions-dir', this.o.revisionsDir] : []),
        ...(this.o.agentArgs ?? []),
      ],
      { detached: true, stdio: ['ignore', log, log], env: { ...agentEnvironment(process.env), GANTRY_AGENT_TOKEN: await this.token } },
    );
    child.unref();
    closeSync(log);
    this.o.logger.info({ target: this.o.targetName, pid: child.pid }, 'started the local agent');
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const record = await readRecord(recorded);
      if (record && (record.pid !== before || record.pid === child.pid) && (await this.healthy(record.url))) return (this.url = record.url);
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    // One that never answered is stopped: left running, it would outlive everything that knows of it
    // and hold its ports against the agent the next attempt starts.
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    // An agent that said why it gave up (a port another program holds, a config it refuses) would
    // only say it again: the step fails at once. One that never answered may be slow: retried.
    const why = child.exitCode !== null ? await startFailure(join(this.o.dataDir, 'agent.log')) : undefined;
    throw new TargetError('AGENT_UNREACHABLE', `the agent for target ${this.o.targetName} did not start${why ? `: ${why}` : ''}`, { hint: `See ${join(this.o.dataDir, 'agent.log')}.`, retryable: why === undefined });
  }
}

/** The error an agent printed when it gave up starting (`CODE: message`, as the CLI prints it), from the end of its log. */
async function startFailure(logFile: string): Promise<string | undefined> {
  const text = await readFile(logFile, 'utf8').catch(() => '');
  return text.slice(-8_192).split('\n').reverse().find((line) => /^[A-Z][A-Z_]+: \S/.test(line));
}

/**
 * The server's environment without what only the control plane may hold: the master key and
 * secrets given as GANTRY_SECRET_<NAME> (an agent gets a revision's secrets in its spec and seals
 * them with its own key), the database URL with its password, and the CLI's API token. Agents outlive the server, so anything passed
 * here would sit in a long-lived process's environment for nothing.
 */
export function agentEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([key]) => !(key === 'GANTRY_MASTER_KEY' || key === 'GANTRY_TOKEN' || key === 'GANTRY_DATABASE_URL' || key.startsWith('GANTRY_SECRET_'))));
}
