import { execFile } from 'node:child_process';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { RunView } from '../../src/server/views.js';
import { runCli, type CliResult } from '../support/cli.js';
import { CLI } from '../support/server-process.js';
import { fixtureRepo, pushChange, writeTree } from '../support/fixture-repo.js';
import { TempDirs, until } from '../support/temp.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const CONFIG = `version: 1
project:
  name: cli-habits
repository:
  url: .
  defaultBranch: develop
services:
  api:
    path: api
    gates:
      - name: lint
        run: sh lint.sh
environments:
  dev:
    branch: develop
`;

/** A port nothing listens on: the connection is refused at once. */
const NOWHERE = 'http://127.0.0.1:9';

const run = promisify(execFile);

/** Whether a program is on PATH, to check a script's syntax with the shell itself when it is installed. */
async function installed(program: string): Promise<boolean> {
  return run('sh', ['-c', `command -v ${program}`]).then(
    () => true,
    () => false,
  );
}

describe('CLI output habits: completion, examples, tables, -o yaml, errors as documents, exit codes, --timeout', () => {
  const temp = new TempDirs();
  let t: TestServer;
  let env: Record<string, string>;
  let root: string;
  const gantry = (args: string[], extra: Record<string, string> = {}): Promise<CliResult> => runCli(args, { ...env, ...extra });

  beforeAll(async () => {
    root = await temp.make();
    const repo = await fixtureRepo(root, { 'gantry.yaml': CONFIG, 'api/lint.sh': 'echo lint ok\n' });
    await pushChange(repo, 'feature/broken', { 'api/lint.sh': 'echo "lint: 2 problems"; exit 1\n' }, 'break lint');
    // A gate that outlasts any --timeout of this test; the test cancels its run.
    await pushChange(repo, 'feature/slow', { 'api/lint.sh': 'sleep 120\n' }, 'slow lint');
    t = await startTestServer(root, repo, CONFIG);
    env = { GANTRY_SERVER: t.server.url, GANTRY_TOKEN: t.token };
  });
  afterAll(async () => {
    await t.close();
    await temp.cleanup();
  });

  describe('gantry completion', () => {
    it('writes a bash script whose completion function completes commands, subcommands, flags and their allowed values', async () => {
      const made = await gantry(['completion', 'bash']);
      expect(made.code, made.stderr).toBe(0);
      const script = join(root, 'gantry.bash');
      await writeFile(script, made.stdout);
      // Drive _gantry as bash does on TAB: COMP_WORDS and COMP_CWORD set, COMPREPLY read back.
      // `gantry` on PATH, as the scripts call it for the environments of the gantry.yaml where TAB is pressed.
      const bin = join(root, 'bin');
      await writeTree(bin, { gantry: `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} "$@"\n` });
      await chmod(join(bin, 'gantry'), 0o755);
      const project = join(root, 'project');
      await writeTree(project, { 'gantry.yaml': `${CONFIG}  qa:\n    branch: main\n` });
      const complete = async (line: string): Promise<string[]> => {
        const program = `source ${JSON.stringify(script)}
complete -p gantry
read -ra COMP_WORDS <<<"$LINE"
[[ $LINE == *' ' ]] && COMP_WORDS+=('')
COMP_CWORD=$((\${#COMP_WORDS[@]} - 1))
_gantry
printf '%s\\n' "\${COMPREPLY[@]}"`;
        const { stdout } = await run('bash', ['-c', program], { cwd: project, env: { ...process.env, LINE: line, PATH: `${bin}:${process.env.PATH ?? ''}` } });
        const [registered, ...words] = stdout.trim().split('\n');
        expect(registered).toBe('complete -o default -F _gantry gantry');
        return words.filter((w) => w !== '');
      };
      expect(await complete('gantry disp')).toEqual(['dispatch']);
      expect(await complete('gantry token ')).toEqual(expect.arrayContaining(['create', 'list', 'revoke']));
      expect(await complete('gantry --server http://x:1 -o json tok')).toEqual(['token']);
      expect(await complete('gantry runs --st')).toEqual(['--state']);
      expect(await complete('gantry runs --state ')).toEqual(['queued', 'running', 'succeeded', 'failed', 'cancelled']);
      expect(await complete('gantry dispatch dev --ti')).toEqual(['--timeout']);
      expect(await complete('gantry -o y')).toEqual(['yaml']);
      // Environment names, from the gantry.yaml of the folder, where a command takes one.
      expect(await complete('gantry dispatch ')).toEqual(['dev', 'qa']);
      expect(await complete('gantry rollback q')).toEqual(['qa']);
      expect(await complete('gantry runs --env ')).toEqual(['dev', 'qa']);
      expect(await complete('gantry dispatch dev ')).toEqual([]);
    });

    it('writes zsh and fish scripts naming the same commands', async () => {
      const zsh = await gantry(['completion', 'zsh']);
      expect(zsh.code, zsh.stderr).toBe(0);
      expect(zsh.stdout).toMatch(/^#compdef gantry/);
      expect(zsh.stdout).toContain("'dispatch:run a ref");
      expect(zsh.stdout).toContain("'token') subs=('create' 'list' 'revoke'");
      const fish = await gantry(['completion', 'fish']);
      expect(fish.code, fish.stderr).toBe(0);
      expect(fish.stdout).toContain("complete -c gantry -n '__gantry_is \\'\\'' -a 'dispatch'");
      expect(fish.stdout).toContain("complete -c gantry -n '__gantry_is \\'token\\'' -a 'create'");
      expect(fish.stdout).toContain("-s 'o' -l 'output' -x -a 'text json yaml'");
      // Each shell checks its own script's syntax where it is installed (neither is on every machine).
      for (const [shell, text] of [['zsh', zsh.stdout], ['fish', fish.stdout]] as const) {
        if (!(await installed(shell))) continue;
        const file = join(root, `gantry.${shell}`);
        await writeFile(file, text);
        await expect(run(shell, ['-n', file])).resolves.toBeDefined();
      }
    });

    it('refuses a shell it has no script for with a usage error and the shells it knows', async () => {
      const r = await gantry(['completion', 'powershell']);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^USAGE: there is no completion script for the shell "powershell"/);
      expect(r.stderr).toContain('hint: Gantry writes one for bash, zsh and fish');
    });
  });

  it('shows Examples: in the help of dispatch, rollback, approve, logs, token create and secrets set', async () => {
    for (const command of [['dispatch'], ['rollback'], ['approve'], ['logs'], ['token', 'create'], ['secrets', 'set']]) {
      const r = await gantry([...command, '--help']);
      expect(r.code, command.join(' ')).toBe(0);
      const examples = r.stdout.split('\nExamples:\n')[1] ?? '';
      expect(examples, command.join(' ')).toMatch(new RegExp(`^  gantry ${command.join(' ')} `, 'm'));
    }
  });

  it('exits 1 when the run it follows fails, and prints list tables with a header row that --no-headers drops', async () => {
    const failed = await gantry(['dispatch', 'dev', '--ref', 'feature/broken']);
    expect(failed.code, failed.stderr).toBe(1);
    expect(failed.stdout).toMatch(/run #\d+ ✗ failed/);
    expect(failed.stderr).toContain('GATE_FAILED');

    const table = await gantry(['runs']);
    expect(table.code, table.stderr).toBe(0);
    const [header, first] = table.stdout.split('\n');
    expect(header).toMatch(/^RUN\s+STATE\s+TRIGGER\s+REF\s+SHA\s+ENV\s+CREATED\s+DURATION$/);
    expect(first).toMatch(/^#\d+\s+✗ failed\s+dispatch\s+feature\/broken\s+[0-9a-f]{7}\s+dev\s/);
    const bare = await gantry(['--no-headers', 'runs']);
    expect(bare.stdout.split('\n')[0]).toMatch(/^#\d+\s+✗ failed\s+dispatch/);
    expect(bare.stdout).not.toContain('STATE');
  });

  it('prints with -o yaml the very document -o json prints', async () => {
    const json = await gantry(['token', 'list', '-o', 'json']);
    const yaml = await gantry(['token', 'list', '-o', 'yaml']);
    expect(yaml.code, yaml.stderr).toBe(0);
    expect(yaml.stdout).toMatch(/^tokens:\n {2}- id: \d+\n/);
    expect(parse(yaml.stdout)).toEqual(JSON.parse(json.stdout));
    // validate prints its own document: the same holds.
    await writeTree(join(root, 'checkout'), { 'gantry.yaml': CONFIG, 'api/lint.sh': 'echo lint ok\n' });
    const config = join(root, 'checkout', 'gantry.yaml');
    const checked = await gantry(['validate', '--config', config, '-o', 'yaml']);
    expect(checked.code, checked.stderr).toBe(0);
    expect(parse(checked.stdout)).toEqual(JSON.parse((await gantry(['validate', '--config', config, '-o', 'json'])).stdout));
  });

  it('prints an error as a JSON document in every spelling of -o json, and exits 4 when no server answers', async () => {
    for (const flags of [['-ojson'], ['--output=json'], ['-o=json'], ['--output', 'json'], ['-o', 'json']]) {
      const r = await gantry(['runs', ...flags], { GANTRY_SERVER: NOWHERE });
      expect(r.code, flags.join(' ')).toBe(4);
      const body = JSON.parse(r.stdout) as { error: { code: string; message: string; hint: string } };
      expect(body.error).toMatchObject({ code: 'SERVER_UNREACHABLE', message: `cannot reach the Gantry server at ${NOWHERE}`, hint: expect.stringContaining('gantry server') });
      expect(r.stderr, flags.join(' ')).toBe('');
    }
    const yaml = await gantry(['-o', 'yaml', 'runs'], { GANTRY_SERVER: NOWHERE });
    expect(yaml.code).toBe(4);
    expect(parse(yaml.stdout)).toMatchObject({ error: { code: 'SERVER_UNREACHABLE' } });
    const text = await gantry(['runs'], { GANTRY_SERVER: NOWHERE });
    expect(text.code).toBe(4);
    expect(text.stderr).toMatch(/^SERVER_UNREACHABLE: cannot reach/);
  });

  it('prints a usage error commander finds as a JSON document too, with exit 2', async () => {
    const r = await gantry(['runs', '--state', 'sideways', '-ojson']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'USAGE', message: expect.stringContaining("argument 'sideways' is invalid") } });
  });

  it('exits 3 for a token the server does not know and for a role the token lacks', async () => {
    const unknown = await gantry(['runs'], { GANTRY_TOKEN: 'gty_not_a_token' });
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toMatch(/^AUTH_INVALID/);
    const made = JSON.parse((await gantry(['token', 'create', '--user', 'vera', '--role', 'viewer', '-o', 'json'])).stdout) as { token: string };
    const forbidden = await gantry(['dispatch', 'dev', '-o', 'json'], { GANTRY_TOKEN: made.token });
    expect(forbidden.code).toBe(3);
    expect(JSON.parse(forbidden.stdout)).toMatchObject({ error: { code: 'FORBIDDEN' } });
  });

  it('stops following after --timeout with exit 5 and leaves the run going on', async () => {
    expect((await gantry(['dispatch', 'dev', '--timeout', 'soon'])).code).toBe(2);
    const started = Date.now();
    const r = await gantry(['dispatch', 'dev', '--ref', 'feature/slow', '--timeout', '2s']);
    const took = Date.now() - started;
    expect(r.code, r.stderr).toBe(5);
    const id = Number(/run #(\d+) dispatched/.exec(r.stdout)?.[1]);
    expect(id).toBeGreaterThan(0);
    expect(r.stderr).toContain(`FOLLOW_TIMEOUT: run #${id} still running after 2.0s: the run goes on; follow it with \`gantry run show ${id} -f\``);
    // Well before the gate's 120 s sleep: the CLI gave up watching, it did not wait for the run.
    expect(took).toBeLessThan(30_000);
    const view = async (): Promise<RunView> => (await t.api<{ run: RunView }>('GET', `/api/v1/runs/${id}`)).body.run;
    expect((await view()).state).toBe('running');

    const again = await gantry(['run', 'show', String(id), '-f', '--timeout', '1s', '-o', 'json']);
    expect(again.code).toBe(5);
    expect(JSON.parse(again.stdout)).toMatchObject({ error: { code: 'FOLLOW_TIMEOUT', details: { runId: id } } });
    expect((await view()).state).toBe('running');

    expect((await gantry(['cancel', String(id)])).code).toBe(0);
    await until(`run #${id} to end cancelled`, async () => (await view()).state === 'cancelled', 60_000);
  });
});
