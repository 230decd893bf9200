import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScratchRepo } from '../../src/demo/scratch-repo.js';
import { installHooks } from '../../src/sources/git/hook.js';
import { fixtureRepo, writeTree } from '../support/fixture-repo.js';
import { TempDirs } from '../support/temp.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

interface Exec {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

const exec = (file: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Exec> =>
  new Promise((resolve) => {
    execFile(file, args, { ...options, encoding: 'utf8' }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout: stdout.trim(), stderr });
    });
  });

const config = (armoredKey: string, sshSigner: string) => `version: 1
project:
  name: push-protection-test
repository:
  url: .
  defaultBranch: main
services:
  api:
    path: api
    gates:
      - name: lint
        run: echo linted
branches:
  main:
    protection:
      allowDirectPush: false
      allowForcePush: false
      signedCommits: false
  release:
    protection:
      allowDirectPush: true
      allowForcePush: false
      signedCommits: true
signing:
  trustedKeys:
    gpg:
      - |
${armoredKey
  .trim()
  .split('\n')
  .map((l) => `        ${l}`)
  .join('\n')}
    ssh:
      - ${sshSigner}
`;

/** Branch protection on a real bare repository: the pre-receive hook asks the server, `git push` shows the refusal. */
describe('push protection (pre-receive hook)', () => {
  const temp = new TempDirs();
  let t: TestServer;
  let repo: ScratchRepo;
  let gitEnv: NodeJS.ProcessEnv;
  let trustedKey = '';
  let otherKey = '';
  let sshKey = '';

  const git = async (...args: string[]): Promise<string> => {
    const r = await exec('git', args, { cwd: repo.workDir, env: gitEnv });
    if (r.code !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const push = (...args: string[]): Promise<Exec> => exec('git', ['push', 'origin', ...args], { cwd: repo.workDir, env: gitEnv });
  const commit = async (branch: string, file: string, message: string, sign?: string): Promise<string> => {
    await git('checkout', '--quiet', branch);
    await writeTree(repo.workDir, { [file]: `${message}\n` });
    await git('add', '--all');
    const format = sign?.endsWith('.pub') ? ['-c', 'gpg.format=ssh'] : [];
    await git(...format, ...(sign ? ['-c', `user.signingkey=${sign}`, 'commit', '-S'] : ['commit']), '--quiet', '-m', message);
    return git('rev-parse', 'HEAD');
  };
  const resetTo = async (branch: string) => {
    await git('checkout', '--quiet', branch);
    await git('reset', '--quiet', '--hard', `origin/${branch}`);
  };
  const genKey = async (name: string): Promise<string> => {
    const made = await exec('gpg', ['--batch', '--passphrase', '', '--quick-gen-key', `${name} <${name}@example.com>`, 'ed25519', 'sign', 'never'], { env: gitEnv });
    if (made.code !== 0) throw new Error(made.stderr);
    const listed = await exec('gpg', ['--batch', '--with-colons', '--list-keys', `${name}@example.com`], { env: gitEnv });
    return /^fpr:+([0-9A-F]+):/m.exec(listed.stdout)?.[1] ?? '';
  };

  beforeAll(async () => {
    const root = await temp.make();
    const gnupg = join(root, 'gnupg');
    await mkdir(gnupg, { mode: 0o700 });
    gitEnv = { ...process.env, GNUPGHOME: gnupg, GIT_AUTHOR_NAME: 'Ada Demo', GIT_AUTHOR_EMAIL: 'ada@volteryde.example', GIT_COMMITTER_NAME: 'Ada Demo', GIT_COMMITTER_EMAIL: 'ada@volteryde.example' };
    trustedKey = await genKey('trusted');
    otherKey = await genKey('stranger');
    const armored = (await exec('gpg', ['--batch', '--armor', '--export', trustedKey], { env: gitEnv })).stdout;
    sshKey = join(root, 'id_ed25519');
    const made = await exec('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'ada', '-f', sshKey]);
    if (made.code !== 0) throw new Error(made.stderr);
    sshKey = `${sshKey}.pub`;
    const publicKey = (await exec('cat', [sshKey])).stdout.split(' ').slice(0, 2).join(' ');
    const text = config(armored, `ada@volteryde.example ${publicKey}`);
    repo = await fixtureRepo(root, { 'gantry.yaml': text, 'api/x.js': 'export {};\n' });
    await git('branch', 'release');
    await repo.push('release');
    t = await startTestServer(root, repo, text);
    await installHooks(repo.originDir, t.server.url, t.token);
  }, 120_000);
  afterAll(async () => {
    await t.close();
    await temp.cleanup();
  });

  it('refuses a direct push to main with the reason, and leaves main where it was', async () => {
    const before = await git('rev-parse', 'origin/main');
    await commit('main', 'api/direct.js', 'a direct change');
    const r = await push('main');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('remote: gantry: push to refs/heads/main refused: direct push to the protected branch main refused');
    expect((await exec('git', ['rev-parse', 'main'], { cwd: repo.originDir })).stdout).toBe(before);
    await resetTo('main');
  });

  it('refuses a force push to main', async () => {
    await git('checkout', '--quiet', 'main');
    await git('commit', '--quiet', '--amend', '-m', 'history rewritten');
    const r = await push('--force', 'main');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/remote: gantry: push to refs\/heads\/main refused: force push to main refused: [0-9a-f]{10} does not contain [0-9a-f]{10} \(allowForcePush is false\)/);
    await resetTo('main');
  });

  it('accepts a push to a feature branch', async () => {
    await git('checkout', '--quiet', '-b', 'feature/free', 'main');
    await commit('feature/free', 'api/free.js', 'free work');
    const r = await push('feature/free');
    expect(r.stderr).not.toContain('refused');
    expect(r.code).toBe(0);
  });

  it('accepts a merge into main of a branch whose CI passed', async () => {
    await git('checkout', '--quiet', '-b', 'feature/green', 'main');
    const head = await commit('feature/green', 'api/green.js', 'green work');
    expect((await push('feature/green')).code).toBe(0);
    const run = await t.runFor('feature/green');
    expect((await t.finished(run.id)).run.state).toBe('succeeded');
    expect((await t.server.store.branches.get('feature/green'))?.lastGreenSha).toBe(head);
    await git('checkout', '--quiet', 'main');
    await git('merge', '--quiet', '--no-ff', '-m', 'merge feature/green', 'feature/green');
    const r = await push('main');
    expect(r.stderr).not.toContain('refused');
    expect(r.code).toBe(0);
    expect((await exec('git', ['rev-parse', 'main'], { cwd: repo.originDir })).stdout).toBe(await git('rev-parse', 'main'));
  }, 120_000);

  it('refuses a merge into main of a branch whose CI has not passed', async () => {
    await git('checkout', '--quiet', '-b', 'feature/untested', 'main');
    await commit('feature/untested', 'api/untested.js', 'untested work');
    await git('checkout', '--quiet', 'main');
    await git('merge', '--quiet', '--no-ff', '-m', 'merge feature/untested', 'feature/untested');
    const r = await push('main');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('is not a merge of a branch whose CI passed');
    await resetTo('main');
  });

  it('refuses an unsigned commit to a branch that requires signed commits', async () => {
    const sha = await commit('release', 'api/unsigned.js', 'unsigned');
    const r = await push('release');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`remote: gantry: push to refs/heads/release refused: commit ${sha.slice(0, 10)} is not signed; release requires signed commits`);
    await resetTo('release');
  });

  it('refuses a commit signed by a key that is not trusted', async () => {
    const sha = await commit('release', 'api/stranger.js', 'signed by a stranger', otherKey);
    const r = await push('release');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`commit ${sha.slice(0, 10)} is signed by ${otherKey.slice(-16)}, which is not among signing.trustedKeys`);
    await resetTo('release');
  });

  it('accepts a commit signed by a trusted key', async () => {
    const sha = await commit('release', 'api/signed.js', 'signed by a trusted key', trustedKey);
    const r = await push('release');
    expect(r.stderr).not.toContain('refused');
    expect(r.code).toBe(0);
    expect((await exec('git', ['rev-parse', 'release'], { cwd: repo.originDir })).stdout).toBe(sha);
  });

  it('accepts a commit signed with a trusted SSH key (allowed_signers)', async () => {
    const sha = await commit('release', 'api/ssh-signed.js', 'signed with ssh', sshKey);
    const r = await push('release');
    expect(r.stderr).not.toContain('refused');
    expect(r.code).toBe(0);
    expect((await exec('git', ['rev-parse', 'release'], { cwd: repo.originDir })).stdout).toBe(sha);
  });
});
