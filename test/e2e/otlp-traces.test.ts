import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fixtureRepo } from '../support/fixture-repo.js';
import { CLI, startServerProcess } from '../support/server-process.js';
import { TempDirs, until } from '../support/temp.js';

/**
 * Traces of runs and steps, as a user turns them on: `gantry server` as a process with the standard
 * OTEL_EXPORTER_OTLP_ENDPOINT pointing at an OTLP/HTTP receiver started here, which decodes the
 * JSON bodies the exporter really sends (ExportTraceServiceRequest, OTLP's JSON encoding).
 */

interface OtlpValue {
  readonly stringValue?: string;
  readonly intValue?: number | string;
  readonly boolValue?: boolean;
}
interface OtlpSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  readonly kind: number;
  readonly startTimeUnixNano: string | number;
  readonly endTimeUnixNano: string | number;
  readonly attributes?: readonly { key: string; value: OtlpValue }[];
  readonly status?: { readonly code?: number; readonly message?: string };
}
interface OtlpRequest {
  readonly resourceSpans?: readonly {
    readonly resource?: { readonly attributes?: readonly { key: string; value: OtlpValue }[] };
    readonly scopeSpans?: readonly { readonly spans?: readonly OtlpSpan[] }[];
  }[];
}

/** A span as the test reads it: attributes as a plain object, the resource's service name beside it. */
interface Received {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly name: string;
  readonly kind: number;
  readonly startMs: number;
  readonly endMs: number;
  readonly attributes: Record<string, string | number | boolean>;
  readonly statusCode: number;
  readonly statusMessage: string;
  readonly serviceName: string;
  readonly resource: Record<string, string | number | boolean>;
}

const SPAN_KIND_INTERNAL = 1;
const SPAN_KIND_SERVER = 2;
const STATUS_ERROR = 2;

function valueOf(v: OtlpValue): string | number | boolean {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.boolValue !== undefined) return v.boolValue;
  throw new Error(`unexpected attribute value ${JSON.stringify(v)}`);
}

const attributesOf = (list: readonly { key: string; value: OtlpValue }[] = []): Record<string, string | number | boolean> => Object.fromEntries(list.map((a) => [a.key, valueOf(a.value)]));

/** An OTLP/HTTP traces endpoint: POST /v1/traces with a JSON body, answered as a collector does. */
class OtlpReceiver {
  readonly spans: Received[] = [];
  readonly requests: { path: string; contentType: string; headers: Record<string, string | string[] | undefined> }[] = [];
  private readonly server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      this.requests.push({ path: req.url ?? '', contentType: req.headers['content-type'] ?? '', headers: req.headers });
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpRequest;
      for (const rs of body.resourceSpans ?? []) {
        const resource = attributesOf(rs.resource?.attributes);
        const serviceName = String(resource['service.name'] ?? '');
        for (const ss of rs.scopeSpans ?? []) {
          for (const s of ss.spans ?? []) {
            this.spans.push({
              traceId: s.traceId,
              spanId: s.spanId,
              parentSpanId: s.parentSpanId ?? '',
              name: s.name,
              kind: s.kind,
              startMs: Number(BigInt(s.startTimeUnixNano) / 1_000_000n),
              endMs: Number(BigInt(s.endTimeUnixNano) / 1_000_000n),
              attributes: attributesOf(s.attributes),
              statusCode: s.status?.code ?? 0,
              statusMessage: s.status?.message ?? '',
              serviceName,
              resource,
            });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  ofRun(runId: number): Received[] {
    return this.spans.filter((s) => s.attributes['cicd.pipeline.run.id'] === String(runId));
  }
}

const config = (origin: string, out: string) => `version: 1
project:
  name: traced
repository:
  url: ${origin}
  defaultBranch: develop
services:
  api:
    path: api
    gates:
      - name: suite
        # What a test suite's OpenTelemetry SDK would read to join the run's trace.
        run: printf '%s' "$TRACEPARENT" > ${out}/suite.traceparent
      - name: broken
        run: echo "2 tests failed" >&2; exit 3
environments:
  dev:
    branch: develop
`;

/** Two gates, the second waiting for a file the test writes: a run to interrupt at a known point. */
const resumableConfig = (origin: string, out: string) => `version: 1
project:
  name: resumed
repository:
  url: ${origin}
  defaultBranch: develop
services:
  api:
    path: api
    gates:
      - name: first
        run: echo first
      - name: held
        run: printf '%s\\n' "$TRACEPARENT" >> ${out}/held.traceparent; while [ ! -f ${out}/go ]; do sleep 0.05; done
environments:
  dev:
    branch: develop
`;

describe('OpenTelemetry traces over OTLP/HTTP', () => {
  const temp = new TempDirs();
  const procs: ChildProcess[] = [];
  const receivers: OtlpReceiver[] = [];
  const savedEnv = { ...process.env };
  afterEach(async () => {
    for (const p of procs.splice(0)) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    for (const r of receivers.splice(0)) await r.stop();
    for (const key of Object.keys(process.env)) if (key.startsWith('OTEL_')) delete process.env[key];
    Object.assign(process.env, savedEnv);
    await temp.cleanup();
  });

  /** A repository, a data folder and a folder gates (run as nobody when the test is root) may write to. */
  async function fixture(makeConfig: (origin: string, out: string) => string): Promise<{ configPath: string; dataDir: string; out: string }> {
    expect(existsSync(CLI), 'run `npm run build` first').toBe(true);
    const root = await temp.make();
    await chmod(root, 0o711);
    const out = join(root, 'out');
    await mkdir(out);
    await chmod(out, 0o777);
    const repo = await fixtureRepo(root, { 'api/index.js': 'export {};\n', 'gantry.yaml': makeConfig('.', out) });
    const configPath = join(root, 'server.yaml');
    await writeFile(configPath, makeConfig(repo.originDir, out));
    return { configPath, dataDir: join(root, 'data'), out };
  }

  /** `gantry server` with the OTEL_* variables of `env` (startServerProcess passes the test's environment on). */
  async function startTracedServer(configPath: string, dataDir: string, env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
    for (const key of Object.keys(process.env)) if (key.startsWith('OTEL_')) delete process.env[key];
    Object.assign(process.env, env);
    const server = await startServerProcess(configPath, dataDir);
    procs.push(server.child);
    return server;
  }

  async function dispatch(url: string, dataDir: string): Promise<{ runId: number; headers: Record<string, string> }> {
    const token = (await readFile(join(dataDir, 'admin.token'), 'utf8')).trim();
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const res = await fetch(`${url}/api/v1/dispatch`, { method: 'POST', headers, body: JSON.stringify({ environment: 'dev' }) });
    expect(res.status).toBe(201);
    return { runId: ((await res.json()) as { run: { id: number } }).run.id, headers };
  }

  async function stopWithSigterm(child: ChildProcess): Promise<void> {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }

  it('sends a root span for the run and a child span per step, with the CI/CD attributes; a gate gets its step span as TRACEPARENT; a failing gate is an ERROR', async () => {
    const receiver = new OtlpReceiver();
    receivers.push(receiver);
    const endpoint = await receiver.start();
    const { configPath, dataDir, out } = await fixture(config);
    const server = await startTracedServer(configPath, dataDir, { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_EXPORTER_OTLP_HEADERS: 'x-tenant=ops', OTEL_BSP_SCHEDULE_DELAY: '100' });
    const { runId, headers } = await dispatch(server.url, dataDir);

    // The run span is sent when the run ends.
    const root = await until('the run span at the receiver', () => receiver.ofRun(runId).find((s) => s.parentSpanId === ''), 30_000);
    const run = (await (await fetch(`${server.url}/api/v1/runs/${runId}`, { headers })).json()) as { run: { state: string; sha: string; startedAt: string; finishedAt: string }; steps: { id: number; key: string; state: string }[] };
    expect(run.run.state).toBe('failed');
    // Step spans are built from the store as their steps end; the last one may reach the receiver in the batch after the run's.
    const spans = await until('a span per step', () => receiver.ofRun(runId).length === run.steps.length + 1 && receiver.ofRun(runId), 10_000);

    expect(root.name).toBe('RUN traced');
    expect(root.kind).toBe(SPAN_KIND_SERVER);
    expect(root.serviceName).toBe('gantry');
    expect(root.attributes).toMatchObject({
      'cicd.pipeline.name': 'traced',
      'cicd.pipeline.run.id': String(runId),
      'cicd.pipeline.action.name': 'RUN',
      'cicd.pipeline.result': 'failure',
      'vcs.ref.head.revision': run.run.sha,
      'deployment.environment.name': 'dev',
      'error.type': 'GATE_FAILED',
    });
    expect(String(root.attributes['cicd.pipeline.run.url.full'])).toMatch(new RegExp(`/#/runs/${runId}$`));
    expect(root.statusCode).toBe(STATUS_ERROR);
    expect(root.startMs).toBe(Date.parse(run.run.startedAt));
    expect(root.endMs).toBe(Date.parse(run.run.finishedAt));

    // One child span per step of the run, each in the run's trace under the run's span.
    expect(spans.filter((s) => s !== root).map((s) => s.name).sort()).toEqual(run.steps.map((s) => s.key).sort());
    for (const span of spans.filter((s) => s !== root)) {
      expect(span.traceId).toBe(root.traceId);
      expect(span.parentSpanId).toBe(root.spanId);
      expect(span.kind).toBe(SPAN_KIND_INTERNAL);
      const step = run.steps.find((s) => s.key === span.name);
      expect(span.attributes['cicd.pipeline.task.run.id']).toBe(String(step?.id));
      expect(span.startMs).toBeLessThanOrEqual(span.endMs);
      expect(span.startMs).toBeGreaterThanOrEqual(root.startMs);
    }
    const suite = spans.find((s) => s.name === 'gate:api:suite');
    expect(suite?.attributes).toMatchObject({ 'cicd.pipeline.task.name': 'api › suite', 'cicd.pipeline.task.type': 'test', 'cicd.pipeline.task.run.result': 'success', 'gantry.step.kind': 'gate', 'gantry.service': 'api' });
    expect(suite?.statusCode).toBe(0);
    const broken = spans.find((s) => s.name === 'gate:api:broken');
    expect(broken?.attributes).toMatchObject({ 'cicd.pipeline.task.run.result': 'failure', 'error.type': 'GATE_FAILED' });
    expect(broken?.statusCode).toBe(STATUS_ERROR);
    expect(broken?.statusMessage).toContain('exit code 3');

    // The suite's TRACEPARENT names the run's trace and the suite step's span (W3C, sampled).
    const traceparent = await readFile(join(out, 'suite.traceparent'), 'utf8');
    expect(traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const [, traceId, parentId] = traceparent.split('-');
    expect(traceId).toBe(root.traceId);
    expect(parentId).toBe(suite?.spanId);

    // The exporter read the standard variables: the traces path under the endpoint, JSON, the headers.
    expect(receiver.requests.every((r) => r.path === '/v1/traces' && r.contentType.startsWith('application/json'))).toBe(true);
    expect(receiver.requests[0]?.headers['x-tenant']).toBe('ops');
    await stopWithSigterm(server.child);
  });

  it('puts a step ended after a restart in the trace its run began, and sends what is queued when the server stops', async () => {
    const receiver = new OtlpReceiver();
    receivers.push(receiver);
    const endpoint = await receiver.start();
    const { configPath, dataDir, out } = await fixture(resumableConfig);
    const first = await startTracedServer(configPath, dataDir, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${endpoint}/v1/traces`, OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_SERVICE_NAME: 'gantry-ci', OTEL_RESOURCE_ATTRIBUTES: 'service.namespace=delivery' });
    const { runId, headers } = await dispatch(first.url, dataDir);
    const before = await until('the first gate span at the receiver', () => receiver.ofRun(runId).find((s) => s.name === 'gate:api:first'), 30_000);
    expect(before.serviceName).toBe('gantry-ci');
    expect(before.resource['service.namespace']).toBe('delivery');
    await until('the held gate to start', async () => (await readFile(join(out, 'held.traceparent'), 'utf8').catch(() => '')).length > 0, 30_000);
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));

    // The second server batches for a minute: its spans reach the receiver only through the flush at SIGTERM.
    const second = await startTracedServer(configPath, dataDir, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${endpoint}/v1/traces`, OTEL_BSP_SCHEDULE_DELAY: '60000', OTEL_SERVICE_NAME: 'gantry-ci' });
    await until('the held gate to run again', async () => (await readFile(join(out, 'held.traceparent'), 'utf8')).trim().split('\n').length === 2, 30_000);
    await writeFile(join(out, 'go'), '');
    await until(
      'the resumed run to finish',
      async () => {
        const body = (await (await fetch(`${second.url}/api/v1/runs/${runId}`, { headers })).json()) as { run: { state: string } };
        return body.run.state === 'succeeded';
      },
      30_000,
    );
    expect(receiver.ofRun(runId).find((s) => s.parentSpanId === '')).toBeUndefined();
    await stopWithSigterm(second.child);

    const spans = receiver.ofRun(runId);
    const root = spans.find((s) => s.parentSpanId === '');
    expect(root?.attributes['cicd.pipeline.result']).toBe('success');
    const held = spans.find((s) => s.name === 'gate:api:held');
    // Sent by the second server, in the trace the first one began, under the same run span.
    expect(held?.traceId).toBe(before.traceId);
    expect(root?.traceId).toBe(before.traceId);
    expect(before.parentSpanId).toBe(root?.spanId);
    expect(held?.parentSpanId).toBe(root?.spanId);
    expect(held?.attributes['gantry.step.attempt']).toBe(2);
    // Both attempts of the held gate were told the same span: the one sent for the step.
    const parents = (await readFile(join(out, 'held.traceparent'), 'utf8')).trim().split('\n');
    expect(parents).toEqual([`00-${before.traceId}-${held?.spanId}-01`, `00-${before.traceId}-${held?.spanId}-01`]);
  });

  it('fails no run when the collector is down: the failed export is logged', async () => {
    // A port nothing listens on: the exporter's connection is refused.
    const closed = new OtlpReceiver();
    const endpoint = await closed.start();
    await closed.stop();
    const { configPath, dataDir } = await fixture(resumableConfig);
    // The exporter gives up after its timeout (10 s by default), and so does the stop's flush.
    const server = await startTracedServer(configPath, dataDir, { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_EXPORTER_OTLP_TIMEOUT: '1000' });
    let log = '';
    server.child.stderr?.on('data', (c: Buffer) => (log += c.toString()));
    const { runId, headers } = await dispatch(server.url, dataDir);
    await until('the held gate to start', async () => (await readFile(join(dataDir, '..', 'out', 'held.traceparent'), 'utf8').catch(() => '')).length > 0, 30_000);
    await writeFile(join(dataDir, '..', 'out', 'go'), '');
    const state = await until('the run to end', async () => {
      const s = ((await (await fetch(`${server.url}/api/v1/runs/${runId}`, { headers })).json()) as { run: { state: string } }).run.state;
      return ['failed', 'succeeded', 'cancelled'].includes(s) ? s : undefined;
    }, 30_000);
    expect(state).toBe('succeeded');
    await until('the failed export in the log', () => /opentelemetry: .*(ECONNREFUSED|export)/i.test(log), 30_000);
    await stopWithSigterm(server.child);
  });

  it('gives gates no TRACEPARENT when no OTLP endpoint is set', async () => {
    const { configPath, dataDir, out } = await fixture(config);
    const server = await startTracedServer(configPath, dataDir, {});
    const { runId, headers } = await dispatch(server.url, dataDir);
    await until('the run to end', async () => ['failed', 'succeeded'].includes(((await (await fetch(`${server.url}/api/v1/runs/${runId}`, { headers })).json()) as { run: { state: string } }).run.state), 30_000);
    expect(await readFile(join(out, 'suite.traceparent'), 'utf8')).toBe('');
    await stopWithSigterm(server.child);
  });
});
