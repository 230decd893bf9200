import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigFile, loadConfigOrThrow, parseConfigText } from '../../src/config/loader.js';
import type { ConfigIssue, LoadResult } from '../../src/config/loader.js';
import { ConfigError } from '../../src/errors/gantry-error.js';
import { STRUCTURE_CASES, SYNTAX_CASES } from '../fixtures/config/broken.js';
import type { BrokenCase } from '../fixtures/config/broken.js';
import { SEMANTIC_CASES, SERVICES } from '../fixtures/config/semantic.js';
import { FULL, MINIMAL } from '../fixtures/config/valid.js';
import { yaml } from '../fixtures/config/yaml-text.js';

function errorsOf(result: LoadResult): ConfigIssue[] {
  if (result.ok) throw new Error(`expected errors, the config loaded (warnings: ${result.warnings.map((w) => w.code).join(', ')})`);
  return result.errors;
}

const where = (issues: readonly ConfigIssue[]): string[] => issues.map((i) => `${i.line}:${i.col} ${i.code}`);

function expectCase(c: BrokenCase): void {
  const errors = errorsOf(parseConfigText(c.text, 'gantry.yaml'));
  const issue = errors.find((i) => i.code === c.code && i.line === c.line && i.col === c.col);
  expect(issue, `no ${c.code} at ${c.line}:${c.col}; got ${where(errors).join(', ')}`).toBeDefined();
  if (!issue) return;
  expect(issue.file).toBe('gantry.yaml');
  expect(issue.severity).toBe('error');
  if (c.path) expect(issue.path).toEqual(c.path);
  if (c.says) expect(issue.message).toContain(c.says);
  if (c.hint) expect(issue.hint).toContain(c.hint);
  expect(issue.snippet).toContain(`${c.line} | `);
}

describe('loading a broken gantry.yaml', () => {
  it('has at least thirty distinct broken configs under test', () => {
    expect(SYNTAX_CASES.length + STRUCTURE_CASES.length + SEMANTIC_CASES.length).toBeGreaterThanOrEqual(30);
  });
  it.each(SYNTAX_CASES.map((c) => [c.name, c] as const))('reports YAML problems: %s', (_name, c) => expectCase(c));
  it.each(STRUCTURE_CASES.map((c) => [c.name, c] as const))('reports structural problems: %s', (_name, c) => expectCase(c));
  it.each(SEMANTIC_CASES.map((c) => [c.name, c] as const))('reports semantic problems: %s', (_name, c) => expectCase(c));

  it('reports every structural error at once, in file order', () => {
    const text = yaml`
      version: 2
      project:
        name: Demo
      repository:
        url: .
        pol: 5s
      services:
        api:
          path: /abs
          replicas: 0
    `;
    expect(where(errorsOf(parseConfigText(text, 'g.yaml')))).toEqual([
      '1:10 CONFIG_INVALID_VALUE',
      '3:9 CONFIG_INVALID_VALUE',
      '6:3 CONFIG_UNKNOWN_KEY',
      '9:11 CONFIG_INVALID_VALUE',
      '10:15 CONFIG_INVALID_VALUE',
    ]);
  });

  it('reports every semantic error at once, in file order', () => {
    const text = `${SERVICES}  dev:\n    branch: develop\n    target: nowhere\n    services: [api, nope]\n  qa:\n    branch: develop\n    portOffset: 100\n    requires: prod\n`;
    expect(where(errorsOf(parseConfigText(text, 'g.yaml')))).toEqual([
      '18:13 CONFIG_UNKNOWN_TARGET',
      '19:21 CONFIG_UNKNOWN_SERVICE',
      '21:13 CONFIG_BRANCH_CONFLICT',
      '23:15 CONFIG_UNKNOWN_ENVIRONMENT',
    ]);
  });

  it('runs the semantic rules only once the structure is valid', () => {
    const text = `${SERVICES}  dev:\n    branch: develop\n  qa:\n    branch: develop\n    colour: blue\n`;
    expect(where(errorsOf(parseConfigText(text, 'g.yaml')))).toEqual(['20:5 CONFIG_UNKNOWN_KEY']);
  });

  it('keeps validating after a duplicate key, reporting both kinds of problem', () => {
    const text = `${MINIMAL}    branch: main\n    brnach: main\n`;
    expect(where(errorsOf(parseConfigText(text, 'g.yaml')))).toEqual(['15:5 CONFIG_DUPLICATE_KEY', '16:5 CONFIG_UNKNOWN_KEY']);
  });

  it('suggests the nearest known key for a misspelt one', () => {
    const [issue] = errorsOf(parseConfigText(MINIMAL.replace('branch: develop', 'brnach: develop'), 'g.yaml'));
    expect(issue).toMatchObject({ code: 'CONFIG_UNKNOWN_KEY', path: ['environments', 'dev', 'brnach'], hint: 'did you mean "branch"?' });
  });

  it('lists the known keys when no key is near the unknown one', () => {
    const [issue] = errorsOf(parseConfigText(MINIMAL.replace('name: demo', 'name: demo\n  colour: blue'), 'g.yaml'));
    expect(issue?.hint).toBe('known keys: "description", "name"');
  });

  it('shows the offending line with its number and a caret under the column', () => {
    const [issue] = errorsOf(parseConfigText(MINIMAL.replace('port: 3000', 'port: big'), 'g.yaml'));
    expect(issue?.snippet).toBe('11 |       port: big\n   |             ^^^');
  });

  it('gives the same positions for a file with Windows line endings', () => {
    const errors = errorsOf(parseConfigText(MINIMAL.replace('port: 3000', 'port: big').replace(/\n/g, '\r\n'), 'g.yaml'));
    expect(where(errors)).toEqual(['11:13 CONFIG_INVALID_TYPE']);
    expect(errors[0]?.snippet).toBe('11 |       port: big\n   |             ^^^');
  });
});

describe('loading a valid gantry.yaml', () => {
  it('returns the normalised config of a minimal file, without warnings', () => {
    const result = parseConfigText(MINIMAL, 'g.yaml');
    expect(result).toMatchObject({ ok: true, warnings: [] });
    if (!result.ok) return;
    expect(result.config.environments.dev).toMatchObject({ branch: 'develop', target: 'local', services: ['api'], strategy: { kind: 'rolling' } });
    expect(Object.isFrozen(result.config.services.api)).toBe(true);
  });

  it('accepts a file using most of the schema', () => {
    const result = parseConfigText(FULL, 'g.yaml');
    if (!result.ok) throw new Error(where(result.errors).join(', '));
    expect(result.warnings).toEqual([]);
    expect(result.config.environments.production?.strategy).toEqual({ kind: 'blue-green', scaleDownDelayMs: 30_000, previewPortOffset: 10_000 });
    expect(result.config.services.api?.gates.map((g) => g.name)).toEqual(['lint', 'test']);
  });
});

describe('YAML merge keys', () => {
  const SHARED = yaml`
    version: 1
    project:
      name: demo
    repository:
      url: .
    services:
      api: &service
        path: services/api
        replicas: 2
        run:
          command: node server.js
          port: 3000
      web:
        <<: *service
        path: services/web
        run: { command: node web.js, port: 3001 }
      admin:
        <<: [*service]
        path: services/admin
        replicas: 1
        run: { command: node admin.js, port: 3002 }
  `;

  it('shares settings between services with <<: *anchor, explicit keys winning', () => {
    const result = parseConfigText(SHARED, 'g.yaml');
    if (!result.ok) throw new Error(where(result.errors).join(', '));
    expect(result.warnings).toEqual([]);
    expect(result.config.services.web).toMatchObject({ path: 'services/web', replicas: 2 });
    expect(result.config.services.admin).toMatchObject({ path: 'services/admin', replicas: 1 });
  });

  it('points an error inside merged content at the line where that content is written', () => {
    const errors = errorsOf(parseConfigText(SHARED.replace('replicas: 2', 'replicas: many'), 'g.yaml'));
    // api and web both get the bad value from the anchored mapping (line 9); admin sets its own.
    expect(errors.map((e) => `${e.line}:${e.col} ${e.code} ${e.path.join('.')}`)).toEqual([
      '9:15 CONFIG_INVALID_TYPE services.api.replicas',
      '9:15 CONFIG_INVALID_TYPE services.web.replicas',
    ]);
  });

  it('points a misspelt key inside merged content at its own line, with a suggestion', () => {
    const errors = errorsOf(parseConfigText(SHARED.replace('replicas: 2', 'replica: 2'), 'g.yaml'));
    expect(errors.map((e) => `${e.line}:${e.col} ${e.path.join('.')}`)).toEqual(['9:5 services.admin.replica', '9:5 services.api.replica', '9:5 services.web.replica']);
    expect(errors[0]?.hint).toContain('replicas');
  });

  it('points an error in a key that overrides merged content at the overriding line', () => {
    const errors = errorsOf(parseConfigText(SHARED.replace('replicas: 1', 'replicas: 0'), 'g.yaml'));
    expect(where(errors)).toEqual(['20:15 CONFIG_INVALID_VALUE']);
  });

  it('refuses a merge of something that is not a mapping, naming the anchors', () => {
    const errors = errorsOf(parseConfigText(SHARED.replace('<<: [*service]', '<<: 5'), 'g.yaml'));
    expect(errors[0]?.code).toBe('CONFIG_YAML_SYNTAX');
    expect(errors[0]?.hint).toMatch(/anchors/);
  });
});

describe('warnings', () => {
  const warningsOf = (text: string): string[] => {
    const result = parseConfigText(text, 'g.yaml');
    expect(result.ok, result.ok ? '' : where(result.errors).join(', ')).toBe(true);
    return result.warnings.map((w) => `${w.line}:${w.col} ${w.severity} ${w.code}`);
  };

  it('warns when an environment does not provide a secret its services read', () => {
    const text = `${SERVICES.replace('path: services/web', 'path: services/web\n    secrets: [DB_URL]')}  dev:\n    branch: develop\n  staging:\n    branch: staging\n    portOffset: 100\n    secrets: [OTHER]\n`;
    expect(warningsOf(text)).toEqual(['17:3 warning CONFIG_UNDECLARED_SECRET', '22:14 warning CONFIG_UNDECLARED_SECRET']);
  });

  it('warns when more approvals are required than approvers are listed', () => {
    const text = `${MINIMAL}    approvals: { required: 3, approvers: [alice, bob] }\n`;
    expect(warningsOf(text)).toEqual(['15:28 warning CONFIG_APPROVALS_UNSATISFIABLE']);
  });

  it('counts the members of a listed group among the approvers', () => {
    expect(warningsOf(`${MINIMAL}    approvals: { required: 3, approvers: [alice, "@ops"] }\ngroups:\n  ops: [carol, dave]\n`)).toEqual([]);
    expect(warningsOf(`${MINIMAL}    approvals: { required: 3, approvers: [alice, "@ops"] }\ngroups:\n  ops: [alice, dave]\n`)).toEqual(['15:28 warning CONFIG_APPROVALS_UNSATISFIABLE']);
  });

  it('warns about a notification channel no route uses', () => {
    const text = `${MINIMAL}notifications:\n  channels:\n    team: { kind: slack, webhook: { secret: SLACK } }\n  routes: []\n`;
    expect(warningsOf(text)).toEqual(['17:5 warning CONFIG_UNUSED_CHANNEL']);
  });

  it('warns about a YAML tag it does not know and reads the value as text', () => {
    expect(warningsOf(MINIMAL.replace('name: demo', 'name: !custom demo'))).toEqual(['3:9 warning CONFIG_YAML_SYNTAX']);
  });
});

describe('loading from disk', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gantry-config-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads and validates a file', async () => {
    const file = join(dir, 'ok.yaml');
    await writeFile(file, MINIMAL);
    expect(await loadConfigFile(file)).toMatchObject({ ok: true });
  });

  it('reports a missing file as CONFIG_NOT_FOUND at 1:1', async () => {
    const file = join(dir, 'missing.yaml');
    const [issue] = errorsOf(await loadConfigFile(file));
    expect(issue).toMatchObject({ code: 'CONFIG_NOT_FOUND', file, line: 1, col: 1, path: [] });
    expect(issue?.message).toContain('no such file');
  });

  it('reports a folder given as the file as CONFIG_NOT_FOUND', async () => {
    expect(errorsOf(await loadConfigFile(dir))[0]?.code).toBe('CONFIG_NOT_FOUND');
  });

  it('throws a ConfigError listing every issue when asked to', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, MINIMAL.replace('version: 1', 'version: 2').replace('branch: develop', 'brnach: develop'));
    const error: unknown = await loadConfigOrThrow(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ code: 'CONFIG_INVALID_VALUE', where: `${file}:1:10 (version)` });
    expect((error as ConfigError).message).toContain('2 problems');
    expect((error as ConfigError).message).toContain(`${file}:14:5 CONFIG_UNKNOWN_KEY`);
  });

  it('returns the config when asked to throw and the file is valid', async () => {
    const file = join(dir, 'ok.yaml');
    await writeFile(file, MINIMAL);
    expect((await loadConfigOrThrow(file)).project.name).toBe('demo');
  });
});
