import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors/index.js';
import { ApiClient } from './client.js';
import { createOutput, type Output } from './output.js';

export interface GlobalOptions {
  config: string;
  server?: string;
  token?: string;
  output: 'text' | 'json' | 'yaml';
  /** false with --no-headers: list tables without their header row. */
  headers: boolean;
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

/** The `url` a local server left in its data dir; a file that is not what the server writes is named, not parsed blindly. */
function localServerUrl(dataDir: string): string | undefined {
  const file = join(dataDir, 'server.json');
  const text = readIfExists(file);
  if (text === undefined) return undefined;
  let url: unknown;
  try {
    url = (JSON.parse(text) as { url?: unknown }).url;
  } catch {
    url = undefined;
  }
  if (typeof url === 'string') return url;
  throw new UsageError('USAGE', `${file} is not a server address file (JSON with a "url")`, { hint: 'Delete it (a running `gantry server` writes it again at start), or pass --server.' });
}

/** An http(s) URL; else a usage error naming where the address came from. */
function serverUrl(value: string, from: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new UsageError('USAGE', `the server address ${JSON.stringify(value)} (${from}) is not an http(s) URL`, { hint: 'For example --server http://127.0.0.1:7400, the address `gantry server` prints.' });
  }
  return value.replace(/\/+$/, '');
}

/** A token travels in an HTTP header: a line break or space in it (a copy-paste slip) is named here, not reported as an unreachable server. */
function checkToken(token: string | undefined, from: string): string | undefined {
  if (token === undefined || token === '') return undefined;
  if (/^[\x21-\x7e]+$/.test(token)) return token;
  const what = /[\r\n]/.test(token) ? 'a line break' : /\s/.test(token) ? 'a space' : 'a character that is not printable ASCII';
  throw new UsageError('USAGE', `the API token (${from}) contains ${what}`, { hint: 'Pass the token exactly as `gantry token create` printed it: one line, nothing before or after it.' });
}

/** Flags first, then the environment, then what a local `gantry server` left in its data dir. */
export function createContext(options: GlobalOptions): CliContext {
  const out = createOutput(options.output);
  return {
    options,
    out,
    client() {
      const given = options.server ?? process.env.GANTRY_SERVER;
      const local = given === undefined ? localServerUrl(options.dataDir) : undefined;
      const server = serverUrl(given ?? local ?? DEFAULT_SERVER, given !== undefined ? '--server or GANTRY_SERVER' : local !== undefined ? `from ${join(options.dataDir, 'server.json')}` : 'the default');
      const tokenFile = join(options.dataDir, 'admin.token');
      const flagged = options.token ?? process.env.GANTRY_TOKEN;
      const token = checkToken(flagged ?? readIfExists(tokenFile), flagged !== undefined ? '--token or GANTRY_TOKEN' : `from ${tokenFile}`);
      return new ApiClient(server, token);
    },
  };
}
