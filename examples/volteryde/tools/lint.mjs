#!/usr/bin/env node
// A tiny, real linter for the example: the lint gate of every service.
//   usage: node ../../tools/lint.mjs <path>...     (exit 0 clean, 1 problems, 2 usage)
// Checks JavaScript, JSON and YAML files for trailing whitespace, tabs, CRLF line ends, a missing
// final newline, `debugger` statements and focused tests (.only) that would silently skip the rest.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { extname, join, relative } from 'node:path';

const EXTENSIONS = new Set(['.js', '.mjs', '.cjs', '.json', '.yaml', '.yml']);
// Generated folders: reports and builds are not source.
const SKIP_DIRS = new Set(['node_modules', '.git', 'dist', 'coverage', 'reports', 'target']);
const JS = new Set(['.js', '.mjs', '.cjs']);

const LINE_RULES = [
  { rule: 'no-trailing-space', test: (line) => /[ \t]+$/.exec(line), message: 'trailing whitespace' },
  { rule: 'no-tabs', test: (line) => /\t/.exec(line), message: 'tab character (indent with spaces)' },
  { rule: 'no-crlf', test: (line) => /\r$/.exec(line), message: 'CRLF line end' },
  { rule: 'no-debugger', js: true, test: (line) => /^\s*debugger\s*;?\s*(\/\/.*)?$/.exec(line), message: 'debugger statement' },
  { rule: 'no-only', js: true, test: (line) => /\b(?:test|it|describe)\.only\s*\(/.exec(line), message: 'focused test (.only) skips every other test' },
];

function* filesUnder(path) {
  const stats = statSync(path);
  if (stats.isFile()) {
    if (EXTENSIONS.has(extname(path))) yield path;
    return;
  }
  for (const entry of readdirSync(path, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.isDirectory() && SKIP_DIRS.has(entry.name)) continue;
    yield* filesUnder(join(path, entry.name));
  }
}

export function lintText(text, { js }) {
  const problems = [];
  const lines = text.split('\n');
  lines.forEach((line, index) => {
    if (index === lines.length - 1 && line === '') return; // the text after the final newline
    for (const { rule, test, message, js: jsOnly } of LINE_RULES) {
      if (jsOnly && !js) continue;
      const match = test(line);
      if (match) problems.push({ line: index + 1, column: match.index + 1, rule, message });
    }
  });
  if (text.length > 0 && !text.endsWith('\n')) problems.push({ line: lines.length, column: (lines.at(-1) ?? '').length + 1, rule: 'final-newline', message: 'no newline at end of file' });
  return problems;
}

const paths = process.argv.slice(2);
if (paths.length === 0) {
  console.error('usage: node tools/lint.mjs <path>...');
  process.exit(2);
}
let files = 0;
let count = 0;
for (const root of paths) {
  for (const file of filesUnder(root)) {
    files += 1;
    for (const p of lintText(readFileSync(file, 'utf8'), { js: JS.has(extname(file)) })) {
      count += 1;
      console.log(`${relative(process.cwd(), file) || file}:${p.line}:${p.column}: ${p.message} (${p.rule})`);
    }
  }
}
console.log(count === 0 ? `lint: ${files} files clean` : `lint: ${count} problem${count === 1 ? '' : 's'} in ${files} files`);
process.exit(count === 0 ? 0 : 1);
