import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';

/**
 * Every `gantry …` command that a hint, an error, the docs, the README or the example names must
 * exist, with the flags it is shown with: a hint that sends people to `gantry secret set` (the
 * command is `secrets set`) is worse than no hint. The tree comes from the real commander program.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SOURCES: ReadonlyArray<{ folder: string; ext: RegExp }> = [
  { folder: 'src', ext: /\.ts$/ },
  { folder: 'web/src', ext: /\.(ts|tsx)$/ },
  { folder: 'docs', ext: /\.md$/ },
  { folder: 'examples', ext: /\.(ya?ml|md|mjs|js|json)$/ },
];
const FILES = ['README.md'];

/** Global options that take a value, so that `gantry --server URL runs` is read as `runs`. */
const GLOBAL_WITH_VALUE = new Set(['-c', '--config', '--server', '--token', '-o', '--output', '--data-dir']);

/** `gantry` as a word (not gantry.yaml, not @gantry/x), then the rest of the clause it starts. */
const MENTION = /(?<![\w./@-])gantry((?:[ \t]+[^\s`'"(),;]+)+)/g;

async function filesUnder(folder: string, ext: RegExp): Promise<string[]> {
  const entries = await readdir(join(ROOT, folder), { withFileTypes: true, recursive: true }).catch(() => []);
  return entries.filter((e) => e.isFile() && ext.test(e.name) && !e.parentPath.includes('node_modules')).map((e) => join(e.parentPath, e.name));
}

interface Mention {
  readonly where: string;
  readonly text: string;
  readonly words: readonly string[];
}

async function mentions(): Promise<Mention[]> {
  const files = [...(await Promise.all(SOURCES.map((s) => filesUnder(s.folder, s.ext)))).flat(), ...FILES.map((f) => join(ROOT, f))];
  const found: Mention[] = [];
  for (const file of files) {
    const lines = (await readFile(file, 'utf8')).split('\n');
    lines.forEach((line, index) => {
      for (const match of line.matchAll(MENTION)) {
        const words = (match[1] ?? '').trim().split(/[ \t]+/);
        found.push({ where: `${relative(ROOT, file)}:${index + 1}`, text: `gantry${match[1] ?? ''}`.trim(), words });
      }
    });
  }
  return found;
}

const longNames = (command: Command): string[] => command.options.flatMap((o) => [o.long, o.short].filter((n): n is string => n !== undefined));

/** What is wrong with a mention, or undefined when the command (and every flag shown) exists. */
function problem(program: Command, words: readonly string[]): string | undefined {
  let i = 0;
  while (i < words.length && (words[i] ?? '').startsWith('-')) i += GLOBAL_WITH_VALUE.has(words[i] ?? '') ? 2 : 1;
  const name = words[i];
  // A bare `gantry` or `gantry --help`; prose such as "gantry's" has no command word.
  if (name === undefined || !/^[a-z][a-z-]*$/.test(name)) return undefined;
  let command = program.commands.find((c) => c.name() === name || c.aliases().includes(name));
  if (!command) return `no command "${name}"`;
  const path = [command];
  const next = words[i + 1];
  if (command.commands.length > 0 && next !== undefined && /^[a-z][a-z-]*$/.test(next)) {
    const sub = command.commands.find((c) => c.name() === next || c.aliases().includes(next));
    if (sub) {
      command = sub;
      path.push(sub);
    } else if (command.registeredArguments.length === 0) return `"${name}" has no subcommand "${next}" (it has: ${command.commands.map((c) => c.name()).join(', ')})`;
  }
  const known = new Set([...path.flatMap(longNames), ...longNames(program), '--help', '-h']);
  for (const word of words.slice(i + 1)) {
    const flag = /^\[?(--?[a-z][a-z-]*)/.exec(word)?.[1];
    if (flag && !known.has(flag)) return `"${path.map((c) => c.name()).join(' ')}" has no option ${flag}`;
  }
  return undefined;
}

describe('commands named in hints, errors, docs and the example', () => {
  it('finds the mentions it is meant to check', async () => {
    const found = await mentions();
    // A sanity floor, so that a broken pattern cannot pass by finding nothing.
    expect(found.length).toBeGreaterThan(100);
    expect(found.some((m) => m.where.startsWith('src/') && m.text.startsWith('gantry secrets set'))).toBe(true);
    expect(found.some((m) => m.where.startsWith('examples/'))).toBe(true);
  });

  it('names only commands, subcommands and flags that exist', async () => {
    const program = buildProgram(() => undefined);
    const wrong = (await mentions()).flatMap((m) => {
      const why = problem(program, m.words);
      return why === undefined ? [] : [`${m.where}: \`${m.text}\`: ${why}`];
    });
    expect(wrong).toEqual([]);
  });

  it('tells a command that does not exist from one that does', () => {
    const program = buildProgram(() => undefined);
    expect(problem(program, ['secret', 'set', 'shared', 'X'])).toBe('no command "secret"');
    expect(problem(program, ['deploy'])).toBe('no command "deploy"');
    expect(problem(program, ['secrets', 'sett'])).toMatch(/no subcommand "sett"/);
    expect(problem(program, ['runs', '--lmit', '5'])).toMatch(/has no option --lmit/);
    expect(problem(program, ['--server', 'http://x', 'secrets', 'set', 'shared', 'X'])).toBeUndefined();
    expect(problem(program, ['audit', 'verify'])).toBeUndefined();
  });
});
