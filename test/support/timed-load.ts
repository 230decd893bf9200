/**
 * Bounded load that keeps each answer with its time, so a test can count the failures inside a
 * window (a canary's life) rather than over the whole run: `connections` loops, each one request after
 * another with a short pause. A status of 500 or more, a reset, a refusal or a timeout is a failure.
 */
export interface TimedAnswer {
  readonly at: number;
  readonly ok: boolean;
  /** The `version` field of a JSON answer, when there is one. */
  readonly version: string | undefined;
}

export class TimedLoad {
  private running = false;
  private loops: Array<Promise<void>> = [];
  readonly answers: TimedAnswer[] = [];

  constructor(
    private readonly url: string,
    private readonly connections = 4,
    private readonly pauseMs = 10,
    private readonly maxRequests = 200_000,
  ) {}

  start(): void {
    this.running = true;
    this.loops = Array.from({ length: this.connections }, () => this.loop());
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  /** Answers between `from` and `to` (epoch ms), and how many of them failed. */
  within(from: number, to: number): { total: number; failed: number; share: number } {
    const inside = this.answers.filter((a) => a.at >= from && a.at <= to);
    const failed = inside.filter((a) => !a.ok).length;
    return { total: inside.length, failed, share: inside.length === 0 ? 0 : failed / inside.length };
  }

  private async loop(): Promise<void> {
    while (this.running && this.answers.length < this.maxRequests) {
      let ok = false;
      let version: string | undefined;
      try {
        const res = await fetch(this.url, { signal: AbortSignal.timeout(5_000) });
        const body = await res.text();
        ok = res.status < 500;
        if (ok && body.startsWith('{')) version = (JSON.parse(body) as { version?: string }).version;
      } catch {
        ok = false;
      }
      this.answers.push({ at: Date.now(), ok, version });
      await new Promise((r) => setTimeout(r, this.pauseMs));
    }
  }
}
