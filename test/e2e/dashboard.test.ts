import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DESKTOP, launchBrowser, openPage, PHONE, screenshot, signIn, type WatchedPage } from '../support/browser.js';
import { basePort, deployConfig, serviceFiles } from '../support/deploy-fixture.js';
import { fixtureRepo, pushChange } from '../support/fixture-repo.js';
import { TempDirs, until } from '../support/temp.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/**
 * The dashboard in Debian's Chromium against a real server, real agents and a real git repository:
 * what people on call do there (watch a release, approve production, roll back, read DORA and the
 * audit log), with a screenshot of each page for docs/screenshots.
 */
describe('the dashboard in a browser', () => {
  const temp = new TempDirs();
  const port = basePort();
  // A slow build keeps the first run visibly in progress; production takes a backup before it deploys.
  const config = deployConfig({ port, productionApprovals: 2 })
    .replace('run: mkdir -p out', 'run: sleep 3 && mkdir -p out')
    .replace('    requires: staging\n', '    requires: staging\n    backup:\n      retention: 1d\n');
  let t: TestServer;
  let browser: Browser;
  let repo: Awaited<ReturnType<typeof fixtureRepo>>;
  const pages: WatchedPage[] = [];
  const tokens: Record<string, string> = {};

  const api = async <T>(method: 'GET' | 'POST', path: string, body?: unknown, token = t.token): Promise<T> => {
    const res = await fetch(`${t.server.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
    const json = (await res.json()) as T;
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const served = async (): Promise<string> => ((await (await fetch(`http://127.0.0.1:${port}/`)).json()) as { version: string }).version;
  const as = async (user: string, hash = '#/', viewport: { width: number; height: number } = DESKTOP): Promise<Page> => {
    const watched = await openPage(browser, viewport);
    pages.push(watched);
    await signIn(watched.page, t.server.url, tokens[user] ?? t.token, hash);
    return watched.page;
  };

  beforeAll(async () => {
    const root = await temp.make();
    repo = await fixtureRepo(root, { 'gantry.yaml': config, ...serviceFiles('v1') });
    t = await startTestServer(root, repo, config);
    for (const [user, roles] of [
      ['dave', ['deployer:production', 'approver:production', 'viewer']],
      ['alice', ['approver:production']],
      ['bob', ['approver:production']],
    ] as const) {
      tokens[user] = (await api<{ token: string }>('POST', '/api/v1/tokens', { user, email: `${user}@shop.test`, roles })).token;
    }
    browser = await launchBrowser();
  });

  afterAll(async () => {
    for (const p of pages) await p.context.close().catch(() => undefined);
    await browser?.close();
    await t?.server.close({ stopAgents: true });
    await temp.cleanup();
  });

  it('asks for a token first, and says what is wrong with a bad one', async () => {
    const watched = await openPage(browser);
    await watched.page.goto(`${t.server.url}/`);
    await watched.page.getByLabel('API token').fill('gty_not-a-real-token');
    await watched.page.getByRole('button', { name: 'Sign in' }).click();
    await watched.page.getByRole('alert').getByText('the token is unknown, expired or revoked').waitFor();
    await screenshot(watched.page, 'sign-in');
    // The refused request shows in the console as a failed resource; that is the browser, not the page.
    expect(watched.problems.filter((p) => !p.includes('401'))).toEqual([]);
    await watched.context.close();
  });

  it('shows a deployment progress live, without a reload', async () => {
    const page = await as('admin', '#/runs');
    // Page scripts run in the browser; they are strings here because the tests are type-checked without the DOM.
    await page.evaluate('window.stillHere = true');
    const { run } = await api<{ run: { id: number } }>('POST', '/api/v1/dispatch', { environment: 'dev', ref: 'develop' });
    // The runs list learns of the run from the live stream.
    await page.locator(`tr[data-run="${run.id}"]`).waitFor({ timeout: 15_000 });
    await page.locator(`tr[data-run="${run.id}"] a`).click();
    await page.locator('[data-step="build:api"][data-state="running"]').waitFor({ timeout: 15_000 });
    await page.locator('[data-step="deploy:dev:api"][data-state="succeeded"]').waitFor({ timeout: 60_000 });
    await page.getByRole('heading', { name: `Run #${run.id} succeeded` }).waitFor({ timeout: 30_000 });
    expect(await page.evaluate('window.stillHere === true')).toBe(true);
    // Live logs and the step results are on the page.
    await page.locator('pre.logs').getByText(/r1 .*ready|serving|healthy/i).first().waitFor({ timeout: 15_000 });
    await expect(page.locator('[data-result="build:api"]').textContent()).resolves.toMatch(/sha256:/);
    await screenshot(page, 'run');

    await page.goto(`${t.server.url}/#/`);
    const cell = page.locator('td[data-env="dev"][data-service="api"]');
    await cell.getByText('r1 100%').waitFor({ timeout: 15_000 });
    await expect(cell.textContent()).resolves.toMatch(/ready/);
  });

  it('approves production as two different users, and refuses the one who started the run', async () => {
    const staging = await api<{ run: { id: number } }>('POST', '/api/v1/dispatch', { environment: 'staging', ref: 'develop' });
    expect((await t.finished(staging.run.id)).run.state).toBe('succeeded');
    const { run } = await api<{ run: { id: number } }>('POST', '/api/v1/dispatch', { environment: 'production', ref: 'develop', confirm: 'DEPLOY TO PRODUCTION' }, tokens.dave);

    const dave = await as('dave', '#/approvals');
    const daveCard = dave.locator(`article.approval[data-run="${run.id}"]`);
    await daveCard.waitFor({ timeout: 30_000 });
    await expect(daveCard.getByRole('button', { name: 'Approve' }).isDisabled()).resolves.toBe(true);
    await daveCard.getByText('dave started this run and cannot approve it').first().waitFor();
    await screenshot(dave, 'approvals');

    for (const [user, count] of [['alice', 1], ['bob', 2]] as const) {
      const page = await as(user, '#/approvals');
      const card = page.locator(`article.approval[data-run="${run.id}"]`);
      await card.waitFor({ timeout: 15_000 });
      const approve = card.getByRole('button', { name: 'Approve' });
      // Production asks for its phrase before the button works.
      await expect(approve.isDisabled()).resolves.toBe(true);
      await card.getByText('Type "DEPLOY TO PRODUCTION" to approve production.').waitFor();
      await card.getByLabel('Comment').fill(`looks good to ${user}`);
      await card.getByLabel(/to approve/).fill('DEPLOY TO PRODUCTION');
      await expect(approve.isEnabled()).resolves.toBe(true);
      await approve.click();
      await page.getByRole('status').getByText(`Run #${run.id} → production: Approved.`).waitFor();
      await until(`${count} approval(s) recorded`, async () => (await api<{ events: Array<{ kind: string; actor: string }> }>('GET', '/api/v1/audit')).events.filter((e) => e.kind === 'approval.approved').length === count);
    }
    const done = await t.finished(run.id, 90_000);
    expect(done.run.state).toBe('succeeded');
    expect(done.steps.find((s) => s.kind === 'approval')?.summary).toMatchObject({ approvedBy: ['alice', 'bob'] });
    // The refused user's page now shows nothing waiting, without a reload.
    await dave.getByText('Nothing is waiting for an approval.').waitFor({ timeout: 15_000 });
  });

  it('rolls back from the page and traffic moves back to the earlier release', async () => {
    const sha = await pushChange(repo, 'develop', serviceFiles('v2'), 'v2');
    const { run } = await api<{ run: { id: number } }>('POST', '/api/v1/dispatch', { environment: 'dev', ref: sha });
    expect((await t.finished(run.id, 90_000)).run.state).toBe('succeeded');
    expect(await served()).toBe('v2');

    const page = await as('admin', '#/rollback/dev');
    await page.getByRole('radio', { name: 'api r1' }).check();
    const change = page.locator('form', { has: page.getByRole('heading', { name: 'What will change' }) });
    await expect(change.textContent()).resolves.toMatch(/r2.*r1/s);
    await page.getByLabel('Reason').fill('v2 breaks checkout');
    await page.getByRole('button', { name: 'Roll back…' }).click();
    await screenshot(page, 'rollback');
    await page.getByRole('button', { name: 'Confirm rollback' }).click();
    // The page opens the rollback's own run and follows it.
    await page.waitForURL(/#\/runs\/\d+$/);
    await page.getByRole('heading', { name: /Run #\d+ succeeded/ }).waitFor({ timeout: 60_000 });
    expect(await served()).toBe('v1');
    await page.goto(`${t.server.url}/#/`);
    await page.locator('td[data-env="dev"][data-service="api"]').getByText('r3 100%').waitFor({ timeout: 15_000 });
    const history = await api<{ deployments: Array<{ revision: number; reason: string | null; triggeredBy: string }> }>('GET', '/api/v1/environments/dev/history');
    expect(history.deployments[0]).toMatchObject({ revision: 3, reason: 'rollback to r1: v2 breaks checkout', triggeredBy: 'admin' });
  });

  it('draws the DORA charts from real deployments, lists backups, and shows the audit chain verified', async () => {
    const page = await as('admin', '#/dora');
    const frequency = page.locator('.tile', { hasText: 'Deployment frequency' });
    await frequency.getByText(/[1-9]\d* successful deployments/).waitFor({ timeout: 15_000 });
    await expect(page.locator('svg[aria-label^="Deployments per day"]').getAttribute('data-points')).resolves.toBe('30');
    await expect(page.locator('svg[aria-label^="Deployments per day"] rect.bar').count()).resolves.toBe(1);
    await expect(page.locator('svg[aria-label^="Lead time"] circle.dot').count()).resolves.toBe(1);
    await expect(page.locator('.tile', { hasText: 'Lead time' }).locator('.badge').textContent()).resolves.toBe('elite');
    await page.getByLabel('Window', { exact: true }).selectOption({ label: '7 days' });
    await expect.poll(() => page.locator('svg[aria-label^="Deployments per day"]').getAttribute('data-points')).toBe('7');
    await screenshot(page, 'dora');

    // A second production deployment (approved through the API) takes a backup that holds the first.
    const { run } = await api<{ run: { id: number; sha: string } }>('POST', '/api/v1/dispatch', { environment: 'production', ref: 'develop~1', confirm: 'DEPLOY TO PRODUCTION' }, tokens.dave);
    for (const user of ['alice', 'bob']) {
      await until(`run #${run.id} to wait for ${user}`, async () => (await api('POST', `/api/v1/runs/${run.id}/approve`, { confirm: 'DEPLOY TO PRODUCTION' }, tokens[user]).then(() => true).catch(() => false)), 30_000, 200);
    }
    expect((await t.finished(run.id, 90_000)).run.state).toBe('succeeded');

    await page.goto(`${t.server.url}/#/backups`);
    await page.getByRole('link', { name: '#2' }).waitFor();
    await screenshot(page, 'backups');
    await page.getByRole('link', { name: '#2' }).click();
    await page.getByRole('heading', { name: 'Backup #2 of production' }).waitFor();
    await page.getByRole('cell', { name: 'r1' }).waitFor();
    const restore = page.getByRole('button', { name: 'Restore backup #2' });
    await expect(restore.isDisabled()).resolves.toBe(true);
    await page.getByLabel('to confirm').fill('production');
    await expect(restore.isEnabled()).resolves.toBe(true);
    await screenshot(page, 'backup');
    await restore.click();
    await page.waitForURL(/#\/runs\/\d+$/);
    await page.getByRole('heading', { name: /Run #\d+ succeeded/ }).waitFor({ timeout: 60_000 });
    await expect(page.locator('dl.facts').textContent()).resolves.toMatch(/restore of backup #2/);

    // Every environment deployed by now: the matrix as people on call see it.
    await page.goto(`${t.server.url}/#/`);
    await page.locator('td[data-env="production"][data-service="api"]').getByText(/r\d+ 100%/).waitFor({ timeout: 15_000 });
    await screenshot(page, 'environments');

    await page.goto(`${t.server.url}/#/audit`);
    await page.getByRole('status').getByText(/Chain verified: \d+ events/).waitFor({ timeout: 15_000 });
    await page.getByRole('cell', { name: 'rollback.requested' }).waitFor();
    await expect(page.getByRole('cell', { name: 'approval.approved' }).count()).resolves.toBe(4);
    await screenshot(page, 'audit');
  });

  it('works at phone width and from the keyboard alone', async () => {
    const page = await as('admin', '#/', PHONE);
    for (const [hash, name] of [['#/', 'environments-phone'], ['#/runs/1', 'run-phone'], ['#/dora', 'dora-phone']] as const) {
      await page.goto(`${t.server.url}/${hash}`);
      await page.locator('main h1').first().waitFor();
      // Nothing makes the page itself wider than the phone: wide tables scroll inside their box.
      const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
      expect(overflow, hash).toBeLessThanOrEqual(0);
      await screenshot(page, name);
    }
    const desk = await as('admin', '#/rollback/dev');
    await desk.getByRole('radio', { name: 'api r2' }).waitFor();
    // Tab through the page: every link, button and field must take the focus in turn.
    const reachable = new Set<string>();
    for (let i = 0; i < 40; i++) {
      await desk.keyboard.press('Tab');
      reachable.add(await desk.evaluate<string>("`${document.activeElement?.tagName}:${document.activeElement?.textContent?.trim() || (document.activeElement?.getAttribute('aria-label') ?? '')}`"));
    }
    for (const wanted of ['A:Environments', 'A:Audit', 'BUTTON:Sign out', 'SELECT:devstagingproduction', 'INPUT:api r2']) expect([...reachable], wanted).toContain(wanted);
    // Pick and confirm a rollback with keys only (it is not submitted: the test ends at the confirmation).
    await desk.getByRole('radio', { name: 'api r2' }).focus();
    await desk.keyboard.press('Space');
    await desk.getByRole('button', { name: 'Roll back…' }).focus();
    await desk.keyboard.press('Enter');
    await expect(desk.evaluate<string>('document.activeElement?.textContent')).resolves.toBe('Confirm rollback');
  });

  it('filters the runs list, and rejects a production run with a reason', async () => {
    const page = await as('alice', '#/runs');
    await page.getByLabel('Environment').selectOption('production');
    await page.waitForURL(/environment=production/);
    const production = (await api<{ runs: Array<{ id: number }> }>('GET', '/api/v1/runs?environment=production')).runs;
    await expect.poll(() => page.locator('tr[data-run]').count()).toBe(production.length);
    await screenshot(page, 'runs');

    const { run } = await api<{ run: { id: number } }>('POST', '/api/v1/dispatch', { environment: 'production', ref: 'develop~1', confirm: 'DEPLOY TO PRODUCTION' }, tokens.dave);
    await page.goto(`${t.server.url}/#/approvals`);
    const card = page.locator(`article.approval[data-run="${run.id}"]`);
    await card.waitFor({ timeout: 30_000 });
    const reject = card.getByRole('button', { name: 'Reject' });
    await expect(reject.isDisabled()).resolves.toBe(true);
    await card.getByText('Write a reason to reject.').waitFor();
    await card.getByLabel('Comment').fill('not during the sale');
    await reject.click();
    await page.getByRole('status').getByText(`Run #${run.id} → production: Rejected.`).waitFor();
    expect((await t.finished(run.id)).run.state).not.toBe('succeeded');
    const events = (await api<{ events: Array<{ kind: string; actor: string; runId: number | null; data: { comment?: string } }> }>('GET', '/api/v1/audit')).events;
    expect(events.find((e) => e.kind === 'approval.rejected' && e.runId === run.id)).toMatchObject({ actor: 'alice', data: { comment: 'not during the sale' } });
  });

  it('has no serious or critical accessibility problem on any page (axe-core)', async () => {
    const axe = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
    type Violation = { id: string; impact: string; nodes: Array<{ target: string[] }> };
    for (const viewport of [DESKTOP, PHONE]) {
      // The page's content security policy forbids injected scripts: this context lifts it to run axe, and only here.
      const context = await browser.newContext({ viewport, bypassCSP: true });
      const page = await context.newPage();
      const audit = async (where: string): Promise<string[]> => {
        await page.addScriptTag({ content: axe });
        const { violations } = await page.evaluate<{ violations: Violation[] }>('axe.run(document, { resultTypes: ["violations"] })');
        return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${where} (${viewport.width}px): ${v.id} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
      };
      const found: string[] = [];
      await page.goto(`${t.server.url}/`);
      await page.getByLabel('API token').waitFor();
      found.push(...(await audit('sign-in')));
      await signIn(page, t.server.url, t.token);
      for (const hash of ['#/', '#/runs', '#/runs/1', '#/approvals', '#/rollback/dev', '#/backups', '#/backups/2', '#/dora', '#/audit']) {
        await page.goto(`${t.server.url}/${hash}`);
        await page.locator('main h1').first().waitFor();
        await page.locator('[aria-busy="true"]').waitFor({ state: 'detached' });
        found.push(...(await audit(hash)));
      }
      expect(found).toEqual([]);
      await context.close();
    }
  });

  it('ran every page without a console error', () => {
    expect(pages.flatMap((p) => p.problems)).toEqual([]);
  });
});
