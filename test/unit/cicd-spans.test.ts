import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as semconv from '@opentelemetry/semantic-conventions/incubating';
import { describe, expect, it } from 'vitest';
import type { Run, Step } from '../../src/domain/run.js';
import { CICD, resultOf, runSpan, stepSpan } from '../../src/telemetry/cicd-spans.js';
import { traceEnvironment } from '../../src/telemetry/step-environment.js';
import { runSpanId, runTraceId, stepSpanId, stepTraceparent } from '../../src/telemetry/trace-ids.js';
import { tracingConfig } from '../../src/telemetry/tracing-config.js';

const run = (over: Partial<Run> = {}): Run => ({
  id: 7,
  trigger: 'push',
  branch: 'develop',
  ref: 'refs/heads/develop',
  sha: 'a'.repeat(40),
  baseSha: null,
  environment: 'dev',
  state: 'succeeded',
  notes: [],
  author: null,
  authors: [],
  triggeredBy: 'push',
  commitMessage: null,
  commitTime: null,
  error: null,
  cancelRequested: false,
  createdAt: 1_000,
  startedAt: 2_000,
  finishedAt: 9_000,
  ...over,
});

const step = (over: Partial<Step> = {}): Step => ({
  id: 41,
  runId: 7,
  key: 'gate:api:unit',
  kind: 'gate',
  name: 'api › unit',
  service: 'api',
  environment: null,
  needs: [],
  when: 'success',
  spec: {},
  position: 1,
  state: 'succeeded',
  message: null,
  attempt: 1,
  maxAttempts: 1,
  notBefore: 0,
  leaseOwner: null,
  leaseExpiresAt: null,
  pid: null,
  processHost: null,
  cached: false,
  summary: null,
  error: null,
  startedAt: 3_000,
  finishedAt: 4_000,
  ...over,
});

const info = { pipeline: 'shop', runUrl: (id: number) => `http://gantry.test/#/runs/${id}` };

describe('trace ids derived from the run', () => {
  it('are the same for the same run on every call, and valid W3C ids', () => {
    expect(runTraceId(run())).toBe(runTraceId(run({ state: 'failed', finishedAt: 1 })));
    expect(runTraceId(run())).toMatch(/^[0-9a-f]{32}$/);
    expect(runSpanId(run())).toMatch(/^[0-9a-f]{16}$/);
    expect(stepTraceparent(run(), 41)).toBe(`00-${runTraceId(run())}-${stepSpanId(run(), 41)}-01`);
  });

  it('differ between runs, between two installations\' run #7, and between steps', () => {
    expect(runTraceId(run({ id: 8 }))).not.toBe(runTraceId(run()));
    expect(runTraceId(run({ createdAt: 1_001 }))).not.toBe(runTraceId(run()));
    expect(stepSpanId(run(), 42)).not.toBe(stepSpanId(run(), 41));
    expect(stepSpanId(run(), 41)).not.toBe(runSpanId(run()));
  });
});

describe('CI/CD spans', () => {
  it('use the attribute names of the semantic conventions', () => {
    expect(CICD).toEqual({
      pipelineName: semconv.ATTR_CICD_PIPELINE_NAME,
      pipelineRunId: semconv.ATTR_CICD_PIPELINE_RUN_ID,
      pipelineRunUrl: semconv.ATTR_CICD_PIPELINE_RUN_URL_FULL,
      pipelineActionName: semconv.ATTR_CICD_PIPELINE_ACTION_NAME,
      pipelineResult: semconv.ATTR_CICD_PIPELINE_RESULT,
      taskName: semconv.ATTR_CICD_PIPELINE_TASK_NAME,
      taskRunId: semconv.ATTR_CICD_PIPELINE_TASK_RUN_ID,
      taskType: semconv.ATTR_CICD_PIPELINE_TASK_TYPE,
      taskRunResult: semconv.ATTR_CICD_PIPELINE_TASK_RUN_RESULT,
      refHeadName: semconv.ATTR_VCS_REF_HEAD_NAME,
      refHeadType: semconv.ATTR_VCS_REF_HEAD_TYPE,
      refHeadRevision: semconv.ATTR_VCS_REF_HEAD_REVISION,
      environmentName: semconv.ATTR_DEPLOYMENT_ENVIRONMENT_NAME,
      errorType: semconv.ATTR_ERROR_TYPE,
    });
    const results = [semconv.CICD_PIPELINE_RESULT_VALUE_SUCCESS, semconv.CICD_PIPELINE_RESULT_VALUE_FAILURE, semconv.CICD_PIPELINE_RESULT_VALUE_CANCELLATION, semconv.CICD_PIPELINE_RESULT_VALUE_SKIP, semconv.CICD_PIPELINE_RESULT_VALUE_TIMEOUT];
    expect(['succeeded', 'failed', 'cancelled', 'skipped'].map((s) => resultOf(s, null))).toEqual(results.slice(0, 4));
    expect(resultOf('failed', { code: 'STEP_TIMEOUT', message: 'too slow' })).toBe(results[4]);
  });

  it('make a failed run an ERROR with its error code, and a cancelled one no error', () => {
    const failed = runSpan(run({ state: 'failed', error: { code: 'GATE_FAILED', message: 'gate api/unit failed' } }), info);
    expect(failed.error).toEqual({ code: 'GATE_FAILED', message: 'gate api/unit failed' });
    expect(failed.attributes).toMatchObject({ [CICD.pipelineResult]: 'failure', [CICD.errorType]: 'GATE_FAILED', [CICD.pipelineRunUrl]: 'http://gantry.test/#/runs/7' });
    const cancelled = runSpan(run({ state: 'cancelled' }), info);
    expect(cancelled.error).toBeUndefined();
    expect(cancelled.attributes[CICD.errorType]).toBeUndefined();
  });

  it('start a step at its first run on this server, and give a step settled without running no length', () => {
    const waited = stepSpan(run(), step({ kind: 'approval', startedAt: 3_500 }), info, 2_500);
    expect([waited.startMs, waited.endMs]).toEqual([2_500, 4_000]);
    expect(waited.attributes[CICD.taskType]).toBeUndefined();
    const skipped = stepSpan(run(), step({ state: 'skipped', startedAt: null, finishedAt: 5_000 }), info);
    expect([skipped.startMs, skipped.endMs]).toEqual([5_000, 5_000]);
    expect(skipped.attributes[CICD.taskRunResult]).toBe('skip');
    expect(skipped.parentSpanId).toBe(runSpanId(run()));
  });
});

describe('tracing configuration', () => {
  it('is on with an OTLP endpoint for all signals or for traces, unless turned off', () => {
    expect(tracingConfig({})).toBeUndefined();
    expect(tracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' })).toEqual({ endpoint: 'http://c:4318', serviceName: 'gantry' });
    expect(tracingConfig({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces', OTEL_SERVICE_NAME: 'cd' })).toEqual({ endpoint: 'http://c:4318/v1/traces', serviceName: 'cd' });
    expect(tracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'true' })).toBeUndefined();
    expect(tracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' })).toBeUndefined();
    expect(traceEnvironment(run(), 41, {})).toEqual({});
    expect(traceEnvironment(run(), 41, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' })).toEqual({ TRACEPARENT: stepTraceparent(run(), 41) });
  });

  it('loads the SDK from one file, imported on demand only', () => {
    const dir = resolve(import.meta.dirname, '../../src/telemetry');
    const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
    const sdkUsers = files.filter((f) => /from '@opentelemetry\//.test(readFileSync(join(dir, f), 'utf8')));
    expect(sdkUsers).toEqual(['otlp-sink.ts']);
    const staticImporters = files.filter((f) => /from '\.\/otlp-sink\.js'/.test(readFileSync(join(dir, f), 'utf8')));
    expect(staticImporters).toEqual([]);
  });
});
