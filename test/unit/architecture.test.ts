import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The dependency arrows docs/architecture.md draws, enforced: every import in src/ must follow the
 * table "Who may import whom" there, so a wrong import fails CI and the map cannot drift from the code.
 */

const root = resolve(import.meta.dirname, '../..');
const src = join(root, 'src');

interface Arrow {
  readonly module: string;
  readonly mayImport: ReadonlySet<string>;
}

/** Rows of the table under the heading "Who may import whom": `| module | may import |`. */
function readArrows(): Map<string, Arrow> {
  const doc = readFileSync(join(root, 'docs/architecture.md'), 'utf8');
  const section = doc.split(/^## /m).find((s) => s.startsWith('Who may import whom'));
  if (!section) throw new Error('docs/architecture.md has no "## Who may import whom" section');
  const arrows = new Map<string, Arrow>();
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 4) continue;
    const module = /^`([a-z-]+)\/`$/.exec(cells[1] ?? '')?.[1];
    if (!module) continue;
    const targets = [...(cells[2] ?? '').matchAll(/`([a-z-]+)\/`/g)].map((m) => m[1] ?? '');
    arrows.set(module, { module, mayImport: new Set(targets) });
  }
  return arrows;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|tsx)$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

const moduleOf = (file: string): string => relative(src, file).split('/')[0] ?? '';

interface Import {
  readonly file: string;
  readonly line: number;
  readonly target: string;
}

/** Relative imports, static and dynamic, and re-exports; packages are not arrows between our modules. */
function importsOf(file: string): Import[] {
  const text = readFileSync(file, 'utf8');
  const found: Import[] = [];
  const pattern = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm;
  for (const m of text.matchAll(pattern)) {
    const spec = m[1] ?? '';
    const target = resolve(dirname(file), spec);
    if (!target.startsWith(src + '/')) continue;
    found.push({ file, line: text.slice(0, m.index).split('\n').length, target });
  }
  return found;
}

describe('the dependency arrows of docs/architecture.md', () => {
  const arrows = readArrows();
  const files = sourceFiles(src);

  it('name every module of src/', () => {
    const modules = new Set(files.map(moduleOf));
    const missing = [...modules].filter((m) => !arrows.has(m));
    expect(missing, `add these folders of src/ to the table in docs/architecture.md`).toEqual([]);
    const stale = [...arrows.keys()].filter((m) => !modules.has(m));
    expect(stale, `the table names folders src/ does not have`).toEqual([]);
  });

  it('form no circle: layers only point down', () => {
    const visiting = new Set<string>();
    const done = new Set<string>();
    const circles: string[] = [];
    const visit = (m: string, path: string[]): void => {
      if (done.has(m)) return;
      if (visiting.has(m)) {
        circles.push([...path.slice(path.indexOf(m)), m].join(' → '));
        return;
      }
      visiting.add(m);
      for (const next of arrows.get(m)?.mayImport ?? []) visit(next, [...path, m]);
      visiting.delete(m);
      done.add(m);
    };
    for (const m of arrows.keys()) visit(m, []);
    expect(circles).toEqual([]);
  });

  it('are the only imports between modules in src/', () => {
    const wrong: string[] = [];
    for (const file of files) {
      const from = moduleOf(file);
      for (const imp of importsOf(file)) {
        const to = moduleOf(imp.target);
        if (to === from) continue;
        if (!arrows.get(from)?.mayImport.has(to)) wrong.push(`${relative(root, imp.file)}:${imp.line} imports ${relative(root, imp.target)} (${from}/ → ${to}/ is not an arrow of docs/architecture.md)`);
      }
    }
    expect(wrong, 'move the code to the right layer, or change the map in docs/architecture.md first').toEqual([]);
  });

  it('catches a wrong import (the check itself can fail)', () => {
    const arrowsOfDomain = arrows.get('domain')?.mayImport ?? new Set<string>();
    expect(arrowsOfDomain.has('server')).toBe(false);
    expect(arrows.get('server')?.mayImport.has('agent') ?? false).toBe(false);
  });
});
