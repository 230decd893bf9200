import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

describe('npm run demo', () => {
  it('checks only the changed service on the feature push and reuses its gates from the cache on the merge', async () => {
    const { code, stdout } = await new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile(process.execPath, [CLI, 'demo'], { env: { ...process.env, NO_COLOR: '1' }, timeout: 120_000 }, (error, out) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout: out });
      });
    });
    expect(code, stdout).toBe(0);
    expect(stdout).toMatch(/run #1 ✓ succeeded\s+push feature\/quote-cache/);
    expect(stdout).toMatch(/services to check: nest-api\./);
    expect(stdout).not.toMatch(/billing ›/);
    expect(stdout).toMatch(/✓ nest-api › test\s+succeeded\s+\S+\s+\(cached, tests \d+\/\d+ passed, coverage/);
    expect(stdout).toMatch(/run #2: 3 of 3 gate\(s\) reused from the cache, succeeded/);
  });
});
