// Activity retries, as a Temporal retry policy would do them: a fixed number of attempts, and
// errors marked non-retryable fail at once.

export class NonRetryableError extends Error {}

export const DEFAULT_RETRY = Object.freeze({ maximumAttempts: 3 });

export async function withRetry(activity, input, policy = DEFAULT_RETRY) {
  let lastError;
  for (let attempt = 1; attempt <= policy.maximumAttempts; attempt++) {
    try {
      return { result: await activity(input, attempt), attempts: attempt };
    } catch (error) {
      lastError = error;
      if (error instanceof NonRetryableError) break;
    }
  }
  throw lastError;
}
