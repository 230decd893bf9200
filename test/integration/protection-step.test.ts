import { afterEach, describe, expect, it } from 'vitest';
import { ProtectionStep } from '../../src/steps/protection.js';
import { engineHarness, step, type Harness } from '../support/engine-harness.js';
import { TempDirs, until } from '../support/temp.js';

const SHA = 'a'.repeat(40);

describe('the branch protection step of a GitHub repository', () => {
  const temp = new TempDirs();
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
    await temp.cleanup();
  });

  const start = async (): Promise<number> => {
    h = await engineHarness(await temp.make(), (store) => [new ProtectionStep(store)]);
    return h.createRun([step('protection:main', 'protection', [], { branch: 'main', waitMs: 60_000, timeoutMs: 120_000 })], 'production');
  };

  it('waits, visibly, until the webhook’s verdict arrives, and goes on when GitHub accepted the push', async () => {
    const id = await start();
    const harness = h as Harness;
    const waiting = await until('the step to wait', async () => ((await harness.store.steps.forRun(id))[0]?.state === 'waiting' ? (await harness.store.steps.forRun(id))[0] : undefined));
    expect(waiting.message).toMatch(/waiting for GitHub's verdict on aaaaaaa/);
    await harness.store.events.append('github.push.accepted', 'octocat', null, { branch: 'main', sha: SHA, pullRequest: 42 }, Date.now());
    const run = await harness.executor.waitForRun(id);
    expect(run.state).toBe('succeeded');
    expect((await harness.store.steps.forRun(id))[0]?.message).toBe('GitHub accepted the push (pull request #42)');
  });

  it('fails the run with the webhook’s reason when GitHub refused the push', async () => {
    const id = await start();
    const harness = h as Harness;
    await harness.store.events.append('github.push.refused', 'octocat', null, { branch: 'main', sha: SHA, reason: 'pull request #7 has 1 approval, 2 needed' }, Date.now());
    const run = await harness.executor.waitForRun(id);
    expect(run.state).toBe('failed');
    expect(run.error).toMatchObject({ code: 'PROTECTION_REFUSED' });
    expect(run.error?.message).toMatch(/1 approval, 2 needed/);
  });
});
