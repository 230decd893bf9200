import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors/index.js';
import { ApiClient } from './client.js';
import { readLogin } from './credentials.js';
import { discoverConfig, discoverDataDir, type OptionSource } from './discovery.js';
import { createOutput, type Output } from './output.js';

export interface GlobalOptions {
  config: string;
  /** Where --config and --data-dir came from (program.ts asks commander): a default is looked for up to the repository root. */
  configSource?: OptionSource;
  dataDirSource?: OptionSource;
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
  /** With --config and --data-dir as discovered (discovery.ts), not as commander's defaults. */
  readonly options: GlobalOptions;
  readonly out: Output;
  client(): ApiClient;
  /** The server and token client() uses, with where each came from (for `gantry version` and `gantry doctor`). */
  connection(): Connection;
}

export interface Connection {
  readonly server: string;
  readonly serverFrom: string;
  readonly token: string | undefined;
  readonly tokenFrom: string | undefined;
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

/**
 * Flags first, then the environment, then the saved login (`gantry login`), then what a local
 * `gantry server` left in its data dir, then the default. The saved token goes only to the server
 * it was saved for: `--server` elsewhere falls back to the data dir's token.
 */
export function chooseConnection(options: GlobalOptions): Connection {
  const given = options.server ?? process.env.GANTRY_SERVER;
  const flagged = options.token ?? process.env.GANTRY_TOKEN;
  const saved = given === undefined || flagged === undefined ? readLogin() : undefined;
  const local = given === undefined && saved === undefined ? localServerUrl(options.dataDir) : undefined;
  const [raw, serverFrom] =
    given !== undefined ? [given, '--server or GANTRY_SERVER'] : saved !== undefined ? [saved.server, 'the saved login'] : local !== undefined ? [local, `from ${join(options.dataDir, 'server.json')}`] : [DEFAULT_SERVER, 'the default'];
  const server = serverUrl(raw, serverFrom);
  const tokenFile = join(options.dataDir, 'admin.token');
  const [rawToken, tokenFrom] =
    flagged !== undefined ? [flagged, '--token or GANTRY_TOKEN'] : saved !== undefined && serverUrl(saved.server, 'the saved login') === server ? [saved.token, 'the saved login'] : [readIfExists(tokenFile), `from ${tokenFile}`];
  const token = checkToken(rawToken, tokenFrom);
  return { server, serverFrom, token, tokenFrom: token === undefined ? undefined : tokenFrom };
}

export function createContext(given: GlobalOptions): CliContext {
  const options: GlobalOptions = { ...given, config: discoverConfig(given.config, given.configSource), dataDir: discoverDataDir(given.dataDir, given.dataDirSource) };
  const out = createOutput(options.output);
  return {
    options,
    out,
    connection: () => chooseConnection(options),
    client() {
      const { server, token } = chooseConnection(options);
      return new ApiClient(server, token);
    },
  };
}
