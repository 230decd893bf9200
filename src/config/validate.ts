import { loadConfigFile } from './loader.js';
import { issuesToJson, renderIssues, renderSummary } from './render.js';
import { workingTreeProbe } from './working-tree-probe.js';

export interface ValidateOptions {
  /** `json` prints the IssuesReport of render.ts; `text` (default) prints for people. */
  output?: 'text' | 'json';
  color?: boolean;
}

export interface ValidateOutcome {
  /** 0 when the file has no errors (warnings alone do not fail), 1 otherwise. */
  exitCode: 0 | 1;
  text: string;
}

/** `gantry validate`: everything but the printing and exiting, which the CLI does. Paths are checked in the working tree. */
export async function validateFile(file: string, options: ValidateOptions = {}): Promise<ValidateOutcome> {
  const result = await loadConfigFile(file, (config) => workingTreeProbe(file, config));
  const errors = result.ok ? [] : result.errors;
  const warnings = result.warnings;
  const exitCode = errors.length === 0 ? 0 : 1;
  if (options.output === 'json') return { exitCode, text: JSON.stringify(issuesToJson(errors, warnings), null, 2) };
  const render = { color: options.color ?? false };
  const parts: string[] = [];
  if (errors.length + warnings.length > 0) parts.push(renderIssues([...errors, ...warnings], render));
  if (result.ok) {
    const services = Object.keys(result.config.services).length;
    const environments = Object.keys(result.config.environments).length;
    parts.push(`${file} is valid: ${services} service${services === 1 ? '' : 's'}, ${environments} environment${environments === 1 ? '' : 's'}${warnings.length > 0 ? ` (${renderSummary(errors, warnings, render)})` : ''}`);
  } else {
    parts.push(`${file} is not valid: ${renderSummary(errors, warnings, render)}`);
  }
  return { exitCode, text: parts.join('\n\n') };
}
