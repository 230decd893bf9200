import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import { relative, join } from 'node:path';
import { expect } from 'vitest';
import { sweepRoot } from './sweep-root.js';

/**
 * The global secret sweep (issue 5: after the suite, no secret value a test gave Gantry is found in
 * any database, data dir, log or captured notification). The root globalSetup
 * (test/support/sweep-global-setup.ts) makes a sweep root and names it in this variable for the whole
 * run; test/sweep/secret-sweep.test.ts searches what was recorded there once every other test file
 * has finished (vitest.config.ts: the `sweep` project's sequence.groupOrder); the globalSetup's
 * teardown removes it all, also when the sweep did not run (a few test files run on their own).
 * Without the variable (a test run outside vitest's config) nothing is recorded or kept.
 *
 * Under the root:
 * - `registry/<pid>.jsonl`: every secret value tests gave Gantry, with the test file (never swept);
 * - `kept.txt`: the temporary folders (data dirs, repositories, logs) of test files that registered
 *   a value, kept by TempDirs instead of being removed, each with its test file (tab-separated);
 * - `captured/<pid>.txt`: the raw bodies stand-in notification receivers got;
 * - `cli/<pid>.txt`: what the built CLI printed, stdout and stderr;
 * - `ran.txt`: the test files of the main project that ran, so the sweep knows what to expect.
 */
export { SWEEP_ROOT_ENV, sweepRoot } from './sweep-root.js';

const REPO_ROOT = new URL('../../', import.meta.url).pathname;

/** The test file running now, relative to the repository (`test/e2e/secrets.test.ts`). */
export function currentTestFile(): string {
  const path = expect.getState().testPath;
  return path ? relative(REPO_ROOT, path) : 'unknown';
}

let registered = 0;

/** Whether this test file registered a secret value: its temporary folders are then kept for the sweep. */
export const registeredInThisFile = (): boolean => registered > 0;

function append(file: string, text: string): void {
  const root = sweepRoot();
  if (!root) return;
  const path = join(root, file);
  mkdirSync(join(path, '..'), { recursive: true });
  appendFileSync(path, text);
}

/**
 * Records a secret value a test gives Gantry (a secret store value, a GANTRY_SECRET_ variable, a
 * channel credential), and returns it. A value a test deliberately puts where the sweep looks (to
 * prove that a leak is caught) must not be registered.
 */
export function registerSecret(value: string): string {
  registered++;
  append(join('registry', `${process.pid}.jsonl`), `${JSON.stringify({ value, file: currentTestFile() })}\n`);
  return value;
}

/**
 * A fresh, registered secret value. It holds `/`, `+`, `=` and a space, so that its base64 and
 * URL-encoded forms differ from it and from each other.
 */
export function secretValue(label: string): string {
  return registerSecret(`${label} ${randomBytes(12).toString('base64')}/+=`);
}

/**
 * Keeps what a stand-in receiver got, as it got it, for the sweep. `credentials` are the values this
 * receiver must get by its protocol (PagerDuty's routing key in the body, a token in a header);
 * they are replaced before the body is kept, since their presence there is not a leak.
 */
export function captureNotification(receiver: string, body: string, credentials: readonly string[] = []): void {
  const kept = credentials.reduce((text, credential) => text.split(credential).join('<credential of this receiver>'), body);
  append(join('captured', `${process.pid}.txt`), `\n--- ${receiver} (${currentTestFile()}) ---\n${kept}\n`);
}

/** Keeps what the built CLI printed (test/support/cli.ts): its output is swept like a log. */
export function captureCliOutput(args: readonly string[], stdout: string, stderr: string): void {
  append(join('cli', `${process.pid}.txt`), `\n--- gantry ${args.slice(0, 2).join(' ')} (${currentTestFile()}) ---\n${stdout}\n${stderr}\n`);
}

/** Lists a temporary folder for the sweep instead of removing it (TempDirs.cleanup). */
export function keepForSweep(dir: string): void {
  append('kept.txt', `${dir}\t${currentTestFile()}\n`);
}

/** Notes that a test file of the main project ran (test/support/sweep-setup.ts). */
export function markRan(): void {
  append('ran.txt', `${currentTestFile()}\n`);
}

/** Where a test's own server log goes when the sweep is on: inside its temporary folder. */
export const serverLogFile = (dir: string, name = 'server'): string | undefined => (sweepRoot() ? join(dir, `${name}-${process.pid}-${Date.now()}.log`) : undefined);
