import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { StateWriter } from '../../src/agent/state-writer.js';
import { until } from '../support/temp.js';

const quiet = pino({ level: 'silent' });

describe('StateWriter', () => {
  it('retries a failing write until it succeeds, reports the failure meanwhile, and answers every save then', async () => {
    let failuresLeft = 3;
    let writes = 0;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const writer = new StateWriter(
      async () => {
        writes++;
        if (failuresLeft > 0) {
          failuresLeft--;
          if (failuresLeft === 0) await gate; // hold the last failure until the test has looked
          throw Object.assign(new Error('EMFILE: too many open files, open state.json.tmp'), { code: 'EMFILE' });
        }
      },
      quiet,
      { firstDelayMs: 1, maxDelayMs: 4 },
    );
    let answered = 0;
    const saves = Array.from({ length: 5 }, () => writer.save().then(() => answered++));
    await until('the writer to report failing', () => !writer.status().ok);
    expect(writer.status()).toMatchObject({ ok: false, lastError: 'EMFILE: too many open files, open state.json.tmp' });
    expect(writer.status().failingSince).toBeGreaterThan(0);
    expect(answered).toBe(0);
    release();
    await Promise.all(saves);
    expect(answered).toBe(5);
    expect(writer.status()).toEqual({ ok: true, lastError: null, failingSince: null });
    // Five saves made while the first write ran are covered by one write after it: no write per save.
    expect(writes).toBeLessThanOrEqual(5);
  });

  it('writes again for a save made during a write, so the later change reaches the disk too', async () => {
    const seen: number[] = [];
    let state = 1;
    const writer = new StateWriter(async () => {
      seen.push(state);
      await new Promise((resolve) => setImmediate(resolve));
    }, quiet);
    const first = writer.save();
    state = 2;
    const second = writer.save();
    await Promise.all([first, second]);
    expect(seen.at(-1)).toBe(2);
  });
});
