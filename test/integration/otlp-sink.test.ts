import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/kernel/logger.js';
import { otlpSink } from '../../src/telemetry/otlp-sink.js';

interface Sent {
  readonly resourceSpans: { scopeSpans: { scope: { name: string }; spans: { traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number; startTimeUnixNano: string | number; endTimeUnixNano: string | number; status: { code?: number; message?: string } }[] }[] }[];
}

describe('the OTLP sink', () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  it('sends a span with the ids, times and status it was given, over a real socket, on shutdown', async () => {
    const bodies: Sent[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        bodies.push(JSON.parse(body) as Sent);
        res.end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // The exporter reads the endpoint from the environment, as the server's does.
    process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = `${endpoint}/v1/traces`;
    closers.push(async () => {
      delete process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
    });

    const sink = otlpSink({ endpoint, serviceName: 'gantry' }, '0.0.0-test', createLogger('silent'));
    // Small times on purpose: the SDK would read a number this small as time since the process started.
    sink.send({ name: 'gate:api:unit', kind: 'internal', traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8), parentSpanId: 'ef'.repeat(8), startMs: 1_000, endMs: 2_500, attributes: { 'cicd.pipeline.task.run.id': '3' }, error: { code: 'GATE_FAILED', message: 'exit 3' } });
    await sink.shutdown();

    const span = bodies[0]?.resourceSpans[0]?.scopeSpans[0]?.spans[0];
    expect(span).toMatchObject({ traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8), parentSpanId: 'ef'.repeat(8), name: 'gate:api:unit', kind: 1, status: { code: 2, message: 'GATE_FAILED: exit 3' } });
    expect(BigInt(span?.startTimeUnixNano ?? 0)).toBe(1_000_000_000n);
    expect(BigInt(span?.endTimeUnixNano ?? 0)).toBe(2_500_000_000n);
    expect(bodies[0]?.resourceSpans[0]?.scopeSpans[0]?.scope.name).toBe('gantry');
  });
});
