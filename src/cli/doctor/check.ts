/** ✓ nothing to do; ! works, but worth a look; ✗ broken: `gantry doctor` exits 1. */
export type CheckStatus = 'ok' | 'warn' | 'fail';

/** One line of `gantry doctor`: what was looked at, what was found and, unless it is fine, the one thing to do. */
export interface Check {
  readonly name: string;
  readonly status: CheckStatus;
  readonly detail: string;
  readonly fix: string | null;
}

export const ok = (name: string, detail: string): Check => ({ name, status: 'ok', detail, fix: null });
export const warn = (name: string, detail: string, fix: string): Check => ({ name, status: 'warn', detail, fix });
export const fail = (name: string, detail: string, fix: string): Check => ({ name, status: 'fail', detail, fix });

export const MARK: Readonly<Record<CheckStatus, string>> = { ok: '✓', warn: '!', fail: '✗' };
