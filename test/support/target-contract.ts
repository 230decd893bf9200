import { afterEach, describe, expect, it } from 'vitest';
import { isGantryError } from '../../src/errors/index.js';
import type { ArtifactRef, Endpoint, RevisionSpec, RevisionStatus, RouteName, ServiceStatus, Target } from '../../src/targets/target.js';
import { until } from './temp.js';

/**
 * The contract every target kind must pass, whatever it runs on: call `targetContract` from a test
 * file beside the target with a factory that brings up a real target (the local kind: a real
 * `gantry agent`; a Docker or Kubernetes kind: a real daemon or cluster).
 *
 * The factory packs CONTRACT_SERVICE_JS as the artifact, the way its kind ships artifacts, and
 * gives one environment whose services have a main and (when the kind has `preview`) a preview
 * route. The service answers every path but `/healthz` with the CONTRACT_REVISION its env gives it,
 * so the suite tells revisions apart through any router, and exits at once when CONTRACT_EXIT is set.
 */
export const CONTRACT_SERVICE_JS = `import { createServer } from 'node:http';
if (process.env.CONTRACT_EXIT) process.exit(Number(process.env.CONTRACT_EXIT));
const server = createServer((req, res) => {
  if (req.url === '/healthz') { res.end('ok'); return; }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ revision: process.env.CONTRACT_REVISION }));
});
server.listen(Number(process.env.PORT));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

export interface ContractSubject {
  readonly target: Target;
  readonly environment: string;
  /** Services of `environment` the suite may use, one per test at most (each has a main route, and a preview one with `preview`). */
  readonly services: readonly string[];
  /** The packed CONTRACT_SERVICE_JS, as the target fetches it; `command` runs it in the unpacked folder. */
  readonly artifact: ArtifactRef;
  readonly command: string;
  /** A digest of another artifact the kind's store also holds (a second pack, with one byte changed). */
  readonly otherDigest: string;
  /** The artifact reference this kind would use for `digest` (to build a ref that names what it should not). */
  refFor(digest: string): string;
  /** Calls a URL from inside the target's own network, for endpoints reachable only from there. */
  fetchInside?(url: string): Promise<string>;
  close(): Promise<void>;
}

const READY_MS = 30_000;

export function spec(s: ContractSubject, service: string, revision: number, overrides: Partial<RevisionSpec> = {}): RevisionSpec {
  return {
    environment: s.environment,
    service,
    revision,
    release: `contract${revision}`,
    artifact: s.artifact,
    command: s.command,
    env: { CONTRACT_REVISION: String(revision) },
    secretKeys: [],
    replicas: 1,
    health: { path: '/healthz', expectStatus: 200, intervalMs: 100, timeoutMs: 1_000 },
    ...overrides,
  };
}

async function serviceOf(s: ContractSubject, service: string): Promise<ServiceStatus | undefined> {
  return (await s.target.describe(s.environment)).find((x) => x.service === service);
}

async function revisionOf(s: ContractSubject, service: string, revision: number): Promise<RevisionStatus | undefined> {
  return (await serviceOf(s, service))?.revisions.find((r) => r.revision === revision);
}

async function ready(s: ContractSubject, service: string, revision: number): Promise<RevisionStatus> {
  return until(`r${revision} of ${service} to be ready`, async () => {
    const r = await revisionOf(s, service, revision);
    return r?.phase === 'ready' ? r : undefined;
  }, READY_MS);
}

/** Calls an endpoint from where it says it can be reached: here (the control plane's machine), or inside the target. */
async function call(s: ContractSubject, endpoint: Endpoint, path = '/'): Promise<string> {
  if (endpoint.reachableFrom === 'target') {
    if (!s.fetchInside) throw new Error('an endpoint reachable only from the target needs the subject to give fetchInside');
    return s.fetchInside(`${endpoint.url}${path}`);
  }
  const response = await fetch(`${endpoint.url}${path}`, { signal: AbortSignal.timeout(5_000) });
  if (!response.ok) throw new Error(`${endpoint.url}${path}: HTTP ${response.status}`);
  return response.text();
}

const answeredBy = async (s: ContractSubject, endpoint: Endpoint): Promise<string | undefined> => (JSON.parse(await call(s, endpoint)) as { revision?: string }).revision;

/** Rejection of a promise, as a GantryError (the test fails when it resolves or throws something else). */
async function refusal(work: Promise<unknown>): Promise<{ code: string; message: string }> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isGantryError(error)) throw new Error(`expected a GantryError, got ${error === undefined ? 'success' : String(error)}`);
  return error;
}

async function weightsApplied(s: ContractSubject, service: string, route: RouteName, weights: Readonly<Record<string, number>>): Promise<void> {
  await until(`${route} weights ${JSON.stringify(weights)} to be applied`, async () => (await s.target.verifyWeights(s.environment, service, route, weights)).applied, READY_MS);
}

export function targetContract(kind: string, make: () => Promise<ContractSubject>): void {
  describe(`the target contract: ${kind}`, () => {
    let subject: ContractSubject | undefined;
    const open = async (): Promise<ContractSubject> => (subject = await make());
    afterEach(async () => {
      await subject?.close();
      subject = undefined;
    });

    it('starts a revision once however often startRevision is repeated', async () => {
      const s = await open();
      const svc = s.services[0] ?? '';
      await s.target.startRevision(spec(s, svc, 1));
      const first = await ready(s, svc, 1);
      await s.target.startRevision(spec(s, svc, 1));
      await s.target.startRevision(spec(s, svc, 1));
      const again = await ready(s, svc, 1);
      expect((await serviceOf(s, svc))?.revisions.map((r) => r.revision)).toEqual([1]);
      expect(again).toMatchObject({ digest: s.artifact.digest, release: 'contract1', restarts: 0, ports: first.ports });
      expect(again.readyReplicas ?? 1).toBe(1);
    });

    it('switches a route in one setWeights call that verifyWeights confirms, with no failed request while it switches', async () => {
      const s = await open();
      const svc = s.services[1] ?? '';
      for (const r of [1, 2]) await s.target.startRevision(spec(s, svc, r));
      for (const r of [1, 2]) await ready(s, svc, r);
      await s.target.setWeights(s.environment, svc, 'main', { '1': 100 });
      await weightsApplied(s, svc, 'main', { '1': 100 });
      const main = await s.target.endpoint(s.environment, svc, 'main');
      expect(await answeredBy(s, main)).toBe('1');

      // Requests keep coming while the route switches: each is answered, by r1 or by r2, never by neither.
      const seen: string[] = [];
      let switching = true;
      const load = (async () => {
        while (switching) seen.push((await answeredBy(s, main)) ?? 'none');
      })();
      await s.target.setWeights(s.environment, svc, 'main', { '2': 100 });
      await weightsApplied(s, svc, 'main', { '2': 100 });
      const after = seen.length;
      await until('requests after the switch was applied', () => seen.length > after + 5, READY_MS, 5);
      switching = false;
      await load;
      expect(new Set(seen.slice(0, after))).toSatisfy((set: Set<string>) => [...set].every((r) => r === '1' || r === '2'));
      expect(new Set(seen.slice(after + 1))).toEqual(new Set(['2']));

      const stale = await s.target.verifyWeights(s.environment, svc, 'main', { '1': 100 });
      expect(stale).toEqual({ applied: false, actual: { '2': 100 } });
      expect((await serviceOf(s, svc))?.weights.main).toEqual({ '2': 100 });
    });

    it('stops a revision idempotently, and refuses to stop one that still has main traffic', async () => {
      const s = await open();
      const svc = s.services[2] ?? '';
      await s.target.startRevision(spec(s, svc, 1));
      await ready(s, svc, 1);
      await s.target.setWeights(s.environment, svc, 'main', { '1': 100 });
      await weightsApplied(s, svc, 'main', { '1': 100 });
      expect((await refusal(s.target.stopRevision(s.environment, svc, 1))).code).toBe('CONFLICT');
      expect((await revisionOf(s, svc, 1))?.phase).toBe('ready');

      await s.target.startRevision(spec(s, svc, 2));
      await ready(s, svc, 2);
      await s.target.stopRevision(s.environment, svc, 2);
      await s.target.stopRevision(s.environment, svc, 2);
      await s.target.stopRevision(s.environment, svc, 7);
      const left = await revisionOf(s, svc, 2);
      expect(left === undefined || left.phase === 'stopped').toBe(true);
    });

    it('describes what actually runs: a revision whose process exits is not reported ready', async () => {
      const s = await open();
      const svc = s.services[3] ?? '';
      await s.target.startRevision(spec(s, svc, 1, { env: { CONTRACT_REVISION: '1', CONTRACT_EXIT: '3' } }));
      const broken = await until('the exiting revision to be reported', async () => {
        const r = await revisionOf(s, svc, 1);
        return r && (r.phase === 'crashed' || r.phase === 'crash-loop') ? r : undefined;
      }, READY_MS);
      expect(broken.restarts + (broken.lastError === null ? 0 : 1)).toBeGreaterThan(0);
      expect(broken.readyReplicas ?? 0).toBe(0);
      expect((await serviceOf(s, svc))?.weights).toEqual({ main: {}, preview: {} });
    });

    it('has the capabilities it claims: weights split a route, a preview route reaches a candidate', async () => {
      const s = await open();
      const svc = s.services[4] ?? '';
      const caps = s.target.capabilities();
      expect(caps).toMatchObject({ weightedRouting: expect.any(Boolean), headerRouting: expect.any(Boolean), preview: expect.any(Boolean), rollsItself: expect.any(Boolean) });
      for (const r of [1, 2]) await s.target.startRevision(spec(s, svc, r));
      for (const r of [1, 2]) await ready(s, svc, r);
      const split = { '1': 50, '2': 50 };
      if (caps.weightedRouting) {
        await s.target.setWeights(s.environment, svc, 'main', split);
        await weightsApplied(s, svc, 'main', split);
        const main = await s.target.endpoint(s.environment, svc, 'main');
        const answers = new Set<string | undefined>();
        await until('both revisions to answer through the split route', async () => {
          answers.add(await answeredBy(s, main));
          return answers.size === 2;
        }, READY_MS, 5);
        expect([...answers].sort()).toEqual(['1', '2']);
      } else {
        await refusal(s.target.setWeights(s.environment, svc, 'main', split));
      }
      if (caps.preview) {
        await s.target.setWeights(s.environment, svc, 'preview', { '2': 100 });
        await weightsApplied(s, svc, 'preview', { '2': 100 });
        expect(await answeredBy(s, await s.target.endpoint(s.environment, svc, 'preview'))).toBe('2');
      } else {
        await refusal(s.target.endpoint(s.environment, svc, 'preview'));
      }
      const main = await s.target.endpoint(s.environment, svc, 'main');
      if (caps.headerRouting && caps.weightedRouting && main.reachableFrom === 'control-plane' && s.target.setMatch) {
        // Testers reach the canary by header or cookie whatever the weights; everyone else by weight.
        await s.target.setWeights(s.environment, svc, 'main', { '1': 100 });
        await weightsApplied(s, svc, 'main', { '1': 100 });
        const by = async (headers: Record<string, string>) => ((await (await fetch(main.url, { headers, signal: AbortSignal.timeout(5_000) })).json()) as { revision?: string }).revision;
        await s.target.setMatch(s.environment, svc, { header: 'x-canary', value: 'always', revision: 2 });
        expect((await serviceOf(s, svc))?.match).toEqual({ header: 'x-canary', value: 'always', revision: 2 });
        for (let i = 0; i < 10; i++) expect([await by({ 'x-canary': 'always' }), await by({}), await by({ 'x-canary': 'never' })]).toEqual(['2', '1', '1']);
        await s.target.setMatch(s.environment, svc, { cookie: 'canary', value: 'yes', revision: 2 });
        expect([await by({ cookie: 'a=b; canary=yes' }), await by({ cookie: 'canary=no' }), await by({ 'x-canary': 'always' })]).toEqual(['2', '1', '1']);
        await s.target.setMatch(s.environment, svc, null);
        expect([(await serviceOf(s, svc))?.match, await by({ cookie: 'canary=yes' })]).toEqual([undefined, '1']);
      }
      if (caps.faults === true) {
        // Chaos checks: a target that claims faults answers them on the main route, and clears them.
        expect([s.target.injectFaults, s.target.clearFaults, s.target.killReplica].every((m) => typeof m === 'function')).toBe(true);
        await s.target.injectFaults?.(s.environment, svc, { abort: { status: 503, share: 1 } }, 60_000);
        const aborted = await fetch(main.url, { signal: AbortSignal.timeout(5_000) });
        await aborted.text();
        expect([aborted.status, aborted.headers.get('x-gantry-fault')]).toEqual([503, 'abort']);
        expect((await s.target.clearFaults?.(s.environment, svc))?.counts.aborted).toBe(1);
        expect((await fetch(main.url, { signal: AbortSignal.timeout(5_000) })).status).toBe(200);
      }
    });

    it('refuses an artifact whose ref names another digest, or a digest it does not hold, and starts nothing', async () => {
      const s = await open();
      const svc = s.services[5] ?? '';
      const crossed = await refusal(s.target.startRevision(spec(s, svc, 1, { artifact: { digest: s.artifact.digest, ref: s.refFor(s.otherDigest) } })));
      expect(crossed.code).toBe('ARTIFACT_DIGEST_MISMATCH');
      const absent = `sha256:${'0'.repeat(64)}`;
      const missing = await refusal(s.target.startRevision(spec(s, svc, 2, { artifact: { digest: absent, ref: s.refFor(absent) } })));
      expect(missing.code).toMatch(/^ARTIFACT_/);
      expect((await serviceOf(s, svc))?.revisions ?? []).toEqual([]);

      // The other artifact is a real one: named consistently it starts, and describe reports its digest.
      await s.target.startRevision(spec(s, svc, 3, { artifact: { digest: s.otherDigest, ref: s.refFor(s.otherDigest) } }));
      expect((await ready(s, svc, 3)).digest).toBe(s.otherDigest);
    });

    it('gives endpoints that answer from where they say they can be reached, and url() only for the control plane', async () => {
      const s = await open();
      const svc = s.services[6] ?? '';
      await s.target.startRevision(spec(s, svc, 1));
      await ready(s, svc, 1);
      await s.target.setWeights(s.environment, svc, 'main', { '1': 100 });
      await weightsApplied(s, svc, 'main', { '1': 100 });
      const main = await s.target.endpoint(s.environment, svc, 'main');
      expect(['control-plane', 'target']).toContain(main.reachableFrom);
      expect(await answeredBy(s, main)).toBe('1');
      if (main.reachableFrom === 'control-plane') {
        expect(await s.target.url(s.environment, svc, 'main')).toBe(main.url);
      } else {
        expect((await refusal(s.target.url(s.environment, svc, 'main'))).code).toBe('TARGET_ENDPOINT_UNREACHABLE');
      }
      expect((await serviceOf(s, svc))?.endpoints?.main).toEqual(main);
    });
  });
}
