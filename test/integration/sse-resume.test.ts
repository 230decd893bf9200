import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureRepo, pushChange } from '../support/fixture-repo.js';
import type { ScratchRepo } from '../../src/cli/demo/scratch-repo.js';
import { TempDirs } from '../support/temp.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/**
 * Resuming server-sent-event streams over a real socket: a client reads part of a stream, goes
 * away, and comes back with the last event id as Last-Event-ID; it gets exactly the rest.
 */
const LINES = 40;
const CONFIG = `version: 1
project: { name: sse-shop }
repository:
  url: .
  defaultBranch: develop
services:
  api:
    path: api
    gates:
      - { name: lint, run: "echo linted" }
      - { name: test, run: "for i in $(seq 1 ${LINES}); do echo line-$i; done" }
environments:
  dev: { branch: develop }
`;

interface Read {
  readonly events: EventSourceMessage[];
  readonly retries: number[];
  /** Whether the server ended the stream (rather than the reader leaving). */
  readonly ended: boolean;
}

/** Reads a stream over HTTP until `stop` says enough (then hangs up) or the server ends it. */
async function read(url: string, token: string, headers: Record<string, string>, stop: (events: EventSourceMessage[]) => boolean = () => false): Promise<Read> {
  const events: EventSourceMessage[] = [];
  const retries: number[] = [];
  const abort = new AbortController();
  const parser = createParser({ onEvent: (e) => events.push(e), onRetry: (ms) => retries.push(ms) });
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream', ...headers }, signal: abort.signal });
  expect(response.status).toBe(200);
  const decoder = new TextDecoder();
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      parser.feed(decoder.decode(chunk, { stream: true }));
      if (stop(events)) {
        abort.abort();
        break;
      }
    }
  } catch (error: unknown) {
    // Hanging up breaks the body being read.
    if (!abort.signal.aborted) throw error;
  }
  return { events, retries, ended: !abort.signal.aborted };
}

describe('SSE streams resume after Last-Event-ID', () => {
  const temp = new TempDirs();
  let t: TestServer;
  let runId: number;
  let base: string;
  let repo: ScratchRepo;

  beforeAll(async () => {
    const root = await temp.make();
    repo = await fixtureRepo(root, { 'gantry.yaml': CONFIG, 'api/index.js': 'export {};\n' });
    t = await startTestServer(root, repo, CONFIG);
    base = t.server.url;
    await pushChange(repo, 'develop', { 'api/index.js': 'export const a = 1;\n' }, 'change');
    const run = await t.finished((await t.runFor('develop')).id);
    expect(run.run.state).toBe('succeeded');
    runId = run.run.id;
  }, 120_000);

  afterAll(async () => {
    await t.close();
    await temp.cleanup();
  });

  it('sends a run\'s log lines after the last one read, none twice and none lost, each with its id and one retry hint', async () => {
    const all = (await t.api<{ lines: Array<{ id: number; text: string }> }>('GET', `/api/v1/runs/${runId}/logs`)).body.lines;
    expect(all.filter((l) => l.text.startsWith('line-'))).toHaveLength(LINES);
    const url = `${base}/api/v1/runs/${runId}/logs?follow=1`;
    const first = await read(url, t.token, {}, (events) => events.filter((e) => e.event === 'log').length >= 10);
    expect(first.ended).toBe(false);
    expect(first.retries).toEqual([1000]);
    const firstLogs = first.events.filter((e) => e.event === 'log');
    for (const e of firstLogs) expect(e.id).toBe(String((JSON.parse(e.data) as { id: number }).id));
    const last = firstLogs.at(-1)?.id;
    expect(last).toBeDefined();

    const rest = await read(url, t.token, { 'last-event-id': last ?? '' });
    expect(rest.ended).toBe(true);
    expect(rest.events.at(-1)?.event).toBe('end');
    const ids = [...firstLogs, ...rest.events.filter((e) => e.event === 'log')].map((e) => Number(e.id));
    expect(ids).toEqual(all.map((l) => l.id));
    // The same with the query parameter, for clients that cannot set headers.
    const byQuery = await read(`${url}&lastEventId=${last ?? ''}`, t.token, {});
    expect(byQuery.events.filter((e) => e.event === 'log').map((e) => Number(e.id))).toEqual(all.map((l) => l.id).slice(firstLogs.length));
  });

  it('sends only the steps that changed since the client\'s position in a run\'s progress stream', async () => {
    const url = `${base}/api/v1/runs/${runId}/events`;
    const whole = await read(url, t.token, {});
    expect(whole.ended).toBe(true);
    const steps = whole.events.filter((e) => e.event === 'step');
    expect(steps.length).toBeGreaterThanOrEqual(3);
    expect(whole.events.map((e) => e.event).slice(-2)).toEqual(['run', 'end']);
    for (const e of whole.events) expect(e.id).toMatch(/^s\.[a-z]*\.[0-9a-z]+~/);
    expect(whole.events.at(-1)?.id).toMatch(/^s\.succeeded\./);

    // Away after the second step: the rest of the steps, the run and the end, nothing before.
    const resumed = await read(url, t.token, { 'last-event-id': steps[1]?.id ?? '' });
    expect(resumed.events.map((e) => `${e.event}:${e.data}`)).toEqual(whole.events.slice(2).map((e) => `${e.event}:${e.data}`));
    // Away after everything but the end: only the end.
    const tail = await read(url, t.token, { 'last-event-id': whole.events.at(-2)?.id ?? '' });
    expect(tail.events.map((e) => e.event)).toEqual(['end']);
    // An id it cannot read starts the stream over.
    const over = await read(url, t.token, { 'last-event-id': 'not-a-position' });
    expect(over.events.map((e) => e.event)).toEqual(whole.events.map((e) => e.event));
  });

  it('replays the changes a dashboard missed while away from the same server, and says when it cannot', async () => {
    const url = `${base}/api/v1/stream`;
    const first = await read(url, t.token, {}, (events) => events.some((e) => e.event === 'ready'));
    const ready = first.events.find((e) => e.event === 'ready');
    expect(JSON.parse(ready?.data ?? '{}')).toMatchObject({ resumed: false });
    expect(ready?.id).toMatch(/^[0-9a-f]{8}\.\d+$/);

    // Changes made while no client listens: a new run (its steps and itself).
    await pushChange(repo, 'develop', { 'api/index.js': 'export const a = 2;\n' }, 'another change');
    const newRun = (await t.runFor('develop', runId)).id;
    await t.finished(newRun);

    const back = await read(url, t.token, { 'last-event-id': ready?.id ?? '' }, (events) => events.some((e) => e.event === 'changes'));
    expect(JSON.parse(back.events.find((e) => e.event === 'ready')?.data ?? '{}')).toMatchObject({ resumed: true });
    const changes = (JSON.parse(back.events.find((e) => e.event === 'changes')?.data ?? '{}') as { changes: Array<{ type: string; runId: number; state: string }> }).changes;
    // Each run or step once, at its latest state (the run's last change may come after the store says it ended).
    expect(changes.filter((c) => c.type === 'run' && c.runId === newRun)).toHaveLength(1);
    const newSteps = changes.filter((c) => c.type === 'step' && c.runId === newRun);
    expect(newSteps.length).toBeGreaterThanOrEqual(3);
    expect(newSteps.every((c) => c.state === 'succeeded')).toBe(true);

    const elsewhere = await read(url, t.token, { 'last-event-id': '00000000.1' }, (events) => events.some((e) => e.event === 'ready'));
    expect(JSON.parse(elsewhere.events.find((e) => e.event === 'ready')?.data ?? '{}')).toMatchObject({ resumed: false });
  });
});
