import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnvSecretSource } from '../../src/secrets/source.js';
import { basePort } from '../support/deploy-fixture.js';
import { fixtureRepo } from '../support/fixture-repo.js';
import { TempDirs, until } from '../support/temp.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const TOKEN = 'ghp_teamreader0000000000000000000000000';

/**
 * A local stand-in for GitHub's `GET /orgs/{org}/teams/{team_slug}/members`
 * (docs.github.com/rest/teams/members#list-team-members): token auth, `per_page`/`page`
 * pagination with a Link header, member objects with `login`, 404 `{message, documentation_url}`
 * for a team it does not know, 401 for a bad token. Anything else (commit statuses) is 404.
 */
async function fakeTeams(teams: Record<string, readonly string[]>): Promise<{ url: string; hits: string[]; close: () => Promise<void> }> {
  const hits: string[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://github.test');
    hits.push(`${req.method} ${url.pathname}${url.search}`);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'x-github-api-version-selected': '2022-11-28', ...headers });
      res.end(JSON.stringify(body));
    };
    if (req.headers.authorization !== `token ${TOKEN}` && req.headers.authorization !== `bearer ${TOKEN}` && req.headers.authorization !== `Bearer ${TOKEN}`) return send(401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });
    const match = /^\/orgs\/([^/]+)\/teams\/([^/]+)\/members$/.exec(url.pathname);
    const members = match ? teams[`${match[1]}/${match[2]}`] : undefined;
    if (req.method !== 'GET' || !members) return send(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest/teams/members#list-team-members' });
    const perPage = Number(url.searchParams.get('per_page') ?? 30);
    const page = Number(url.searchParams.get('page') ?? 1);
    const slice = members.slice((page - 1) * perPage, page * perPage);
    const last = Math.max(1, Math.ceil(members.length / perPage));
    const next = `<http://github.test${url.pathname}?per_page=${perPage}&page=${page + 1}>; rel="next", <http://github.test${url.pathname}?per_page=${perPage}&page=${last}>; rel="last"`;
    send(200, slice.map((login, i) => ({ login, id: 1000 + i, type: 'User', site_admin: false })), page < last ? { link: next } : {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, hits, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const config = (apiUrl: string) => `version: 1
project:
  name: approver-teams
repository:
  url: .
  defaultBranch: develop
services:
  api:
    path: api
    gates:
      - name: lint
        run: echo linted
    run:
      command: node x.js
      port: ${basePort()}
environments:
  production:
    branch: main
    approvals:
      required: 2
      approvers: ['@release-managers', '@auditors']
groups:
  release-managers: { githubTeam: release-managers }
  auditors: { githubTeam: elsewhere/auditors }
github:
  repo: volteryde/platform
  webhookSecret: { secret: GITHUB_WEBHOOK_SECRET }
  apiUrl: ${apiUrl}
  token: { secret: GITHUB_TOKEN }
`;

/** An @group that is a GitHub team admits exactly the team's members, read through GitHub's REST API. */
describe('approver groups from GitHub teams', () => {
  const temp = new TempDirs();
  let t: TestServer;
  let github: Awaited<ReturnType<typeof fakeTeams>>;
  // 120 members: the one who approves is on the second page.
  const team = [...Array.from({ length: 119 }, (_, i) => `engineer-${i}`), 'Alice'];

  beforeAll(async () => {
    github = await fakeTeams({ 'volteryde/release-managers': team });
    const root = await temp.make();
    const text = config(github.url);
    const repo = await fixtureRepo(root, { 'gantry.yaml': text, 'api/x.js': 'export {};\n' });
    t = await startTestServer(root, repo, text, { secrets: new EnvSecretSource({ GANTRY_SECRET_GITHUB_TOKEN: TOKEN, GANTRY_SECRET_GITHUB_WEBHOOK_SECRET: 'whsec' }) });
  });
  afterAll(async () => {
    await t?.close();
    await github?.close();
    await temp.cleanup();
  });

  it('takes a member of a team found on its second page, and refuses anyone else while a listed team cannot be read', async () => {
    const tokenFor = async (user: string) => (await t.api<{ token: string }>('POST', '/api/v1/tokens', { user, roles: ['approver:production'] })).body.token;
    const approveAs = (token: string, id: number) => t.server.app.inject({ method: 'POST', url: `/api/v1/runs/${id}/approve`, headers: { authorization: `Bearer ${token}` }, payload: {} });
    const dispatched = await t.api<{ run: { id: number } }>('POST', '/api/v1/dispatch', { environment: 'production' });
    expect(dispatched.status).toBe(201);
    const id = dispatched.body.run.id;
    await until(`run #${id} to wait for approval`, async () => (await t.api<{ approvals: { run: { id: number } }[] }>('GET', '/api/v1/approvals')).body.approvals.some((a) => a.run.id === id), 60_000, 200);

    const eve = await approveAs(await tokenFor('eve'), id);
    expect(eve.statusCode).toBe(503);
    expect(eve.json()).toMatchObject({ code: 'APPROVAL_GROUP_UNRESOLVED', message: 'eve is not listed by name among the approvers of production, and the members of @auditors could not be read', hint: expect.stringContaining('read:org') });

    const alice = await approveAs(await tokenFor('alice'), id);
    expect(alice.statusCode, alice.body).toBe(201);
    expect(github.hits).toContain('GET /orgs/volteryde/teams/release-managers/members?per_page=100&page=2');
    expect(github.hits).toContain('GET /orgs/elsewhere/teams/auditors/members?per_page=100&page=1');

    const { body } = await t.api<{ approvals: { run: { id: number }; approvedBy: string[] }[] }>('GET', '/api/v1/approvals');
    expect(body.approvals.find((a) => a.run.id === id)?.approvedBy).toEqual(['alice']);
    expect((await t.api('POST', `/api/v1/runs/${id}/cancel`)).status).toBe(202);
    expect((await t.finished(id)).run.state).toBe('cancelled');
  }, 120_000);
});
