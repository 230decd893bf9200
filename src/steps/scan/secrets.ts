import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { lintSource } from '@secretlint/core';
import { creator as recommendedPreset } from '@secretlint/secretlint-rule-preset-recommend';

/** One secret found in a file: where and by which rule. Never the value. */
export interface SecretFinding {
  readonly file: string;
  readonly line: number;
  readonly rule: string;
  readonly message: string;
}

/** Files larger than this are not text a person commits by hand (lock files, bundles); skipped. */
export const MAX_SCANNED_BYTES = 2 * 1024 * 1024;

const CONFIG = { rules: [{ id: '@secretlint/secretlint-rule-preset-recommend', rule: recommendedPreset }] };

/**
 * secretlint reports `found AWS Secret Access Key: ****` with one `*` per character of the value; even
 * that length is more than a log needs, so every run of masking collapses to `***`.
 */
export function maskMessage(message: string): string {
  return message.replace(/\*{3,}/g, '***');
}

/** Runs secretlint's recommended rules over one file's text (`file` is relative, for the finding). */
export async function scanText(file: string, content: string): Promise<SecretFinding[]> {
  const result = await lintSource({
    source: { content, filePath: file, contentType: 'text' },
    options: { config: CONFIG, maskSecrets: true, noPhysicFilePath: true },
  });
  return result.messages.map((m) => ({
    file,
    line: m.loc.start.line,
    rule: m.ruleId.replace(/^@secretlint\/secretlint-rule-/, ''),
    message: maskMessage(m.message),
  }));
}

/** Scans `files` (relative to `root`); files that are gone, too large or binary are skipped. */
export async function scanFiles(root: string, files: readonly string[]): Promise<{ findings: SecretFinding[]; scanned: number }> {
  const findings: SecretFinding[] = [];
  let scanned = 0;
  for (const file of files) {
    const path = join(root, file);
    const info = await stat(path).catch(() => undefined);
    if (!info?.isFile() || info.size > MAX_SCANNED_BYTES) continue;
    const bytes = await readFile(path);
    if (bytes.includes(0)) continue;
    scanned += 1;
    findings.push(...(await scanText(file, bytes.toString('utf8'))));
  }
  return { findings, scanned };
}
