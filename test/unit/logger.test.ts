import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, type LogOutput } from '../../src/kernel/logger.js';

/** A stream that keeps what it is given, and says whether it is a terminal. */
function output(isTTY: boolean): LogOutput & { text(): string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return Object.assign(stream, { isTTY, text: () => chunks.join('') });
}

/** pino-pretty writes through its own stream: wait until the line has arrived. */
async function written(out: { text(): string }, needle: string): Promise<string> {
  for (let i = 0; i < 200 && !out.text().includes(needle); i++) await new Promise((r) => setImmediate(r));
  return out.text();
}

describe('the server logger', () => {
  it('writes one JSON object a line when its output is not a terminal', async () => {
    const out = output(false);
    createLogger('info', { output: out }).child({ reqId: 'abc123' }).info({ method: 'GET', statusCode: 200 }, 'request completed');
    const text = await written(out, 'request completed');
    const line = JSON.parse(text.trim()) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 30, service: 'gantry', reqId: 'abc123', method: 'GET', statusCode: 200, msg: 'request completed' });
  });

  it('writes readable lines (pino-pretty), each entry on one line, when its output is a terminal', async () => {
    const out = output(true);
    createLogger('info', { output: out }).child({ reqId: 'abc123' }).info({ method: 'GET', statusCode: 200 }, 'request completed');
    const text = await written(out, 'request completed');
    expect(() => JSON.parse(text.trim()) as unknown).toThrow();
    expect(text).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: request completed .*"reqId":"abc123".*"statusCode":200/);
    expect(text.trim().split('\n')).toHaveLength(1);
    // The `service` field every line carries is left out of the terminal's view.
    expect(text).not.toContain('gantry');
  });

  it('honours the level: debug shows debug lines, warn hides info, silent hides everything', async () => {
    const levels = { debug: output(false), warn: output(false), silent: output(false) };
    for (const [level, out] of Object.entries(levels)) {
      const log = createLogger(level, { output: out });
      log.debug('a debug line');
      log.info('an info line');
      log.error('an error line');
    }
    expect(await written(levels.debug, 'an error line')).toContain('a debug line');
    expect(await written(levels.warn, 'an error line')).not.toContain('an info line');
    expect(levels.silent.text()).toBe('');
  });
});
