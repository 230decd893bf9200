import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/errors/codes.js';

const DOCS = new URL('../../docs/errors.md', import.meta.url);

async function documentedCodes(): Promise<string[]> {
  const text = await readFile(DOCS, 'utf8');
  return [...text.matchAll(/^## ([A-Z][A-Z0-9_]*)\s*$/gm)].map((match) => match[1] ?? '');
}

describe('the error code registry and docs/errors.md', () => {
  it('document exactly the same codes', async () => {
    const documented = await documentedCodes();
    const registered = Object.keys(ERROR_CODES);
    const undocumented = registered.filter((code) => !documented.includes(code));
    const stale = documented.filter((code) => !registered.includes(code));
    expect({ undocumented, stale }, 'add a `## CODE` section to docs/errors.md for each new code, and remove sections of deleted ones').toEqual({ undocumented: [], stale: [] });
  });

  it('document each code once, with some words about it', async () => {
    const documented = await documentedCodes();
    expect(documented.length).toBe(new Set(documented).size);
    const text = await readFile(DOCS, 'utf8');
    for (const section of text.split(/^## /m).slice(1)) {
      const [heading = '', ...body] = section.split('\n');
      expect(body.join(' ').trim().length, `the section of ${heading} is empty`).toBeGreaterThan(20);
    }
  });
});
