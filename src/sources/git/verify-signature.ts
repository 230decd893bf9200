import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CommitSignature } from '../../domain/push-policy.js';

/** A commit object as `git cat-file commit <sha>` prints it, as the pre-receive hook sends it. */
export interface RawCommit {
  readonly sha: string;
  readonly raw: Buffer;
}

export interface TrustedKeys {
  /**
   * Armored public keys. A bare fingerprint cannot verify anything by itself (there is no keyserver
   * lookup): it is skipped, and a commit signed by that key reads as signed but untrusted.
   */
  readonly gpg: readonly string[];
  /** allowed_signers lines: "principal key-type key". */
  readonly ssh: readonly string[];
}

interface Exec {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function exec(file: string, args: readonly string[], env: NodeJS.ProcessEnv, cwd: string, input?: Buffer | string): Promise<Exec> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { env, cwd, encoding: 'utf8', maxBuffer: 4 * 1024 * 1024, timeout: 30_000 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') return reject(error);
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
    // A command that reads no input (verify-commit) may exit before stdin is closed: the EPIPE that
    // follows is expected, and unhandled it would take the server down.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input ?? '');
  });
}

const signatureOf = (raw: Buffer): 'gpg' | 'ssh' | null => {
  const headers = raw.toString('utf8').split('\n\n', 1)[0] ?? '';
  const sig = /^gpgsig(?:-sha256)? (.*)$/m.exec(headers)?.[1];
  if (!sig) return null;
  return sig.includes('BEGIN SSH SIGNATURE') ? 'ssh' : 'gpg';
};

/**
 * Verifies the signatures of commit objects against the trusted keys only: the objects are written
 * into a scratch bare repository, the armored GPG keys imported into a private GNUPGHOME and the
 * SSH lines written to an allowed_signers file, then `git verify-commit --raw` runs per commit.
 * The scratch folder (under `parent`, the OS temp dir by default) is created per call and removed
 * afterwards, so a key removed from gantry.yaml stops counting at once and nothing is shared with
 * the server user's own keyring or git configuration.
 */
export async function verifyCommitSignatures(commits: readonly RawCommit[], keys: TrustedKeys, parent = tmpdir()): Promise<CommitSignature[]> {
  if (commits.length === 0) return [];
  const root = await mkdtemp(join(parent, 'gantry-verify-'));
  try {
    const gnupg = join(root, 'gnupg');
    const repo = join(root, 'repo.git');
    const signers = join(root, 'allowed_signers');
    await mkdir(gnupg, { mode: 0o700 });
    await writeFile(signers, keys.ssh.map((line) => `${line.trim()}\n`).join(''), { mode: 0o600 });
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: root, GNUPGHOME: gnupg, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', LC_ALL: 'C' };
    const armored = keys.gpg.filter((k) => k.includes('BEGIN PGP PUBLIC KEY BLOCK'));
    if (armored.length > 0) await exec('gpg', ['--batch', '--quiet', '--import'], env, root, armored.join('\n'));
    await exec('git', ['init', '--quiet', '--bare', repo], env, root);
    const results: CommitSignature[] = [];
    for (const commit of commits) {
      const kind = signatureOf(commit.raw);
      if (!kind) {
        results.push({ sha: commit.sha, signed: false, trusted: false, key: null });
        continue;
      }
      const written = await exec('git', ['hash-object', '-t', 'commit', '-w', '--stdin'], env, repo, commit.raw);
      if (written.code !== 0 || written.stdout.trim() !== commit.sha) {
        results.push({ sha: commit.sha, signed: true, trusted: false, key: 'a commit whose content does not match its id' });
        continue;
      }
      const verified = await exec('git', ['-c', `gpg.ssh.allowedSignersFile=${signers}`, 'verify-commit', '--raw', commit.sha], env, repo);
      results.push({ sha: commit.sha, signed: true, ...(kind === 'gpg' ? gpgVerdict(verified) : sshVerdict(verified)) });
    }
    return results;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** `[GNUPG:] VALIDSIG <fpr> … <primary fpr>` from an imported key, with no expired or revoked key. */
function gpgVerdict(v: Exec): { trusted: boolean; key: string | null } {
  const fields = /^\[GNUPG:\] VALIDSIG (.*)$/m.exec(v.stderr)?.[1]?.split(' ') ?? [];
  const key = fields[0] ?? /^\[GNUPG:\] (?:ERRSIG|NO_PUBKEY) (\S+)/m.exec(v.stderr)?.[1] ?? null;
  const good = v.code === 0 && fields.length > 0 && /^\[GNUPG:\] GOODSIG /m.test(v.stderr) && !/^\[GNUPG:\] (EXPKEYSIG|REVKEYSIG|EXPSIG|BADSIG)/m.test(v.stderr);
  // Every key in the private keyring came from gantry.yaml, so a good signature is a trusted one.
  return { trusted: good, key };
}

/** `Good "git" signature for <principal> with <type> key SHA256:…`, which needs an allowed_signers match. */
function sshVerdict(v: Exec): { trusted: boolean; key: string | null } {
  const text = `${v.stdout}\n${v.stderr}`;
  const key = /(SHA256:[A-Za-z0-9+/=]+)/.exec(text)?.[1] ?? null;
  return { trusted: v.code === 0 && /Good "git" signature/.test(text), key };
}
