/**
 * Polls `probe` until it returns a value or the deadline passes. Unlike the session's waits, an
 * error thrown by the probe ends the wait at once: it is how a probe says "this will never happen"
 * (the process it waits for has exited).
 */
export async function waitUntil<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
