#!/usr/bin/env node
// Turns the lcov tracefile written by `node --test --experimental-test-coverage` into the report
// format the real service's toolchain would write, so the example exercises every coverage format
// Gantry reads:
//   node ../../tools/coverage-convert.mjs <lcov.info> <output> --to jacoco|cobertura|json-summary
// Test files are left out (Node 20 cannot exclude them itself; JaCoCo and Istanbul never count them).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

const [input, output] = process.argv.slice(2);
const format = process.argv[process.argv.indexOf('--to') + 1];
if (!input || !output || !['jacoco', 'cobertura', 'json-summary'].includes(format)) {
  console.error('usage: node tools/coverage-convert.mjs <lcov.info> <output> --to jacoco|cobertura|json-summary');
  process.exit(2);
}

const isTestFile = (path) => /(^|\/)test\//.test(path) || /\.test\.[cm]?js$/.test(path);

/** [{ path, lines: Map<line, hits>, functions: { found, hit } }] */
function readLcov(text) {
  const files = [];
  let current;
  for (const line of text.split('\n')) {
    const [key, ...rest] = line.trim().split(':');
    const value = rest.join(':');
    if (key === 'SF') current = { path: value, lines: new Map(), functions: { found: 0, hit: 0 } };
    else if (key === 'DA' && current) {
      const [nr, hits] = value.split(',').map(Number);
      current.lines.set(nr, Math.max(hits, current.lines.get(nr) ?? 0));
    } else if (key === 'FNF' && current) current.functions.found = Number(value);
    else if (key === 'FNH' && current) current.functions.hit = Number(value);
    else if (key === 'end_of_record' && current) {
      if (!isTestFile(current.path)) files.push(current);
      current = undefined;
    }
  }
  return files;
}

const count = (file) => ({ total: file.lines.size, covered: [...file.lines.values()].filter((h) => h > 0).length });
const sum = (items) => items.reduce((a, b) => ({ total: a.total + b.total, covered: a.covered + b.covered }), { total: 0, covered: 0 });
const xml = (value) => String(value).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
const dirOf = (path) => (path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '.');
const baseOf = (path) => path.slice(path.lastIndexOf('/') + 1);
const rate = ({ total, covered }) => (total === 0 ? '1' : (covered / total).toFixed(4));
const pct = ({ total, covered }) => (total === 0 ? 100 : Math.round((covered / total) * 10_000) / 100);

function byPackage(files) {
  const packages = new Map();
  for (const f of files) packages.set(dirOf(f.path), [...(packages.get(dirOf(f.path)) ?? []), f]);
  return [...packages].sort(([a], [b]) => a.localeCompare(b));
}

function jacoco(files, name) {
  const counter = ({ total, covered }) => `<counter type="LINE" missed="${total - covered}" covered="${covered}"/>`;
  const packages = byPackage(files).map(([dir, members]) => {
    const sources = members.map((f) => {
      const lines = [...f.lines].sort(([a], [b]) => a - b).map(([nr, hits]) => `<line nr="${nr}" mi="${hits > 0 ? 0 : 1}" ci="${hits > 0 ? 1 : 0}" mb="0" cb="0"/>`);
      return `<sourcefile name="${xml(baseOf(f.path))}">${lines.join('')}${counter(count(f))}</sourcefile>`;
    });
    return `<package name="${xml(dir)}">${sources.join('')}${counter(sum(members.map(count)))}</package>`;
  });
  const now = Date.now();
  return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><!DOCTYPE report PUBLIC "-//JACOCO//DTD Report 1.1//EN" "report.dtd"><report name="${xml(name)}"><sessioninfo id="node-test-${now}" start="${now}" dump="${now}"/>${packages.join('')}${counter(sum(files.map(count)))}</report>\n`;
}

function cobertura(files) {
  const total = sum(files.map(count));
  const packages = byPackage(files).map(([dir, members]) => {
    const classes = members.map((f) => {
      const lines = [...f.lines].sort(([a], [b]) => a - b).map(([nr, hits]) => `          <line number="${nr}" hits="${hits}" branch="false"/>`);
      return [`        <class name="${xml(baseOf(f.path))}" filename="${xml(f.path)}" line-rate="${rate(count(f))}" branch-rate="1">`, '          <methods/>', '          <lines>', ...lines, '          </lines>', '        </class>'].join('\n');
    });
    return [`    <package name="${xml(dir)}" line-rate="${rate(sum(members.map(count)))}" branch-rate="1">`, '      <classes>', ...classes, '      </classes>', '    </package>'].join('\n');
  });
  return [
    '<?xml version="1.0" ?>',
    '<!DOCTYPE coverage SYSTEM "http://cobertura.sourceforge.net/xml/coverage-04.dtd">',
    `<coverage lines-valid="${total.total}" lines-covered="${total.covered}" line-rate="${rate(total)}" branches-valid="0" branches-covered="0" branch-rate="1" timestamp="${Date.now()}" complexity="0" version="0.1">`,
    '  <sources>',
    `    <source>${xml(process.cwd())}</source>`,
    '  </sources>',
    '  <packages>',
    ...packages,
    '  </packages>',
    '</coverage>',
    '',
  ].join('\n');
}

function jsonSummary(files) {
  const entry = (lines, functions) => {
    const l = { total: lines.total, covered: lines.covered, skipped: 0, pct: pct(lines) };
    const fn = { total: functions.found, covered: functions.hit, skipped: 0, pct: pct({ total: functions.found, covered: functions.hit }) };
    return { lines: l, statements: l, functions: fn, branches: { total: 0, covered: 0, skipped: 0, pct: 100 } };
  };
  const functions = files.reduce((a, f) => ({ found: a.found + f.functions.found, hit: a.hit + f.functions.hit }), { found: 0, hit: 0 });
  const summary = { total: entry(sum(files.map(count)), functions) };
  for (const f of files) summary[f.path] = entry(count(f), f.functions);
  return `${JSON.stringify(summary)}\n`;
}

const files = readLcov(readFileSync(input, 'utf8'));
const name = JSON.parse(readFileSync('package.json', 'utf8')).name ?? 'service';
const report = format === 'jacoco' ? jacoco(files, name) : format === 'cobertura' ? cobertura(files) : jsonSummary(files);
mkdirSync(dirname(output), { recursive: true });
writeFileSync(output, report);
const total = sum(files.map(count));
console.log(`coverage: ${total.covered}/${total.total} lines (${pct(total)}%) of ${files.length} files → ${output} (${format})`);
