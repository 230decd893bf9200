import { readFile } from 'node:fs/promises';
import { ConfigError } from '../errors/gantry-error.js';
import { readValidFast } from './fast-path.js';
import { compareIssues, formatPath } from './issues.js';
import type { ConfigIssue, LoadResult } from './issues.js';
import { normalizeConfig } from './normalize.js';
import { runRules } from './rules/index.js';
import { servicePathFindings } from './rules/service-path.js';
import type { PathProbe } from './rules/service-path.js';
import { GantryConfigSpec } from './schema.js';
import type { GantryConfigParsed } from './schema.js';
import type { GantryConfig } from './types.js';
import { positionFinding, readYaml } from './yaml-source.js';
import type { YamlSource } from './yaml-source.js';
import { ZodIssueMapper } from './zod-issues.js';

export type { ConfigIssue, LoadResult } from './issues.js';
export type { PathKind, PathProbe } from './rules/service-path.js';

/** One issue per place and problem: zod can report the same thing twice through nested unions. */
function unique(issues: readonly ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.line}:${i.col}:${i.code}:${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

const sorted = (issues: readonly ConfigIssue[]): ConfigIssue[] => unique([...issues].sort(compareIssues));

/** The repository to check paths in, chosen once the file is read (it may depend on `repository.url`); undefined skips the check. */
export type ProbeFor = (config: GantryConfigParsed) => PathProbe | undefined;

/** `full` skips the fast path: for the test that holds both paths to the same result, and the bench. */
export type Route = 'fast-first' | 'full';

interface Parsed {
  readonly result: LoadResult;
  /** Set when the file is valid: what the repository checks need to position their findings (the YAML tree only on demand). */
  readonly valid?: { readonly source: () => YamlSource; readonly data: GantryConfigParsed };
}

/**
 * Reads gantry.yaml text into a normalised config, or into every problem at once:
 * YAML syntax, then structure (zod), then the named semantic rules, which run only on a
 * structurally valid file. Semantic findings come after structural ones; each group is in file order.
 * A valid file with nothing to report takes the fast path (fast-path.ts), with the same result.
 */
function parseUnguarded(text: string, file: string, route: Route = 'fast-first'): Parsed {
  const fast = route === 'fast-first' ? readValidFast(text, file) : undefined;
  return fast ? { result: { ok: true, config: fast.config, warnings: [] }, valid: fast } : parseFull(text, file);
}

function parseFull(text: string, file: string): Parsed {
  const read = readYaml(text, file);
  if (read.fatal) return { result: { ok: false, errors: sorted(read.errors), warnings: sorted(read.warnings) } };
  const parsed = GantryConfigSpec.safeParse(read.data);
  if (!parsed.success) {
    const findings = new ZodIssueMapper(GantryConfigSpec, read.data).map(parsed.error.issues);
    const structural = findings.map((f) => positionFinding(read.source, f));
    return { result: { ok: false, errors: sorted([...read.errors, ...structural]), warnings: sorted(read.warnings) } };
  }
  if (read.errors.length > 0) return { result: { ok: false, errors: sorted(read.errors), warnings: sorted(read.warnings) } };
  const semantic = runRules(parsed.data).map((f) => positionFinding(read.source, f));
  const errors = sorted(semantic.filter((i) => i.severity === 'error'));
  const warnings = sorted([...read.warnings, ...semantic.filter((i) => i.severity === 'warning')]);
  if (errors.length > 0) return { result: { ok: false, errors, warnings } };
  return { result: { ok: true, config: normalizeConfig(parsed.data), warnings }, valid: { source: () => read.source, data: parsed.data } };
}

function internalIssue(file: string, error: unknown): ConfigIssue {
  const message = `the config checker failed on this file: ${error instanceof Error ? error.message : String(error)}`;
  return { severity: 'error', code: 'INTERNAL', message, file, line: 1, col: 1, path: [], snippet: '', hint: 'This is a bug in Gantry; please report it with the file that caused it.' };
}

/**
 * Never throws, whatever the text (the fuzz tests hold it to that). Should a bug still throw,
 * it becomes an INTERNAL issue, so a server validating a pushed config keeps running.
 */
export function parseConfigText(text: string, file: string, route?: Route): LoadResult {
  try {
    return parseUnguarded(text, file, route).result;
  } catch (error: unknown) {
    return { ok: false, errors: [internalIssue(file, error)], warnings: [] };
  }
}

/**
 * As parseConfigText, and then, for a valid file, its paths checked against the repository the
 * probe reads (the working tree, or the commit the server runs): a missing service folder is a
 * config error at its line, not a failure of the first gate that tries to run in it.
 */
export async function parseConfigTextIn(text: string, file: string, probeFor: ProbeFor, route?: Route): Promise<LoadResult> {
  try {
    const { result, valid } = parseUnguarded(text, file, route);
    const probe = result.ok && valid ? probeFor(valid.data) : undefined;
    if (!result.ok || !valid || !probe) return result;
    const found = (await servicePathFindings(valid.data, probe)).map((f) => positionFinding(valid.source(), f));
    const errors = sorted(found.filter((i) => i.severity === 'error'));
    const warnings = sorted([...result.warnings, ...found.filter((i) => i.severity === 'warning')]);
    return errors.length > 0 ? { ok: false, errors, warnings } : { ...result, warnings };
  } catch (error: unknown) {
    return { ok: false, errors: [internalIssue(file, error)], warnings: [] };
  }
}

function readFailure(file: string, error: unknown): ConfigIssue {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder, not a file' : code === 'EACCES' ? 'permission denied' : error instanceof Error ? error.message : String(error);
  return {
    severity: 'error',
    code: 'CONFIG_NOT_FOUND',
    message: `cannot read ${file}: ${reason}`,
    file,
    line: 1,
    col: 1,
    path: [],
    snippet: '',
    hint: 'run `gantry init` to write a starter gantry.yaml, or point --config at an existing one',
  };
}

/** Reads and checks a file; with a probe (`gantry validate`), its paths against that repository too. */
export async function loadConfigFile(file: string, probeFor?: ProbeFor): Promise<LoadResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error: unknown) {
    return { ok: false, errors: [readFailure(file, error)], warnings: [] };
  }
  return probeFor ? parseConfigTextIn(text, file, probeFor) : parseConfigText(text, file);
}

/** For callers that cannot go on without a config (the server, the agent, `gantry github protect`): every issue in one error. */
export async function loadConfigOrThrow(file: string): Promise<GantryConfig> {
  const result = await loadConfigFile(file);
  if (result.ok) return result.config;
  const [first] = result.errors;
  const lines = result.errors.map((i) => `  ${i.file}:${i.line}:${i.col} ${i.code} ${i.message}`);
  const count = result.errors.length;
  throw new ConfigError(first?.code ?? 'CONFIG_INVALID_VALUE', `${file} has ${count} problem${count === 1 ? '' : 's'}:\n${lines.join('\n')}`, {
    where: first ? `${first.file}:${first.line}:${first.col}${first.path.length > 0 ? ` (${formatPath(first.path)})` : ''}` : file,
    hint: first?.hint,
    details: { errors: result.errors, warnings: result.warnings },
  });
}
