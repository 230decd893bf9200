import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScratchRepo } from '../../src/cli/demo/scratch-repo.js';
import { installHooks } from '../../src/sources/git/hook.js';
import { runCli } from '../support/cli.js';
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

const CHECKS_CONFIG = `version: 1
project:
  name: push-checks-test
repository:
  url: .
  defaultBranch: main
services:
  api:
    path: api
    gates:
      - name: lint
        run: echo linted
      - name: test
        run: test ! -f broken
  web:
    path: web
    gates:
      - name: test
        run: echo tested
branches:
  main:
    protection:
      allowDirectPush: false
      upToDate: true
      requiredChecks: [api/lint, api/test, web/test]
  release:
    protection:
      allowDirectPush: true
      requiredChecks: [api/test, web/test]
`;

/** upToDate and requiredChecks on a self-hosted repository: hooks installed by `gantry hook install`, real pushes. */
describe('push protection: up to date and required checks (pre-receive hook)', () => {
  const temp = new TempDirs();
  let t: TestServer;
  let repo: ScratchRepo;

  const git = (...args: string[]): Promise<string> => repo.git(...args);
  const push = (...refs: string[]): Promise<Exec> => exec('git', ['push', 'origin', ...refs], { cwd: repo.workDir });
  const change = async (branch: string, from: string, files: Record<string, string>): Promise<string> => {
    await git('checkout', '--quiet', '-B', branch, from);
    await writeTree(repo.workDir, files);
    return repo.commitAll(`change on ${branch}`);
  };
  const green = async (branch: string): Promise<void> => {
    expect((await push(branch)).code).toBe(0);
    expect((await t.finished((await t.runFor(branch)).id)).run.state).toBe('succeeded');
  };
  const mergeInto = async (target: string, branch: string): Promise<string> => {
    await git('checkout', '--quiet', target);
    await git('merge', '--quiet', '--no-ff', '-m', `merge ${branch}`, branch);
    return git('rev-parse', 'HEAD');
  };
  const originHead = (branch: string): Promise<string> => exec('git', ['rev-parse', branch], { cwd: repo.originDir }).then((r) => r.stdout);

  beforeAll(async () => {
    const root = await temp.make();
    repo = await fixtureRepo(root, { 'gantry.yaml': CHECKS_CONFIG, 'api/x.js': 'export {};\n', 'web/x.js': 'export {};\n' });
    t = await startTestServer(root, repo, CHECKS_CONFIG);
    // A commit on main that touches every service runs every gate, so later branches can rely on it for services they leave alone.
    await change('main', 'main', { 'api/seed.js': 's\n', 'web/seed.js': 's\n' });
    await green('main');
    await git('branch', 'release');
    await repo.push('release');
    const installed = await runCli(['hook', 'install', repo.originDir], { GANTRY_SERVER: t.server.url, GANTRY_TOKEN: t.token });
    expect(installed.code, installed.stderr).toBe(0);
  }, 120_000);
  afterAll(async () => {
    await t.close();
    await temp.cleanup();
  });

  it('accepts a merge whose head passed the checks of what it changed and inherits the others from its base', async () => {
    await change('feature/api-only', 'main', { 'api/a.js': 'a\n' });
    await green('feature/api-only');
    const merge = await mergeInto('main', 'feature/api-only');
    const r = await push('main');
    expect(r.stderr).not.toContain('refused');
    expect(r.code).toBe(0);
    expect(await originHead('main')).toBe(merge);
  }, 120_000);

  it('refuses a commit whose required checks never ran, then accepts it once its CI passed on a branch', async () => {
    const sha = await change('release', 'release', { 'api/r.js': 'r\n' });
    const refused = await push('release');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(`remote: gantry: push to refs/heads/release refused: release requires checks that have not passed on ${sha.slice(0, 10)}: api/test, web/test`);
    await git('branch', '-f', 'feature/r', sha);
    await green('feature/r');
    const accepted = await push('release');
    expect(accepted.stderr).not.toContain('refused');
    expect(accepted.code).toBe(0);
    expect(await originHead('release')).toBe(sha);
  }, 120_000);

  it('refuses a commit on which a required check failed, naming it', async () => {
    await change('feature/broken', 'release', { 'api/broken': 'x\n' });
    expect((await push('feature/broken')).code).toBe(0);
    expect((await t.finished((await t.runFor('feature/broken')).id)).run.state).toBe('failed');
    await git('checkout', '--quiet', 'release');
    await git('merge', '--quiet', '--ff-only', 'feature/broken');
    const r = await push('release');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/release requires checks that have not passed on [0-9a-f]{10}: api\/test;/);
    await git('reset', '--quiet', '--hard', 'origin/release');
  }, 120_000);

  it('refuses a merge of a green branch that does not contain the head of main, until main is merged into it', async () => {
    await change('feature/one', 'main', { 'api/one.js': '1\n' });
    await green('feature/one');
    await change('feature/two', 'main', { 'web/two.js': '2\n' });
    await green('feature/two');
    await mergeInto('main', 'feature/one');
    expect((await push('main')).code).toBe(0);
    const behind = await git('rev-parse', 'feature/two');
    await mergeInto('main', 'feature/two');
    const refused = await push('main');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(`remote: gantry: push to refs/heads/main refused: ${behind.slice(0, 10)} is not up to date with main`);
    await git('reset', '--quiet', '--hard', 'origin/main');
    await mergeInto('feature/two', 'main');
    await green('feature/two');
    const merge = await mergeInto('main', 'feature/two');
    const accepted = await push('main');
    expect(accepted.stderr).not.toContain('refused');
    expect(accepted.code).toBe(0);
    expect(await originHead('main')).toBe(merge);
  }, 180_000);
});
