import { z } from 'zod';
import type { GateConfig, HealthConfig, ScanConfig, ServiceConfig, SmokeConfig, StrategyConfig, VerifyConfig, WatchConfig } from '../../config/types.js';

/**
 * The parts of the normalised config that step specs carry, as schemas. They read specs the
 * planner wrote (durations already in ms, defaults resolved), so they check shape, not the user's
 * units; the `z.ZodType<…>` annotations make the compiler check each one against the config type.
 */

/** A field the normalised config holds as `T | undefined`: JSON drops it, so it may be missing. */
const maybe = <T extends z.ZodType>(schema: T) => schema.optional().transform((v) => v);
const ms = z.number().nonnegative();
const envMap = z.record(z.string(), z.string());

export const GateConfigSchema: z.ZodType<GateConfig, unknown> = z.object({
  name: z.string(),
  run: z.string(),
  timeoutMs: ms,
  retries: z.number().int().nonnegative(),
  env: envMap,
  junit: maybe(z.string()),
  coverage: maybe(z.object({ file: z.string(), format: z.enum(['istanbul', 'lcov', 'cobertura', 'jacoco']), minimum: z.number() })),
});

export const HealthConfigSchema: z.ZodType<HealthConfig, unknown> = z.object({
  path: z.string(),
  expectStatus: z.number().int(),
  intervalMs: ms,
  timeoutMs: ms,
  deadlineMs: ms,
  readiness: z.object({ failureThreshold: z.number().int(), successThreshold: z.number().int() }),
  liveness: z.object({ path: z.string(), failureThreshold: z.number().int() }),
});

export const SmokeConfigSchema: z.ZodType<SmokeConfig, unknown> = z.object({
  name: z.string(),
  method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'DELETE']),
  path: z.string(),
  body: maybe(z.string()),
  expectStatus: z.number().int(),
  expectBody: maybe(z.string()),
  expectJson: maybe(z.object({ field: z.string(), equals: z.union([z.string(), z.number(), z.boolean(), z.null()]) })),
});

const AnalysisMetricSchema = z.object({
  name: z.string(),
  provider: z.enum(['router', 'prometheus']),
  query: z.string(),
  intervalMs: ms,
  count: z.number().int(),
  successCondition: z.string(),
  failureLimit: z.number().int(),
  inconclusiveLimit: z.number().int(),
  compare: maybe(z.literal('previous')),
});

const CanaryStepSchema = z.union([
  z.object({ setWeight: z.number() }),
  z.object({ pause: z.object({ durationMs: maybe(z.number()) }) }),
  z.object({ analysis: z.object({ metrics: z.array(AnalysisMetricSchema).readonly() }) }),
]);

export const StrategyConfigSchema: z.ZodType<StrategyConfig, unknown> = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('rolling'), maxSurge: z.number(), maxUnavailable: z.number() }),
  z.object({ kind: z.literal('blue-green'), scaleDownDelayMs: ms, previewPortOffset: z.number() }),
  z.object({
    kind: z.literal('canary'),
    steps: z.array(CanaryStepSchema).readonly(),
    match: maybe(z.union([z.object({ header: z.string(), value: z.string() }), z.object({ cookie: z.string(), value: z.string() })])),
    scaleDownDelayMs: ms,
  }),
]);

const optionalNumber = maybe(z.number());
export const VerifyConfigSchema: z.ZodType<VerifyConfig, unknown> = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('health') }),
  z.object({ kind: z.literal('smoke') }),
  z.object({ kind: z.literal('integration'), run: z.string(), timeoutMs: ms }),
  z.object({
    kind: z.literal('load'),
    service: z.string(),
    path: z.string(),
    durationMs: ms,
    connections: z.number().int(),
    rate: optionalNumber,
    maxP95Ms: optionalNumber,
    maxP99Ms: optionalNumber,
    maxErrorRate: optionalNumber,
    minRps: optionalNumber,
    maxP99Increase: optionalNumber,
    maxRpsDecrease: optionalNumber,
  }),
  z.object({
    kind: z.literal('chaos'),
    service: z.string(),
    durationMs: ms,
    faults: z.object({
      latency: z.object({ ms: z.number(), share: z.number() }).optional(),
      abort: z.object({ status: z.number().int(), share: z.number() }).optional(),
      reset: z.object({ share: z.number() }).optional(),
    }),
    killReplica: z.boolean(),
    path: z.string(),
    rate: optionalNumber,
    connections: z.number().int(),
    maxErrorRate: optionalNumber,
    maxP99Ms: optionalNumber,
    expect: z.enum(['hold', 'rollback']),
  }),
]);

export const WatchConfigSchema: z.ZodType<WatchConfig, unknown> = z.object({
  durationMs: ms,
  maxErrorRate: z.number(),
  maxP99Ms: optionalNumber,
  onInconclusive: z.enum(['fail', 'pause']),
  analysis: z.array(AnalysisMetricSchema).readonly(),
  services: z.record(z.string(), z.object({ basis: z.enum(['traffic', 'health']) })),
});

export const ScanConfigSchema: z.ZodType<ScanConfig, unknown> = z.object({
  secrets: z.boolean(),
  audit: z.object({ severity: z.enum(['low', 'moderate', 'high', 'critical']), command: maybe(z.string()) }),
});

export const BuildConfigSchema: z.ZodType<ServiceConfig['build'], unknown> = maybe(z.object({ run: z.string(), output: z.string(), timeoutMs: ms }));

export const PrometheusConfigSchema = maybe(z.object({ url: z.string(), timeoutMs: ms }));
