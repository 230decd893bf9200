import { readFile } from 'node:fs/promises';
import { ConfigError } from '../errors/gantry-error.js';
import { compareIssues, formatPath } from './issues.js';
import type { ConfigIssue, LoadResult } from './issues.js';
import { normalizeConfig } from './normalize.js';
import { runRules } from './rules/index.js';
import { GantryConfigSpec } from './schema.js';
import type { GantryConfig } from './types.js';
import { positionFinding, readYaml } from './yaml-source.js';
import { ZodIssueMapper } from './zod-issues.js';

export type { ConfigIssue, LoadResult } from './issues.js';

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

/**
 * Reads gantry.yaml text into a normalised config, or into every problem at once:
 * YAML syntax, then structure (zod), then the named semantic rules, which run only on a
 * structurally valid file. Semantic findings come after structural ones; each group is in file order.
 */
function parseUnguarded(text: string, file: string): LoadResult {
  const read = readYaml(text, file);
  if (read.fatal) return { ok: false, errors: sorted(read.errors), warnings: sorted(read.warnings) };
  const parsed = GantryConfigSpec.safeParse(read.data);
  if (!parsed.success) {
    const findings = new ZodIssueMapper(GantryConfigSpec, read.data).map(parsed.error.issues);
    const structural = findings.map((f) => positionFinding(read.source, f));
    return { ok: false, errors: sorted([...read.errors, ...structural]), warnings: sorted(read.warnings) };
  }
  if (read.errors.length > 0) return { ok: false, errors: sorted(read.errors), warnings: sorted(read.warnings) };
  const semantic = runRules(parsed.data).map((f) => positionFinding(read.source, f));
  const errors = sorted(semantic.filter((i) => i.severity === 'error'));
  const warnings = sorted([...read.warnings, ...semantic.filter((i) => i.severity === 'warning')]);
  if (errors.length > 0) return { ok: false, errors, warnings };
  return { ok: true, config: normalizeConfig(parsed.data), warnings };
}

/**
 * Never throws, whatever the text (the fuzz tests hold it to that). Should a bug still throw,
 * it becomes an INTERNAL issue, so a server validating a pushed config keeps running.
 */
export function parseConfigText(text: string, file: string): LoadResult {
  try {
    return parseUnguarded(text, file);
  } catch (error: unknown) {
    const message = `the config checker failed on this file: ${error instanceof Error ? error.message : String(error)}`;
    const issue: ConfigIssue = { severity: 'error', code: 'INTERNAL', message, file, line: 1, col: 1, path: [], snippet: '', hint: 'This is a bug in Gantry; please report it with the file that caused it.' };
    return { ok: false, errors: [issue], warnings: [] };
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

export async function loadConfigFile(file: string): Promise<LoadResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error: unknown) {
    return { ok: false, errors: [readFailure(file, error)], warnings: [] };
  }
  return parseConfigText(text, file);
}

/** For callers that cannot go on without a config (the server, `gantry run`): every issue in one error. */
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
