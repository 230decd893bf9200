import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { UsageError } from '../errors/index.js';

/** What `gantry login` keeps: one server and the token for it. */
export interface SavedLogin {
  readonly server: string;
  readonly token: string;
  /** Who the server said the token belongs to, when it was saved. */
  readonly user: string | null;
  readonly savedAt: string;
}

/** Owner only: the token is as good as a password. */
export const CREDENTIALS_FILE_MODE = 0o600;
export const CREDENTIALS_FOLDER_MODE = 0o700;

/** $XDG_CONFIG_HOME/gantry/credentials.json, else ~/.config/gantry/credentials.json (the XDG base directory default). */
export function credentialsFile(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.startsWith('/') ? env.XDG_CONFIG_HOME : join(env.HOME ?? homedir(), '.config');
  return join(base, 'gantry', 'credentials.json');
}

/** The saved login, if any; a file that is not what `gantry login` writes is named rather than ignored (it would silently change which server is used). */
export function readLogin(file = credentialsFile()): SavedLogin | undefined {
  if (!existsSync(file)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch {
    parsed = undefined;
  }
  const p = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Partial<Record<keyof SavedLogin, unknown>>;
  if (typeof p.server !== 'string' || typeof p.token !== 'string') {
    throw new UsageError('USAGE', `${file} is not a saved login (JSON with "server" and "token")`, { hint: 'Run `gantry logout` to remove it, then `gantry login <url>` again.' });
  }
  return { server: p.server, token: p.token, user: typeof p.user === 'string' ? p.user : null, savedAt: typeof p.savedAt === 'string' ? p.savedAt : '' };
}

/** Writes the login with mode 0600 in a 0700 folder, through a temporary file, so a reader never sees half of it. */
export function saveLogin(login: SavedLogin, file = credentialsFile()): void {
  const folder = dirname(file);
  mkdirSync(folder, { recursive: true, mode: CREDENTIALS_FOLDER_MODE });
  // mkdir's mode is filtered by the umask, and a folder made before keeps its mode: set it.
  chmodSync(folder, CREDENTIALS_FOLDER_MODE);
  const partial = `${file}.${process.pid}.tmp`;
  writeFileSync(partial, `${JSON.stringify(login, null, 2)}\n`, { mode: CREDENTIALS_FILE_MODE });
  chmodSync(partial, CREDENTIALS_FILE_MODE);
  renameSync(partial, file);
}

/** Removes the saved login; false when there was none. */
export function removeLogin(file = credentialsFile()): boolean {
  if (!existsSync(file)) return false;
  rmSync(file, { force: true });
  return true;
}
