import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunView, StepView } from '../../src/server/views.js';
import { launchBrowser, openPage, signIn, type WatchedPage } from '../support/browser.js';
import { canaryConfig } from '../support/canary-config.js';
import { basePort, serviceFiles } from '../support/deploy-fixture.js';
import { fixtureRepo, pushChange } from '../support/fixture-repo.js';
import { TempDirs } from '../support/temp.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { TimedLoad } from '../support/timed-load.js';

/** The run page shows a running canary's step and weight as they change, and a person promotes it there. */
describe('a canary on the dashboard', () => {
  const temp = new TempDirs();
  const port = basePort();
  let t: TestServer;
  let browser: Browser;
  let watched: WatchedPage | undefined;

  beforeAll(async () => {
    const root = await temp.make();
    const config = canaryConfig(port, '');
    const repo = await fixtureRepo(root, { 'gantry.yaml': config, ...serviceFiles('v1') });
    t = await startTestServer(root, repo, config);
    const first = await t.api<{ run: RunView }>('POST', '/api/v1/dispatch', { environment: 'prod', ref: 'main' });
    expect((await t.finished(first.body.run.id, 90_000)).run.state).toBe('succeeded');
    await pushChange(repo, 'main', serviceFiles('v2'), 'v2', 'main');
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => {
    await watched?.page.close();
    await browser?.close();
    await t?.server.close({ stopAgents: true });
    await temp.cleanup();
  });

  it('shows the canary’s step and share live, and Promote takes it to 100 %, audited', async () => {
    const load = new TimedLoad(`http://127.0.0.1:${port}/`, 4, 5);
    load.start();
    try {
      const { body } = await t.api<{ run: RunView }>('POST', '/api/v1/dispatch', { environment: 'prod', ref: 'main' });
      const id = body.run.id;
      watched = await openPage(browser);
      const { page } = watched;
      await signIn(page, t.server.url, t.token, `#/runs/${id}`);
      const card = page.locator('article.canary', { has: page.getByRole('heading', { name: /Canary: api r\d+/ }) });
      // Opened while the canary starts: the card follows it to its pause without a reload.
      await card.getByText('step 4/4 (pause until promoted), paused: gantry promote to go on').waitFor({ timeout: 60_000 });
      await expect(card.getByRole('meter').getAttribute('aria-valuenow')).resolves.toBe('50');
      await expect(card.locator('.canary-share').textContent()).resolves.toBe('50 %');
      await card.getByRole('button', { name: 'Promote' }).click();
      await page.getByRole('heading', { name: `Run #${id} succeeded` }).waitFor({ timeout: 60_000 });
      const done = await t.api<{ run: RunView; steps: StepView[] }>('GET', `/api/v1/runs/${id}`);
      expect(done.body.run.state).toBe('succeeded');
      const audit = await t.api<{ events: Array<{ kind: string; actor: string; runId: number | null }> }>('GET', '/api/v1/audit?limit=200');
      expect(audit.body.events.filter((e) => e.kind === 'canary.promoted')).toEqual([expect.objectContaining({ actor: 'admin', runId: id })]);
      expect(watched.problems).toEqual([]);
    } finally {
      await load.stop();
    }
  }, 150_000);
});
