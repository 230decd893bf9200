import { execFile } from 'node:child_process';
import { mkdir, rm, statfs, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from 'pino';
import { GantryError } from '../../errors/index.js';

const run = promisify(execFile);
/** statfs(2) f_type of tmpfs (linux/magic.h): secrets must never reach a disk. */
const TMPFS_MAGIC = 0x01021994;
/** Where the container sees its secret files (read-only). */
export const SECRETS_MOUNT = '/run/gantry/secrets';
/** A secret's key becomes a shell variable name, and a file name. */
const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

const isTmpfs = async (dir: string): Promise<boolean> => (await statfs(dir).catch(() => null))?.type === TMPFS_MAGIC;

/**
 * The loader the container's shell runs before the command: each file of the secrets folder is
 * exported as the variable of its name, with the file's content (trailing newlines dropped). The
 * script holds no value, so `docker inspect` and /proc/<pid>/cmdline show none; dash builtins only.
 */
export const SECRETS_LOADER = `for f in ${SECRETS_MOUNT}/*; do [ -f "$f" ] || continue; v=$(while IFS= read -r l || [ -n "$l" ]; do printf '%s\\n' "$l"; done < "$f"); export "\${f##*/}=$v"; done; unset f v l`;

/**
 * The replicas' secrets as files (mode 0400), one folder per container, on a tmpfs of the agent's
 * host: `<dataDir>/secrets` when the agent (as root) may mount one there, else /dev/shm. Removed
 * when the replica stops; the tmpfs is left mounted while containers the agent left may read it.
 */
export class SecretFiles {
  private root: Promise<string> | undefined;

  constructor(
    private readonly dataDir: string,
    private readonly scope: string,
    private readonly logger: Logger,
  ) {}

  /** The tmpfs folder, mounted on first use; a clear error when no tmpfs is at hand. */
  folder(): Promise<string> {
    this.root ??= this.find();
    return this.root;
  }

  private async find(): Promise<string> {
    const own = join(this.dataDir, 'secrets');
    await mkdir(own, { recursive: true, mode: 0o700 });
    if (await isTmpfs(own)) return own;
    if (process.getuid?.() === 0) {
      try {
        await run('mount', ['-t', 'tmpfs', '-o', 'size=16m,mode=0700,nodev,nosuid,noexec', 'gantry-secrets', own]);
        if (await isTmpfs(own)) return own;
      } catch (error: unknown) {
        this.logger.warn({ err: error }, `cannot mount a tmpfs on ${own}; secrets go to /dev/shm`);
      }
    }
    const shm = join('/dev/shm', `gantry-${this.scope}`);
    await mkdir(shm, { recursive: true, mode: 0o700 });
    if (await isTmpfs(shm)) return shm;
    throw new GantryError('TARGET_ERROR', `no tmpfs for the secret files: neither ${own} (mount needs root) nor /dev/shm is one`, {
      hint: 'Run the agent as root, or give the host a tmpfs at /dev/shm; secrets are never written to a disk.',
    });
  }

  /** Refuses a key the loader cannot export (checked before a revision is accepted). */
  static checkKeys(keys: readonly string[]): void {
    const bad = keys.find((key) => !KEY.test(key));
    if (bad !== undefined) throw new GantryError('BAD_REQUEST', `secret key "${bad}" is not a variable name`, { where: 'body.secretKeys', hint: 'Secret keys are exported as environment variables: letters, digits and _, not starting with a digit.' });
  }

  /** Writes the replica's secret files; returns the folder to bind-mount, or null when it has none. */
  async write(container: string, secrets: Readonly<Record<string, string>>): Promise<string | null> {
    const keys = Object.keys(secrets);
    if (keys.length === 0) return null;
    SecretFiles.checkKeys(keys);
    const dir = join(await this.folder(), container);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { mode: 0o700 });
    for (const key of keys) await writeFile(join(dir, key), secrets[key] ?? '', { mode: 0o400 });
    return dir;
  }

  async remove(container: string): Promise<void> {
    if (this.root === undefined) return;
    await rm(join(await this.root, container), { recursive: true, force: true });
  }

  /** Unmounts the agent's own tmpfs (the agent stops with its revisions); /dev/shm stays. */
  async release(): Promise<void> {
    if (this.root === undefined) return;
    const root = await this.root.catch(() => null);
    this.root = undefined;
    if (root === join(this.dataDir, 'secrets')) await run('umount', [root]).catch((error: unknown) => this.logger.warn({ err: error }, `cannot unmount ${root}`));
  }
}
