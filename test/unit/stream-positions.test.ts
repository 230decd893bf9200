import { describe, expect, it } from 'vitest';
import { decodeLogLine, decodeRunProgress, decodeServiceLog, encodeRunProgress, linesAfter, serviceLogPosition, stepDigest } from '../../src/server/stream-positions.js';

describe('stream positions', () => {
  it('reads back a run progress position it wrote, and nothing it did not', () => {
    const steps = new Map([
      [12, stepDigest('succeeded||1')],
      [3, stepDigest('running||2')],
    ]);
    const id = encodeRunProgress({ runState: 'running', steps });
    expect(id).toMatch(/^s\.running\.3~[\w-]{8}\.c~[\w-]{8}$/);
    expect(decodeRunProgress(id)).toEqual({ runState: 'running', steps });
    // Before the run's own state was sent.
    expect(decodeRunProgress(encodeRunProgress({ runState: '', steps }))).toEqual({ runState: '', steps });
    for (const bad of [undefined, '', '42', 's', 'x.running', 's.Running', 's.running.zz', 's.running.3~'] as const) expect(decodeRunProgress(bad)).toBeUndefined();
  });

  it('reads a log line id only as a whole number', () => {
    expect(decodeLogLine('42')).toBe(42);
    for (const bad of [undefined, '', '-1', '4.2', 'abc', '1e3']) expect(decodeLogLine(bad)).toBeUndefined();
  });

  it('finds the lines after a service log position in a later window of the log', () => {
    const sent = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
    const position = decodeServiceLog(serviceLogPosition(3, sent));
    expect(position).toMatchObject({ revision: 3, count: 5 });
    if (!position) throw new Error('unreadable position');
    // The window moved on: older lines fell out, new ones came.
    expect(linesAfter(position, ['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'])).toEqual(['h', 'i']);
    expect(linesAfter(position, ['c', 'd', 'e', 'f', 'g'])).toEqual([]);
    // Not among them: more lines than the window since, or a log that started over.
    expect(linesAfter(position, ['x', 'y', 'z'])).toBeUndefined();
    // Fewer lines than the context sent so far, and nothing sent of a revision yet.
    const short = decodeServiceLog(serviceLogPosition(3, ['a', 'b']));
    expect(short && linesAfter(short, ['a', 'b', 'c'])).toEqual(['c']);
    const none = decodeServiceLog(serviceLogPosition(4, []));
    expect(none && linesAfter(none, ['p', 'q'])).toEqual(['p', 'q']);
    for (const bad of [undefined, 'r3', 'r3.5', 'rx.1.abc', '3.1.abc']) expect(decodeServiceLog(bad)).toBeUndefined();
  });

  it('resumes after the latest matching place when the log repeats itself', () => {
    const position = decodeServiceLog(serviceLogPosition(1, ['tick']));
    if (!position) throw new Error('unreadable position');
    expect(linesAfter(position, ['tick', 'tick', 'tock'])).toEqual(['tock']);
  });
});
