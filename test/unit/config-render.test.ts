import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/loader.js';
import type { ConfigIssue } from '../../src/config/loader.js';
import { issuesToJson, renderIssues } from '../../src/config/render.js';
import { validateFile } from '../../src/config/validate.js';
import { MINIMAL } from '../fixtures/config/valid.js';

const BROKEN = MINIMAL.replace('branch: develop', 'brnach: develop');
const WARNED = `${MINIMAL}    approvals: { required: 3, approvers: [alice] }\n`;

function errorsOf(text: string): ConfigIssue[] {
  const result = parseConfigText(text, 'gantry.yaml');
  return result.ok ? [] : result.errors;
}

describe('rendering config issues for people', () => {
  it('prints file:line:col, severity, code and message, then the snippet and the hint', () => {
    expect(renderIssues(errorsOf(BROKEN), { color: false })).toBe(
      [
        'gantry.yaml:14:5 error CONFIG_UNKNOWN_KEY unknown key "brnach" in environments.dev',
        '  14 |     brnach: develop',
        '     |     ^^^^^^',
        '  hint: did you mean "branch"?',
      ].join('\n'),
    );
  });

  it('separates issues with a blank line', () => {
    const issues = errorsOf(BROKEN.replace('version: 1', 'version: 3'));
    expect(renderIssues(issues, { color: false }).split('\n\n')).toHaveLength(2);
  });

  it('colours only when asked to', () => {
    const issues = errorsOf(BROKEN);
    expect(renderIssues(issues, { color: false })).not.toContain('\u001b[');
    expect(renderIssues(issues, { color: true })).toContain('\u001b[31merror CONFIG_UNKNOWN_KEY\u001b[0m');
  });

  it('prints an issue without snippet or hint as a single line', () => {
    const issue: ConfigIssue = { severity: 'error', code: 'CONFIG_NOT_FOUND', message: 'cannot read x', file: 'x', line: 1, col: 1, path: [], snippet: '', hint: undefined };
    expect(renderIssues([issue], { color: false })).toBe('x:1:1 error CONFIG_NOT_FOUND cannot read x');
  });

  it('turns issues into the JSON report of --output json', () => {
    const errors = errorsOf(BROKEN);
    expect(issuesToJson(errors, [])).toEqual({ valid: false, errors, warnings: [] });
    expect(issuesToJson([], []).valid).toBe(true);
  });
});

describe('validating a file', () => {
  let dir: string;
  const file = (name: string): string => join(dir, name);
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gantry-validate-'));
    // validate checks service paths in the folder `url: .` names, the folder of the file.
    await mkdir(join(dir, 'services', 'api'), { recursive: true });
    await writeFile(file('ok.yaml'), MINIMAL);
    await writeFile(file('bad.yaml'), BROKEN);
    await writeFile(file('warned.yaml'), WARNED);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('exits 0 and says what it checked for a valid file', async () => {
    const outcome = await validateFile(file('ok.yaml'));
    expect(outcome).toEqual({ exitCode: 0, text: `${file('ok.yaml')} is valid: 1 service, 1 environment` });
  });

  it('exits 1 and prints every error for a broken file', async () => {
    const outcome = await validateFile(file('bad.yaml'));
    expect(outcome.exitCode).toBe(1);
    expect(outcome.text).toContain(`${file('bad.yaml')}:14:5 error CONFIG_UNKNOWN_KEY`);
    expect(outcome.text).toContain('is not valid: 1 error, 0 warnings');
  });

  it('exits 0 with warnings alone, and prints them', async () => {
    const outcome = await validateFile(file('warned.yaml'));
    expect(outcome.exitCode).toBe(0);
    expect(outcome.text).toContain('warning CONFIG_APPROVALS_UNSATISFIABLE');
    expect(outcome.text).toContain('(0 errors, 1 warning)');
  });

  it('prints the JSON report when asked for json', async () => {
    const outcome = await validateFile(file('bad.yaml'), { output: 'json' });
    const report = JSON.parse(outcome.text) as { valid: boolean; errors: ConfigIssue[]; warnings: ConfigIssue[] };
    expect(outcome.exitCode).toBe(1);
    expect(report.valid).toBe(false);
    expect(report.errors[0]).toMatchObject({ code: 'CONFIG_UNKNOWN_KEY', line: 14, col: 5, path: ['environments', 'dev', 'brnach'], hint: 'did you mean "branch"?' });
  });

  it('reports a missing file with exit code 1', async () => {
    const outcome = await validateFile(file('nope.yaml'), { output: 'json' });
    expect(outcome.exitCode).toBe(1);
    expect(JSON.parse(outcome.text)).toMatchObject({ valid: false, errors: [{ code: 'CONFIG_NOT_FOUND', line: 1, col: 1 }] });
  });
});
