import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serverLogFile } from './sweep.js';
import { until } from './temp.js';

export const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly url: string;
}

/** `gantry server` as a real process (so a test can kill -9 it), with short leases so a restart resumes quickly; `extraArgs` are further flags. */
export async function startServerProcess(configPath: string, dataDir: string, extraArgs: readonly string[] = []): Promise<ServerProcess> {
  // With the secret sweep on, the server logs more, to a file beside its data dir that the sweep searches.
  const logFile = serverLogFile(dirname(dataDir));
  const child = spawn(process.execPath, [CLI, 'server', '--config', configPath, '--data-dir', dataDir, '--port', '0', '--poll', '1h', ...extraArgs], {
    env: { ...process.env, GANTRY_LEASE_MS: '1000', GANTRY_LOG_LEVEL: logFile ? 'debug' : 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const log = logFile ? createWriteStream(logFile, { flags: 'a' }) : undefined;
  child.stdout?.on('data', (c: Buffer) => {
    output += c.toString();
    log?.write(c);
  });
  child.stderr?.on('data', (c: Buffer) => {
    output += c.toString();
    log?.write(c);
  });
  child.once('close', () => log?.end());
  const url = await until(`the server to listen (output so far: ${output})`, () => /listening on (http:\/\/\S+)/.exec(output)?.[1], 30_000);
  return { child, url };
}
