/**
 * Light, bounded traffic through an environment's routers while it changes: every request must
 * succeed; the demo reports how many did not. Loopback only.
 */
export class LoadDriver {
  private running = false;
  private loops: Promise<void>[] = [];
  ok = 0;
  failed = 0;
  /** A router that never answered yet has nothing live (a first deployment): its refusals are not failures. */
  private readonly live = new Set<string>();

  constructor(private readonly urls: readonly string[], private readonly concurrency = 4, private readonly maxRequests = 200_000) {}

  start(): void {
    this.running = true;
    this.loops = Array.from({ length: this.concurrency }, (_, i) => this.loop(i));
  }

  private async loop(offset: number): Promise<void> {
    let i = offset;
    while (this.running && this.ok + this.failed < this.maxRequests) {
      const url = this.urls[i++ % this.urls.length] ?? '';
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
        await res.arrayBuffer();
        if (res.status < 500) {
          this.ok++;
          this.live.add(url);
        } else if (this.live.has(url)) this.failed++;
      } catch {
        if (this.live.has(url)) this.failed++;
      }
      // About 100 requests a second in all: light, but enough for a watch window to see.
      await new Promise((r) => setTimeout(r, 40));
    }
  }

  async stop(): Promise<{ ok: number; failed: number }> {
    this.running = false;
    await Promise.all(this.loops);
    return { ok: this.ok, failed: this.failed };
  }
}
