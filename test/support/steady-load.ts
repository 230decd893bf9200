/**
 * Steady, bounded load for tests: `connections` loops, each sending one request after another on
 * its own keep-alive connection through the given URLs (round robin). Every request counts: a
 * status of 500 or more, a reset, a refusal or a timeout is a failure, kept with its reason.
 */
export class SteadyLoad {
  private running = false;
  private loops: Array<Promise<void>> = [];
  ok = 0;
  failed = 0;
  readonly failures: string[] = [];
  /** Every answer of 500 or more, by its body (the router's own error code shows there). */
  readonly serverErrors: string[] = [];

  constructor(
    private readonly urls: readonly string[],
    private readonly connections = 20,
    private readonly maxRequests = 400_000,
    /** A short pause between one loop's requests, so 20 loops leave the 2-core machine room to work. */
    private readonly pauseMs = 5,
  ) {}

  start(): void {
    this.running = true;
    this.loops = Array.from({ length: this.connections }, (_, i) => this.loop(i));
  }

  private async loop(offset: number): Promise<void> {
    let i = offset;
    while (this.running && this.ok + this.failed < this.maxRequests) {
      const url = this.urls[i++ % this.urls.length] ?? '';
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
        const body = await res.text();
        if (res.status < 500) this.ok++;
        else {
          this.fail(`${url}: ${res.status} ${body.slice(0, 120)}`);
          if (this.serverErrors.length < 1_000) this.serverErrors.push(`${res.status} ${body.slice(0, 200)}`);
        }
      } catch (error: unknown) {
        const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
        this.fail(`${url}: ${error instanceof Error ? error.message : String(error)}${cause}`);
      }
      await new Promise((r) => setTimeout(r, this.pauseMs));
    }
  }

  private fail(reason: string): void {
    this.failed++;
    if (this.failures.length < 20) this.failures.push(reason);
  }

  /** Resolves once `more` further requests succeeded (traffic is flowing now), or rejects after `timeoutMs`. */
  async flowing(more = 20, timeoutMs = 10_000): Promise<void> {
    const target = this.ok + more;
    const deadline = Date.now() + timeoutMs;
    while (this.ok < target) {
      if (Date.now() > deadline) throw new Error(`traffic did not flow: ${this.ok}/${target} ok, ${this.failed} failed (${this.failures.slice(-3).join('; ')})`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async stop(): Promise<{ ok: number; failed: number; failures: string[] }> {
    this.running = false;
    await Promise.all(this.loops);
    return { ok: this.ok, failed: this.failed, failures: this.failures };
  }
}
