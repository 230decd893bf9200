import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';

/**
 * Issue 16, item 1: deploy/systemd/ runs the server and agents under systemd. No systemd runs here
 * (nothing can be started), so the units are checked by systemd's own `systemd-analyze verify`, and
 * against Gantry: the command they run, that a server stop leaves the agents it started, and that
 * every GANTRY_* variable they set is one a flag of the CLI reads.
 */

const DIR = fileURLToPath(new URL('../../deploy/systemd/', import.meta.url));
const SERVER = join(DIR, 'gantry-server.service');
const AGENT = join(DIR, 'gantry-agent@.service');

type Unit = Map<string, Map<string, string[]>>;

/** [Section] Key=value lines, a key given twice keeps both; comments and blank lines skipped. */
function parseUnit(path: string): Unit {
  const unit: Unit = new Map();
  let section: Map<string, string[]> | undefined;
  for (const raw of readFileSync(path, 'utf8').split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header?.[1]) {
      section = new Map();
      unit.set(header[1], section);
      continue;
    }
    const eq = line.indexOf('=');
    if (!section || eq < 1) throw new Error(`${path}: a line outside a section or without =: ${line}`);
    const key = line.slice(0, eq);
    section.set(key, [...(section.get(key) ?? []), line.slice(eq + 1)]);
  }
  return unit;
}

const service = (unit: Unit, key: string): string[] => unit.get('Service')?.get(key) ?? [];

/** Variables set by Environment= lines, the commented-out examples included. */
function environmentNames(path: string): string[] {
  return [...readFileSync(path, 'utf8').matchAll(/^#?\s*Environment=(GANTRY_[A-Z_]+)=/gm)].map((m) => m[1] as string);
}

/** Every environment variable a flag of any gantry command reads (commander's `.env(…)`). */
function flagEnvironment(): Set<string> {
  const names = new Set<string>();
  const walk = (command: Command): void => {
    for (const option of command.options) if (option.envVar) names.add(option.envVar);
    command.commands.forEach(walk);
  };
  walk(buildProgram(() => undefined));
  return names;
}

const hasSystemdAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;

describe('systemd units', () => {
  it.skipIf(!hasSystemdAnalyze)('pass systemd-analyze verify (the agent template as an instance)', () => {
    for (const unit of [SERVER, AGENT]) {
      // verify exits non-zero on a bad directive or a command that does not exist, and warns on stderr.
      const verify = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8' });
      expect(verify.status, verify.stderr).toBe(0);
      expect(`${verify.stdout}${verify.stderr}`.trim(), unit).toBe('');
    }
  });

  it('runs gantry server as an unprivileged user and leaves the agents it started running when it stops', () => {
    const unit = parseUnit(SERVER);
    expect(service(unit, 'ExecStart')).toEqual(['/usr/bin/env gantry server']);
    expect(service(unit, 'User')).toEqual(['gantry']);
    // control-group (the default) or mixed would kill the detached agents, and their revisions, with the server.
    expect(service(unit, 'KillMode')).toEqual(['process']);
    expect(service(unit, 'Restart')).toEqual(['on-failure']);
    expect(Number(service(unit, 'TimeoutStopSec')[0])).toBeGreaterThanOrEqual(60);
    expect(unit.get('Install')?.get('WantedBy')).toEqual(['multi-user.target']);
  });

  it('runs one gantry agent per target, restarted always, in a unit of its own', () => {
    const unit = parseUnit(AGENT);
    const exec = service(unit, 'ExecStart')[0] ?? '';
    expect(exec).toMatch(/^\/usr\/bin\/env gantry agent /);
    expect(exec).toContain('--target %i');
    expect(exec).toMatch(/--token-file \S+/);
    expect(service(unit, 'User')).toEqual(['gantry']);
    expect(service(unit, 'Restart')).toEqual(['always']);
    expect(service(unit, 'KillMode')).toEqual(['mixed']);
    expect(service(unit, 'Delegate')).toEqual(['yes']);
  });

  it('sets only GANTRY_* variables that a gantry flag reads', () => {
    const known = flagEnvironment();
    const server = environmentNames(SERVER);
    expect(server).toEqual(expect.arrayContaining(['GANTRY_CONFIG', 'GANTRY_DATA_DIR', 'GANTRY_HOST', 'GANTRY_PORT', 'GANTRY_LOG_LEVEL', 'GANTRY_TRUST_PROXY', 'GANTRY_PUBLIC_URL']));
    for (const name of [...server, ...environmentNames(AGENT)]) expect(known, `${name} is no flag's environment variable`).toContain(name);
  });
});
