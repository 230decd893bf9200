import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { until } from './temp.js';

export const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly url: string;
}

/** `gantry server` as a real process (so a test can kill -9 it), with short leases so a restart resumes quickly. */
export async function startServerProcess(configPath: string, dataDir: string): Promise<ServerProcess> {
  const child = spawn(process.execPath, [CLI, 'server', '--config', configPath, '--data-dir', dataDir, '--port', '0', '--poll', '1h'], {
    env: { ...process.env, GANTRY_LEASE_MS: '1000', GANTRY_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const url = await until(`the server to listen (output so far: ${output})`, () => /listening on (http:\/\/\S+)/.exec(output)?.[1], 30_000);
  return { child, url };
}
