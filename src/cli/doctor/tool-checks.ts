import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { fail, ok, type Check } from './check.js';

const run = promisify(execFile);

/** package.json's `engines.node` (">=20.19"), read beside dist/ and src/ as the server's version is. */
function requiredNode(): string | undefined {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { engines?: { node?: string } };
    return pkg.engines?.node;
  } catch {
    return undefined;
  }
}

const parts = (version: string): number[] => version.replace(/^v/, '').split('.').map((n) => Number.parseInt(n, 10) || 0);

/** a >= b, component by component (missing components count as 0). */
export function atLeast(a: string, b: string): boolean {
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d > 0;
  }
  return true;
}

/** One comparator of an engines range: `>=20.19`, `<23`, `^20.19.0` (same major, at least that), or a bare version (at least it). */
function meets(have: string, comparator: string): boolean {
  const m = /^(\^|>=|>|<=|<|=)?\s*v?([\d.]+)$/.exec(comparator);
  if (!m?.[2]) return false;
  const want = m[2];
  switch (m[1]) {
    case '^':
      return atLeast(have, want) && parts(have)[0] === parts(want)[0];
    case '>':
      return atLeast(have, want) && !atLeast(want, have);
    case '<':
      return !atLeast(have, want);
    case '<=':
      return atLeast(want, have);
    default:
      return atLeast(have, want);
  }
}

/** Whether a version satisfies an npm engines range of the forms package.json uses (`||` of space-separated comparators). */
export function satisfies(have: string, range: string): boolean {
  return range.split('||').some((alternative) => alternative.trim().split(/\s+/).filter(Boolean).every((c) => meets(have, c)));
}

export function nodeCheck(): Check {
  const have = process.versions.node;
  const range = requiredNode();
  if (!range) return ok('node', have);
  return satisfies(have, range) ? ok('node', `${have} (supported: ${range})`) : fail('node', `${have}, but Gantry supports ${range}`, `Install a supported Node (${range}; https://nodejs.org), then run Gantry with it.`);
}

/** The first line a tool prints for its version flag, or undefined when it is not on the PATH. */
async function toolVersion(command: string, args: readonly string[]): Promise<string | undefined> {
  try {
    const { stdout, stderr } = await run(command, [...args], { timeout: 5_000 });
    return (stdout || stderr).split('\n')[0]?.trim() ?? '';
  } catch (error: unknown) {
    // ssh-keygen has no version flag: it prints its usage and exits 1, which still says it is there.
    const e = error as { code?: unknown; stderr?: unknown };
    if (e.code === 'ENOENT') return undefined;
    return typeof e.stderr === 'string' && e.stderr !== '' ? 'found on the PATH' : undefined;
  }
}

export async function gitCheck(): Promise<Check> {
  const version = await toolVersion('git', ['--version']);
  return version ? ok('git', version.replace(/^git version /, '')) : fail('git', 'not found on the PATH', 'Install git (e.g. `apt-get install git`): the server clones and builds from it.');
}

/** gpg and ssh-keygen verify signed commits: missing matters only when a branch sets `signedCommits`. */
export async function signingToolChecks(signedCommits: boolean): Promise<Check[]> {
  const tools = [
    { name: 'gpg', args: ['--version'], pkg: 'gnupg' },
    { name: 'ssh-keygen', args: ['-V'], pkg: 'openssh-client' },
  ];
  return Promise.all(
    tools.map(async (t) => {
      const version = await toolVersion(t.name, t.args);
      if (version) return ok(t.name, version);
      if (!signedCommits) return ok(t.name, 'not found (needed only for `signedCommits`, which gantry.yaml does not set)');
      return fail(t.name, 'not found, and gantry.yaml sets `signedCommits`: signed commits cannot be checked', `Install it (e.g. \`apt-get install ${t.pkg}\`) on the server's machine.`);
    }),
  );
}

