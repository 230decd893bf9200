#!/usr/bin/env node
// The build of every service: a self-contained artifact folder that `node server.mjs` runs from.
//   usage: node ../../tools/build.mjs [--out dist]        (run in the service folder)
// Copies package.json, server.mjs and src/ (and public/ if present), then vendors the files of
// libs/ the service imports into <out>/vendor/ and rewrites those imports, so that the artifact
// needs nothing outside itself. The output is deterministic (no timestamps, sorted manifest): the
// same commit always gives the same bytes, hence the same artifact digest.
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const libsRoot = join(repoRoot, 'libs');
const serviceRoot = process.cwd();
const outFlag = process.argv.indexOf('--out');
const outRoot = resolve(serviceRoot, outFlag === -1 ? 'dist' : (process.argv[outFlag + 1] ?? 'dist'));
const ENTRIES = ['package.json', 'server.mjs', 'src', 'public'];
const IMPORT = /(\bfrom\s*|\bimport\s*\(?\s*)(['"])(\.{1,2}\/[^'"]+)\2/g;

const inside = (parent, child) => child === parent || child.startsWith(parent + sep);

function fail(message) {
  console.error(`build: ${message}`);
  process.exit(1);
}

if (!existsSync(join(serviceRoot, 'server.mjs'))) fail(`no server.mjs in ${serviceRoot}: run the build in a service folder`);
if (inside(outRoot, serviceRoot) || !inside(serviceRoot, outRoot)) fail(`--out must be a folder inside the service, got ${outRoot}`);

rmSync(outRoot, { recursive: true, force: true });
mkdirSync(outRoot, { recursive: true });
for (const entry of ENTRIES) {
  if (existsSync(join(serviceRoot, entry))) cpSync(join(serviceRoot, entry), join(outRoot, entry), { recursive: true });
}

/** Where a source file lands in the artifact: service files keep their path, lib files go under vendor/. */
function artifactPath(source) {
  if (inside(serviceRoot, source)) return join(outRoot, relative(serviceRoot, source));
  if (inside(libsRoot, source)) return join(outRoot, 'vendor', relative(libsRoot, source));
  return undefined;
}

function* modulesUnder(dir) {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* modulesUnder(path);
    else if (path.endsWith('.mjs') || path.endsWith('.js')) yield path;
  }
}

// Rewrite imports breadth-first; every lib file reached is copied once and rewritten in turn.
const queue = [...modulesUnder(outRoot)].map((out) => ({ source: join(serviceRoot, relative(outRoot, out)), out }));
const seen = new Set(queue.map((m) => m.out));
while (queue.length > 0) {
  const { source, out } = queue.shift();
  const text = readFileSync(source, 'utf8').replace(IMPORT, (whole, keyword, quote, specifier) => {
    const target = resolve(dirname(source), specifier);
    if (inside(serviceRoot, target)) return whole;
    const targetOut = artifactPath(target);
    if (!targetOut) fail(`${relative(repoRoot, source)} imports ${specifier}, outside the service and libs/`);
    if (!existsSync(target)) fail(`${relative(repoRoot, source)} imports ${specifier}, which does not exist`);
    if (!seen.has(targetOut)) {
      seen.add(targetOut);
      queue.push({ source: target, out: targetOut });
    }
    let rewritten = relative(dirname(out), targetOut).split(sep).join('/');
    if (!rewritten.startsWith('.')) rewritten = `./${rewritten}`;
    return `${keyword}${quote}${rewritten}${quote}`;
  });
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, text);
}

const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else files.push(path);
  }
})(outRoot);
const manifest = files.map((path) => ({ path: relative(outRoot, path).split(sep).join('/'), sha256: createHash('sha256').update(readFileSync(path)).digest('hex') }));
writeFileSync(join(outRoot, 'build-manifest.json'), `${JSON.stringify({ files: manifest }, null, 2)}\n`);
console.log(`build: ${manifest.length} files in ${relative(serviceRoot, outRoot) || '.'}`);
