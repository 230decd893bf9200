import { readFileSync } from 'node:fs';
import { lchown, lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { GantryError } from '../errors/index.js';

/**
 * The user the code being tested runs as (gates, builds, audits, verification commands): never
 * the server's own user when that is root, so that it cannot read the data folder (master.key,
 * gantry.db, every environment's secrets). Debian's `nobody` exists on every system.
 */
export const DEFAULT_RUN_AS_USER = 'nobody';

export interface RunAsUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

interface PasswdEntry extends RunAsUser {
  readonly home: string;
}

/** A user from /etc/passwd by name or numeric uid; undefined when there is none. */
export function lookupUser(nameOrUid: string, passwd = readPasswd()): PasswdEntry | undefined {
  for (const line of passwd.split('\n')) {
    const [name, , uid, gid, , home] = line.split(':');
    if (name === undefined || uid === undefined || gid === undefined) continue;
    if (name === nameOrUid || uid === nameOrUid) return { name, uid: Number(uid), gid: Number(gid), home: home ?? '/' };
  }
  return undefined;
}

function readPasswd(): string {
  try {
    return readFileSync('/etc/passwd', 'utf8');
  } catch {
    return '';
  }
}

/**
 * Who commands run as. As root: the requested user (default `nobody`), which must exist and not be
 * root. As anyone else: themselves (only root can switch users), so `--run-as` is refused unless it
 * names that same user. Null: commands run as the server's user.
 */
export function resolveRunAs(requested: string | undefined, currentUid = process.getuid?.() ?? -1): RunAsUser | null {
  if (currentUid !== 0) {
    if (requested === undefined || lookupUser(requested)?.uid === currentUid) return null;
    throw new GantryError('RUN_AS_INVALID', `--run-as ${requested}: only a server started as root can run commands as another user`, {
      hint: 'Start gantry server as root to run gates as an unprivileged user, or leave --run-as out (commands then run as the server\'s own user).',
    });
  }
  const name = requested ?? DEFAULT_RUN_AS_USER;
  const user = lookupUser(name);
  if (!user) {
    throw new GantryError('RUN_AS_INVALID', `--run-as ${name}: no such user in /etc/passwd`, {
      hint: `Create an unprivileged user for Gantry's commands (e.g. \`useradd --system --no-create-home gantry-run\`) and pass --run-as gantry-run.`,
    });
  }
  if (user.uid === 0) {
    throw new GantryError('RUN_AS_INVALID', `--run-as ${name}: commands must not run as root, which can read the data folder and every secret`, {
      hint: `Pass an unprivileged user, e.g. --run-as ${DEFAULT_RUN_AS_USER}.`,
    });
  }
  return { name: user.name, uid: user.uid, gid: user.gid };
}

/** `chown -R`, without following symbolic links (a commit or an artifact may hold one pointing anywhere). */
export async function chownTree(path: string, user: RunAsUser): Promise<void> {
  await lchown(path, user.uid, user.gid);
  const info = await lstat(path);
  if (!info.isDirectory()) return;
  for (const entry of await readdir(path)) await chownTree(join(path, entry), user);
}

const shellQuote = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`;

/**
 * A shell command that drops to `user` (uid, gid, no supplementary groups) and runs `command`:
 * for a process whose launcher must act as root first (the supervisor moves it into its cgroup).
 * `exec` keeps the pid and the process group; util-linux's setpriv is on every Debian.
 */
export function asUserCommand(user: RunAsUser, command: string): string {
  return `exec setpriv --reuid=${user.uid} --regid=${user.gid} --clear-groups -- /bin/sh -c ${shellQuote(command)}`;
}
