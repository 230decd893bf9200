import { Buffer } from 'node:buffer';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { redactingPipe } from '../../src/agent/supervisor/redacting-pipe.js';
import { MASK, Redactor } from '../../src/secrets/redactor.js';

/** Not registered with the sweep: these values never reach Gantry, only this in-memory pipe. */
const SECRET = 'pässwörd 7Hq/+=Zx';

/** Pushes `chunks` through a fresh pipe, as a process's stdout would arrive, and returns what came out. */
async function through(values: readonly string[], chunks: readonly Buffer[]): Promise<string> {
  const out: Buffer[] = [];
  const pipe = Readable.from(chunks, { objectMode: false }).pipe(redactingPipe(new Redactor(values)));
  for await (const chunk of pipe) out.push(chunk as Buffer);
  return Buffer.concat(out).toString('utf8');
}

/** The bytes of `text` cut at every byte offset in `cuts`. */
function cut(text: string, cuts: readonly number[]): Buffer[] {
  const bytes = Buffer.from(text, 'utf8');
  const points = [0, ...cuts, bytes.length];
  return points.slice(1).map((end, i) => bytes.subarray(points[i], end));
}

describe('the redacting pipe between a process and its log file', () => {
  it('masks a secret written in two pieces, cut inside one of its multi-byte characters', async () => {
    const text = `config: password=${SECRET}\n`;
    // 'ä' is two bytes in UTF-8: cut between them, so neither piece decodes on its own.
    const inside = Buffer.from(`config: password=p`, 'utf8').length + 1;
    expect(await through([SECRET], cut(text, [inside]))).toBe(`config: password=${MASK}\n`);
  });

  it('masks a secret cut at every byte offset, and its base64 and URL-encoded forms', async () => {
    const forms = [SECRET, Buffer.from(SECRET).toString('base64'), encodeURIComponent(SECRET)];
    for (const form of forms) {
      const text = `a ${form} b\n`;
      const length = Buffer.from(text).length;
      for (let at = 1; at < length; at++) expect(await through([SECRET], cut(text, [at]))).toBe(`a ${MASK} b\n`);
    }
  });

  it('passes text without secrets through unchanged, in many small chunks', async () => {
    const text = 'line one\nzwei: ü ß €\nthree\n';
    const bytes = Buffer.from(text).length;
    expect(await through([SECRET], cut(text, Array.from({ length: bytes - 1 }, (_, i) => i + 1)))).toBe(text);
    expect(await through([], cut(text, [3, 9]))).toBe(text);
  });

  it('holds back a tail that may begin a secret, and writes it when the stream ends', async () => {
    const pipe = redactingPipe(new Redactor([SECRET]));
    const seen: string[] = [];
    pipe.on('data', (chunk: Buffer) => seen.push(chunk.toString('utf8')));
    pipe.write(Buffer.from('ready; pä'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen.join('')).toBe('ready; ');
    const ended = new Promise((resolve) => pipe.once('end', resolve));
    pipe.end();
    await ended;
    expect(seen.join('')).toBe('ready; pä');
  });
});
