import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiClient } from './client.js';
import { createOutput, type Output } from './output.js';

export interface GlobalOptions {
  config: string;
  server?: string;
  token?: string;
  output: 'text' | 'json';
  yes?: boolean;
  dataDir: string;
}

export const DEFAULT_DATA_DIR = '.gantry';
export const DEFAULT_SERVER = 'http://127.0.0.1:7400';

export interface CliContext {
  readonly options: GlobalOptions;
  readonly out: Output;
  client(): ApiClient;
}

function readIfExists(file: string): string | undefined {
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
}

/** Flags first, then the environment, then what a local `gantry server` left in its data dir. */
export function createContext(options: GlobalOptions): CliContext {
  const out = createOutput(options.output === 'json');
  return {
    options,
    out,
    client() {
      const serverJson = readIfExists(join(options.dataDir, 'server.json'));
      const localUrl = serverJson ? (JSON.parse(serverJson) as { url?: string }).url : undefined;
      const server = options.server ?? process.env.GANTRY_SERVER ?? localUrl ?? DEFAULT_SERVER;
      const token = options.token ?? process.env.GANTRY_TOKEN ?? readIfExists(join(options.dataDir, 'admin.token'));
      return new ApiClient(server.replace(/\/+$/, ''), token);
    },
  };
}
