import { sleepOn, type Clock, type TimerHandle } from './clock.js';

interface Entry {
  readonly id: number;
  at: number;
  seq: number;
  readonly every: number | undefined;
  readonly callback: () => void;
}

export interface AutoAdvanceOptions {
  /**
   * Real event-loop turns with no timer set, cancelled or fired before the clock counts everything
   * as waiting and jumps to the next timer. More turns leave more room for real I/O (a file read)
   * to finish before time is skipped.
   */
  readonly idleTurns?: number;
}

/** 2026-01-01T00:00:00Z: a fixed start, so that times in a test's output read the same on every run. */
export const FAKE_CLOCK_START = Date.UTC(2026, 0, 1);
const DEFAULT_IDLE_TURNS = 10;

/** One real event-loop turn: every microtask queued so far (promise chains after a timer) runs first. */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * A clock whose time moves only when a test moves it, as in Temporal's time-skipping test
 * environment: `advance(ms)` runs the timers that fall due, in order, each at its own time, letting
 * the promise chains each one starts run before the next; `autoAdvance()` jumps to the next timer
 * whenever the code under test has nothing left to do but wait on this clock.
 */
export class FakeClock implements Clock {
  private current: number;
  private seq = 0;
  private readonly timers = new Map<number, Entry>();
  /** Bumped on every set, cancel and fire: auto-advance skips time only when it stood still. */
  private activity = 0;
  private woken: (() => void) | undefined;

  constructor(start: number = FAKE_CLOCK_START) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, ms, signal);
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    return this.add(callback, Math.max(0, ms), undefined);
  }

  setInterval(callback: () => void, ms: number): TimerHandle {
    const every = Math.max(1, ms);
    return this.add(callback, every, every);
  }

  /** The due times of the timers still set, earliest first. */
  pending(): number[] {
    return this.ordered().map((e) => e.at);
  }

  /** Moves time forward by `ms`, running every timer due by then in order; resolves once they and what they started have settled. */
  async advance(ms: number): Promise<void> {
    await this.advanceTo(this.current + Math.max(0, ms));
  }

  async advanceTo(time: number): Promise<void> {
    await turn();
    for (;;) {
      const next = this.ordered()[0];
      if (next === undefined || next.at > time) break;
      this.current = Math.max(this.current, next.at);
      this.fire(next);
      await turn();
    }
    this.current = Math.max(this.current, time);
  }

  /** Jumps to the next timer and runs it (with any others due at the same time); false when none is set. */
  async runNext(): Promise<boolean> {
    const next = this.ordered()[0];
    if (next === undefined) return false;
    await this.advanceTo(next.at);
    return true;
  }

  /**
   * Skips time whenever everything is waiting: after `idleTurns` real turns with no timer activity,
   * jumps to the next timer. Meant for code whose only waits are on this clock; real I/O still in
   * flight when time jumps sees the skipped time as passed. Returns the function that stops it.
   */
  autoAdvance(options: AutoAdvanceOptions = {}): () => Promise<void> {
    const idleTurns = Math.max(1, options.idleTurns ?? DEFAULT_IDLE_TURNS);
    let running = true;
    const loop = async (): Promise<void> => {
      while (running) {
        const seen = this.activity;
        for (let i = 0; i < idleTurns && running; i++) await turn();
        if (!running || this.activity !== seen) continue;
        if (this.timers.size === 0) await new Promise<void>((resolve) => (this.woken = resolve));
        else await this.runNext();
      }
    };
    const done = loop();
    return async () => {
      running = false;
      this.woken?.();
      await done;
    };
  }

  private add(callback: () => void, after: number, every: number | undefined): TimerHandle {
    const entry: Entry = { id: ++this.seq, at: this.current + after, seq: this.seq, every, callback };
    this.timers.set(entry.id, entry);
    this.touch();
    return {
      cancel: () => {
        if (this.timers.delete(entry.id)) this.touch();
      },
    };
  }

  private fire(entry: Entry): void {
    if (entry.every === undefined) this.timers.delete(entry.id);
    else {
      entry.at += entry.every;
      entry.seq = ++this.seq;
    }
    this.touch();
    entry.callback();
  }

  private touch(): void {
    this.activity += 1;
    const woken = this.woken;
    this.woken = undefined;
    woken?.();
  }

  private ordered(): Entry[] {
    return [...this.timers.values()].sort((a, b) => a.at - b.at || a.seq - b.seq);
  }
}
