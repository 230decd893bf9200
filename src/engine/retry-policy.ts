/** Exponential backoff between attempts of a retryable step, as in Temporal's retry policy. */
export interface RetryPolicy {
  readonly initialIntervalMs: number;
  readonly backoffCoefficient: number;
  readonly maximumIntervalMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { initialIntervalMs: 1_000, backoffCoefficient: 2, maximumIntervalMs: 30_000 };

/** Delay before attempt `attempt + 1`, where `attempt` is the number of attempts made so far (≥ 1). */
export function retryDelay(policy: RetryPolicy, attempt: number): number {
  const delay = policy.initialIntervalMs * policy.backoffCoefficient ** Math.max(0, attempt - 1);
  return Math.min(delay, policy.maximumIntervalMs);
}
