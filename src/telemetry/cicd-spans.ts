import type { Run, Step, StepError } from '../domain/run.js';
import type { SpanRecord } from './span-record.js';
import { runSpanId, runTraceId, stepSpanId } from './trace-ids.js';

/*
 * The OpenTelemetry CI/CD semantic conventions (https://opentelemetry.io/docs/specs/semconv/cicd/,
 * status: development). The names are written out here rather than imported from the conventions'
 * `incubating` entry point, which the package itself says not to depend on in a library; a test
 * compares them with that entry point, so a rename upstream is noticed.
 */
export const CICD = {
  pipelineName: 'cicd.pipeline.name',
  pipelineRunId: 'cicd.pipeline.run.id',
  pipelineRunUrl: 'cicd.pipeline.run.url.full',
  pipelineActionName: 'cicd.pipeline.action.name',
  pipelineResult: 'cicd.pipeline.result',
  taskName: 'cicd.pipeline.task.name',
  taskRunId: 'cicd.pipeline.task.run.id',
  taskType: 'cicd.pipeline.task.type',
  taskRunResult: 'cicd.pipeline.task.run.result',
  refHeadName: 'vcs.ref.head.name',
  refHeadType: 'vcs.ref.head.type',
  refHeadRevision: 'vcs.ref.head.revision',
  environmentName: 'deployment.environment.name',
  errorType: 'error.type',
} as const;

/** What the spans need beyond the run and its steps. */
export interface PipelineInfo {
  /** gantry.yaml's project name: the pipeline, low in cardinality as a span name must be. */
  readonly pipeline: string;
  readonly runUrl: (runId: number) => string;
}

/** The run's root span: `RUN <project>`, from its start (or creation, if it never started) to its end. */
export function runSpan(run: Run, info: PipelineInfo): SpanRecord {
  const end = run.finishedAt ?? run.startedAt ?? run.createdAt;
  const result = resultOf(run.state, run.error);
  return {
    name: `RUN ${info.pipeline}`,
    kind: 'server',
    traceId: runTraceId(run),
    spanId: runSpanId(run),
    startMs: run.startedAt ?? run.createdAt,
    endMs: end,
    attributes: {
      [CICD.pipelineName]: info.pipeline,
      [CICD.pipelineRunId]: String(run.id),
      [CICD.pipelineRunUrl]: info.runUrl(run.id),
      [CICD.pipelineActionName]: 'RUN',
      [CICD.pipelineResult]: result,
      ...vcsAttributes(run),
      ...(run.environment ? { [CICD.environmentName]: run.environment } : {}),
      'gantry.run.trigger': run.trigger,
      'gantry.run.triggered_by': run.triggeredBy,
      ...errorAttributes(result, run.error),
    },
    ...failure(result, run.error),
  };
}

/**
 * A step's span, a child of the run's, named by the step's key (`gate:api:unit`). It starts when
 * the step was first seen running on this server (`firstStartedMs`), else at its last attempt's
 * start as the store keeps it; a step settled without running (skipped, cancelled) has no length.
 */
export function stepSpan(run: Run, step: Step, info: PipelineInfo, firstStartedMs?: number): SpanRecord {
  const end = step.finishedAt ?? step.startedAt ?? run.finishedAt ?? run.createdAt;
  const start = Math.min(firstStartedMs ?? Infinity, step.startedAt ?? end);
  const result = resultOf(step.state, step.error);
  const taskType = TASK_TYPES[step.kind];
  const environment = step.environment ?? run.environment;
  return {
    name: step.key,
    kind: 'internal',
    traceId: runTraceId(run),
    spanId: stepSpanId(run, step.id),
    parentSpanId: runSpanId(run),
    startMs: start,
    endMs: Math.max(end, start),
    attributes: {
      [CICD.pipelineName]: info.pipeline,
      [CICD.pipelineRunId]: String(run.id),
      [CICD.taskName]: step.name,
      [CICD.taskRunId]: String(step.id),
      ...(taskType ? { [CICD.taskType]: taskType } : {}),
      [CICD.taskRunResult]: result,
      ...vcsAttributes(run),
      ...(environment ? { [CICD.environmentName]: environment } : {}),
      'gantry.step.key': step.key,
      'gantry.step.kind': step.kind,
      'gantry.step.attempt': step.attempt,
      ...(step.service ? { 'gantry.service': step.service } : {}),
      ...(step.cached ? { 'gantry.step.cached': true } : {}),
      ...errorAttributes(result, step.error),
    },
    ...failure(result, step.error),
  };
}

/** The conventions' three task types; a step of another kind (a lock, an approval) has none. */
const TASK_TYPES: Readonly<Record<string, 'build' | 'test' | 'deploy'>> = {
  scan: 'test',
  gate: 'test',
  'image-scan': 'test',
  verify: 'test',
  build: 'build',
  image: 'build',
  deploy: 'deploy',
  watch: 'deploy',
  finalize: 'deploy',
  rollback: 'deploy',
};

type Result = 'success' | 'failure' | 'cancellation' | 'skip' | 'timeout';

/** A run's or step's state as the conventions' result; a timeout is told apart by its error code. */
export function resultOf(state: string, error: StepError | null): Result {
  if (error?.code === 'STEP_TIMEOUT' && state !== 'succeeded') return 'timeout';
  if (state === 'succeeded') return 'success';
  if (state === 'skipped') return 'skip';
  if (state === 'cancelled') return 'cancellation';
  return 'failure';
}

function vcsAttributes(run: Run): Record<string, string> {
  return {
    ...(run.branch ? { [CICD.refHeadName]: run.branch, [CICD.refHeadType]: 'branch' } : {}),
    ...(run.sha ? { [CICD.refHeadRevision]: run.sha } : {}),
  };
}

const failed = (result: Result): boolean => result === 'failure' || result === 'timeout';

function errorAttributes(result: Result, error: StepError | null): Record<string, string> {
  return failed(result) ? { [CICD.errorType]: error?.code ?? 'failure' } : {};
}

/** Only a failure is an error: a cancelled or skipped run or step leaves the status unset. */
function failure(result: Result, error: StepError | null): Pick<SpanRecord, 'error'> {
  return failed(result) ? { error: { code: error?.code ?? 'failure', message: error?.message ?? result } } : {};
}
