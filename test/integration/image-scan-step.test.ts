import { readFileSync } from 'node:fs';
import { chmod, copyFile, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { normalizeConfig } from '../../src/config/normalize.js';
import { GantryConfigSpec } from '../../src/config/schema.js';
import type { PlannedStep } from '../../src/domain/run.js';
import { imageScanKey } from '../../src/engine/step-keys.js';
import { IMAGE_SCAN_STEP_MARGIN_MS, type ImageScanStepSpec } from '../../src/engine/step-specs/index.js';
import { errorHandler } from '../../src/kernel/http/http-errors.js';
import { systemClock } from '../../src/kernel/clock.js';
import { NotificationDispatcher } from '../../src/notify/dispatcher.js';
import { Redactor } from '../../src/secrets/redactor.js';
import { EnvSecretSource } from '../../src/secrets/source.js';
import type { ServerContext } from '../../src/server/context.js';
import { runRoutes } from '../../src/server/routes/runs.js';
import { GANTRY_VERSION_HEADER, VERSION } from '../../src/server/version.js';
import type { RunView, StepView } from '../../src/server/views.js';
import { lookupUser } from '../../src/secrets/run-as.js';
import { ImageScanStep } from '../../src/steps/image-scan.js';
import { runCli } from '../support/cli.js';
import { engineHarness, type Harness } from '../support/engine-harness.js';
import { captureNotification, registerSecret } from '../support/sweep.js';
import { TempDirs, until } from '../support/temp.js';

const DIGEST = 'sha256:5d0da3dc976460b72c77d94c8a1ad043720b0416bfc16c52c45d4847e53fadb6';
const IMAGE = `127.0.0.1:5000/volteryde/api@${DIGEST}`;
/** The commit every run of the engine harness is for. */
const SHA = 'a'.repeat(40);
const REGISTRY_PASSWORD = registerSecret('reg-pass-7f3a9c1e55d04b2a');
const FIXTURES = new URL('../fixtures/trivy/', import.meta.url).pathname;

/** A stand-in for `trivy image --format json`: says what it scans on stderr (with the registry token), then prints a report. */
const SCANNER = `#!/bin/sh
echo "scanning $GANTRY_IMAGE as $TRIVY_USERNAME (token $GANTRY_REGISTRY_PASSWORD, also $TRIVY_PASSWORD) insecure=$TRIVY_INSECURE" >&2
case "$MODE" in
  file) echo "writing the report to a file as uid $(id -u)"; cp "$REPORT" "$GANTRY_SCAN_REPORT" ;;
  fail) echo "FATAL  image scan error: unable to find the specified image" >&2; exit 2 ;;
  hang) echo "$$" > "$PIDS"; sleep 60 & echo "$!" >> "$PIDS"; wait ;;
  *) cat "$REPORT" ;;
esac
`;

/** No such process, or one that has exited and waits to be reaped. */
function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

type RunAs = ConstructorParameters<typeof ImageScanStep>[0]['runAs'];
const asRoot = process.getuid?.() === 0;

interface Receiver {
  readonly url: string;
  readonly bodies: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

async function webhookReceiver(): Promise<Receiver> {
  const bodies: Array<Record<string, unknown>> = [];
  let url = '';
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      captureNotification(`POST ${url}`, body);
      bodies.push(JSON.parse(body) as Record<string, unknown>);
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return { url, bodies, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('the image-scan step through the executor', () => {
  const temp = new TempDirs();
  let h: Harness | undefined;
  let dispatcher: NotificationDispatcher | undefined;
  let api: FastifyInstance | undefined;
  let receiver: Receiver | undefined;
  afterEach(async () => {
    await dispatcher?.stop();
    await api?.close();
    await h?.close();
    await receiver?.close();
    [dispatcher, api, h, receiver] = [undefined, undefined, undefined, undefined];
    await temp.cleanup();
  });

  const secrets = new EnvSecretSource({ GANTRY_SECRET_REGISTRY_PASSWORD: REGISTRY_PASSWORD });

  /** A real store and executor with the real handler; the scanner is a shell script printing a Trivy fixture. */
  async function start(options: { image?: boolean; runAs?: RunAs } = {}): Promise<{ dir: string; scanner: string }> {
    const dir = await temp.make();
    const scanner = join(dir, 'scanner.sh');
    await writeFile(scanner, SCANNER);
    await chmod(scanner, 0o755);
    const runAs = options.runAs ?? { user: null, environment: (base: Record<string, string>) => base };
    h = await engineHarness(dir, (store) => [new ImageScanStep({ store, secrets, runAs })], { secrets: secrets.allValues() });
    if (options.image !== false) await recordImage(h.store);
    return { dir, scanner };
  }

  /** What the build and image steps of the release record: its bundle artifact and the image's digest. */
  async function recordImage(store: Harness['store']): Promise<void> {
    const now = Date.now();
    const releaseId = await store.releases.ensure(SHA, 0, now);
    await store.releases.addArtifact({ releaseId, service: 'api', digest: `sha256:${'b'.repeat(64)}`, layerDigest: `sha256:${'c'.repeat(64)}`, treeKey: 'tree-api', size: 1234, createdAt: now });
    await store.images.add({ releaseId, service: 'api', registry: 'build', repository: 'volteryde/api', digest: DIGEST, kind: 'assemble', buildKey: 'key-api', baseDigest: null, sbomDigest: null, size: 5678, createdAt: now });
  }

  function scanStep(command: string, overrides: Partial<ImageScanStepSpec> = {}): PlannedStep {
    const timeoutMs = overrides.scanner?.timeoutMs ?? 60_000;
    const spec: ImageScanStepSpec = {
      v: 1,
      environment: 'production',
      service: 'api',
      imageStep: 'image:api',
      scanner: { command, timeoutMs },
      failOn: 'high',
      ignore: [],
      registry: { name: 'build', url: '127.0.0.1:5000', plainHttp: true, username: 'ci-scanner', passwordSecret: 'REGISTRY_PASSWORD' },
      repository: 'volteryde/api',
      timeoutMs: timeoutMs + IMAGE_SCAN_STEP_MARGIN_MS,
      ...overrides,
    };
    return { key: imageScanKey('production', 'api'), kind: 'image-scan', name: 'scan image api › production', service: 'api', environment: 'production', needs: [], spec, maxAttempts: 1 };
  }

  /** GET /api/v1/runs/:id over a real socket, from the same route the server serves. */
  async function runView(id: number): Promise<{ run: RunView; steps: StepView[] }> {
    if (!api) {
      api = Fastify();
      api.setErrorHandler(errorHandler(pino({ level: 'silent' })));
      // The CLI checks that it talks to a Gantry server by this header, as the real server sends it.
      api.addHook('onSend', async (_request, reply) => void reply.header(GANTRY_VERSION_HEADER, VERSION));
      // The route reads only the store.
      runRoutes(api, { store: h?.store } as unknown as ServerContext);
      await api.listen({ host: '127.0.0.1', port: 0 });
    }
    const port = (api.server.address() as AddressInfo).port;
    return (await (await fetch(`http://127.0.0.1:${port}/api/v1/runs/${id}`)).json()) as { run: RunView; steps: StepView[] };
  }

  const serverUrl = (): string => `http://127.0.0.1:${(api?.server.address() as AddressInfo).port}`;
  const logOf = async (runId: number): Promise<string> => (await h?.store.logs.forRun(runId) ?? []).map((l) => l.text).join('\n');

  it('blocks production on criticals and highs: the run shows the verdict, the log the findings, the failure notification the summary line', async () => {
    const { scanner } = await start();
    receiver = await webhookReceiver();
    dispatcher = new NotificationDispatcher({
      store: h?.store as NonNullable<Harness['store']>,
      config: normalizeConfig(
        GantryConfigSpec.parse({
          version: 1,
          project: { name: 'volteryde' },
          repository: { url: '.' },
          services: { api: { path: 'api', run: { command: 'node server.js', port: 3000 } } },
          environments: { production: { branch: 'main' } },
          notifications: { channels: { ops: { kind: 'webhook', url: receiver.url } }, routes: [{ events: ['run.failed'], channels: ['ops'] }] },
        }),
      ),
      secrets,
      redactor: () => new Redactor(secrets.allValues()),
      logger: pino({ level: 'silent' }),
      clock: systemClock,
      publicUrl: 'https://gantry.example.com',
      pollMs: 20,
      runSettleMs: 20,
    });
    dispatcher.start();
    const id = await h?.createRun([scanStep(`MODE=stdout REPORT=${FIXTURES}criticals.json ${scanner}`)], 'production') ?? 0;
    const run = await h?.executor.waitForRun(id);
    const line = '3 critical, 3 high (5 fixable) — blocks production at high; below that: 2 medium, 1 low, 1 unknown';

    expect(run?.state).toBe('failed');
    expect(run?.error).toMatchObject({ code: 'IMAGE_SCAN_BLOCKED', message: `scan image api › production: image scan of api (${IMAGE}): ${line}` });
    expect(run?.error?.hint).toContain('environments.production.imageScan.ignore');

    const view = await runView(id);
    const [step] = view.steps;
    expect(step).toMatchObject({ key: 'image-scan:production:api', kind: 'image-scan', state: 'failed' });
    expect(step?.summary).toMatchObject({ image: IMAGE, line, blocks: true, failOn: 'high', blocking: 6, fixable: 5, findings: { critical: 3, high: 3, medium: 2, low: 1, unknown: 1 }, artifact: { name: IMAGE, type: 'container_image' } });
    expect((step?.summary?.top as Array<{ id: string }>).map((f) => f.id).slice(0, 3)).toEqual(['CVE-2024-45491', 'CVE-2024-45492', 'CVE-2023-45853']);

    const log = await logOf(id);
    // The user name is not a secret; the password is masked wherever the scanner prints it.
    expect(log).toContain(`scanning ${IMAGE} as ci-scanner (token ***, also ***) insecure=true`);
    expect(log).not.toContain(REGISTRY_PASSWORD);
    expect(log).toContain(line);
    expect(log).toMatch(/CRITICAL CVE-2024-45491 libexpat1 2\.5\.0-1 → 2\.5\.0-1\+deb12u1/);

    const [hook] = await until('the run.failed webhook', () => receiver?.bodies.length === 1 && receiver.bodies, 15_000);
    expect(hook).toMatchObject({ event: 'run.failed', outcome: 'failure', results: { scans: { critical: 3, high: 3, medium: 2, low: 1 } } });
    expect(hook?.reason).toContain(line);
    expect(hook?.text).toContain(line);

    const shown = await runCli(['run', 'show', String(id), '--server', serverUrl(), '--token', 'any-token']);
    expect(shown.code).toBe(1);
    expect(shown.stdout).toContain(line);
    expect(shown.stderr).toContain(`IMAGE_SCAN_BLOCKED: scan image api › production: image scan of api (${IMAGE}): ${line}`);
  });

  it('passes a report written to $GANTRY_SCAN_REPORT when the only critical is ignored on purpose, and shows it as ignored', async () => {
    const { scanner } = await start();
    const id = await h?.createRun([scanStep(`MODE=file REPORT=${FIXTURES}accepted-risk.json ${scanner}`, { ignore: ['CVE-2023-45853', 'CVE-2019-0001'] })], 'production') ?? 0;
    const run = await h?.executor.waitForRun(id);
    const line = '2 medium, 1 low — passes production (blocks at high); 1 ignored on purpose (CVE-2023-45853)';

    expect(run?.state).toBe('succeeded');
    const [step] = (await runView(id)).steps;
    expect(step).toMatchObject({ state: 'succeeded', message: line });
    expect(step?.summary).toMatchObject({ blocks: false, ignored: [{ id: 'CVE-2023-45853', pkg: 'zlib1g', severity: 'critical' }], unusedIgnores: ['CVE-2019-0001'] });
    const log = await logOf(id);
    expect(log).toContain('writing the report to a file as uid');
    expect(log).toContain('($GANTRY_SCAN_REPORT)');
    expect(log).toContain('ignored on purpose: CVE-2023-45853 (critical, zlib1g)');
    expect(log).toContain('ignore entries that matched no finding: CVE-2019-0001');

    const shown = await runCli(['run', 'show', String(id), '--server', serverUrl(), '--token', 'any-token']);
    expect(shown.stderr).toBe('');
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(line);
  });

  // As the server does when it runs as root: the scanner runs as the gates' unprivileged user.
  it.skipIf(!asRoot)("runs the scanner as the gates' user, who can write its report into the step's folder", async () => {
    const nobody = lookupUser('nobody');
    if (!nobody) throw new Error('this system has no user nobody');
    const { dir, scanner } = await start({ runAs: { user: nobody, environment: (base) => ({ ...base, HOME: '/nonexistent' }) } });
    // That user reads the script and the report it copies, and nothing else of the test's.
    await chmod(dir, 0o755);
    const report = join(dir, 'report-fixture.json');
    await copyFile(`${FIXTURES}clean.json`, report);
    await chmod(report, 0o644);
    const id = await h?.createRun([scanStep(`MODE=file REPORT=${report} ${scanner}`)], 'production') ?? 0;
    const run = await h?.executor.waitForRun(id);
    expect(run?.state).toBe('succeeded');
    expect(await logOf(id)).toContain(`writing the report to a file as uid ${nobody.uid}`);
  });

  it('fails with IMAGE_SCAN_FAILED when the scanner exits non-zero without a report, with its error output in the log tail', async () => {
    const { scanner } = await start();
    const id = await h?.createRun([scanStep(`MODE=fail ${scanner}`)], 'production') ?? 0;
    const run = await h?.executor.waitForRun(id);
    expect(run?.state).toBe('failed');
    expect(run?.error).toMatchObject({ code: 'IMAGE_SCAN_FAILED', message: 'scan image api › production: the scanner exited with 2 without a report', exitCode: 2 });
    expect(run?.error?.logTail?.join('\n')).toContain('unable to find the specified image');
  });

  it('fails with IMAGE_SCAN_FAILED on output that is not Trivy JSON, quoting its first bytes and pointing at --format json', async () => {
    const { scanner } = await start();
    const id = await h?.createRun([scanStep(`MODE=stdout REPORT=${FIXTURES}table.txt ${scanner}`)], 'production') ?? 0;
    const run = await h?.executor.waitForRun(id);
    expect(run?.error?.code).toBe('IMAGE_SCAN_FAILED');
    expect(run?.error?.message).toContain("the scanner's report (stdout) is not a Trivy JSON report: it is not JSON; it begins: 127.0.0.1:5000/volteryde/api@sha256:");
    expect(run?.error?.hint).toContain('--format json');
  });

  it('stops a scanner that overruns its timeout, with everything it started, and fails with IMAGE_SCAN_FAILED', async () => {
    const { dir, scanner } = await start();
    const pids = join(dir, 'pids');
    const id = await h?.createRun([scanStep(`MODE=hang PIDS=${pids} ${scanner}`, { scanner: { command: `MODE=hang PIDS=${pids} ${scanner}`, timeoutMs: 1_000 } })], 'production') ?? 0;
    const run = await h?.executor.waitForRun(id);
    expect(run?.error).toMatchObject({ code: 'IMAGE_SCAN_FAILED', message: 'scan image api › production: the scanner did not finish within 1.0s and was stopped' });
    const started = (await readFile(pids, 'utf8')).trim().split('\n').map(Number);
    expect(started).toHaveLength(2);
    // Signals are delivered as the group is stopped; each process is gone (or a zombie left to init) soon after.
    for (const pid of started) await until(`process ${pid} of the scanner to be gone`, () => gone(pid), 5_000);
  });

  it('fails before running the scanner when the build registry\'s password is not set, naming the secret', async () => {
    const { scanner } = await start();
    const registry = { name: 'build', url: '127.0.0.1:5000', plainHttp: false, username: 'ci-scanner', passwordSecret: 'BUILD_REGISTRY_TOKEN' };
    const id = await h?.createRun([scanStep(`MODE=stdout REPORT=${FIXTURES}clean.json ${scanner}`, { registry })], 'production') ?? 0;
    const run = await h?.executor.waitForRun(id);
    expect(run?.error?.code).toBe('REGISTRY_CREDENTIALS_MISSING');
    expect(run?.error?.message).toContain('registry build needs the secret BUILD_REGISTRY_TOKEN, which is not set');
    expect(await logOf(id)).not.toContain(`scanning ${IMAGE} as`);
  });

  it('fails with RELEASE_NOT_FOUND when the release has no recorded image, before running the scanner', async () => {
    const { scanner } = await start({ image: false });
    const id = await h?.createRun([scanStep(`MODE=stdout REPORT=${FIXTURES}clean.json ${scanner}`)], 'production') ?? 0;
    const run = await h?.executor.waitForRun(id);
    expect(run?.error?.code).toBe('RELEASE_NOT_FOUND');
    expect(run?.error?.message).toContain(`release aaaaaaa has no image of api to scan`);
    expect(run?.error?.hint).toContain('image:api');
  });
});
