import { StringDecoder } from 'node:string_decoder';
import { Transform, type Readable, type TransformCallback, type Writable } from 'node:stream';
import type { Logger } from 'pino';
import type { Redactor } from '../../secrets/redactor.js';

/**
 * One output stream of a process (its stdout, or its stderr) on its way to the log file, with
 * secret values masked. Make one per stream and per spawn: the redactor holds back a tail that may
 * begin a secret until the next chunk shows whether it does, and that tail must never be joined to
 * text of another stream. Output that could begin a secret therefore reaches the file only with
 * the next output or when the stream ends.
 *
 * Bytes are decoded as UTF-8 across chunk boundaries (a character cut in two is not mangled);
 * bytes that are not UTF-8 come out as U+FFFD, since masking works on text.
 */
export function redactingPipe(redactor: Redactor): Transform {
  const decoder = new StringDecoder('utf8');
  const stream = redactor.stream();
  const pass = (callback: TransformCallback, text: string): void => (text === '' ? callback() : callback(null, text));
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      pass(callback, stream.push(decoder.write(chunk)));
    },
    flush(callback) {
      pass(callback, stream.push(decoder.end()) + stream.end());
    },
  });
}

/**
 * Pipes each output stream of a process, masked, into its log (left open for the next run); resolves
 * once all have ended and what they held back is written. `onEnd` is told as each stream ends.
 */
export function captureOutput(streams: readonly Readable[], redactor: Redactor, sink: Writable, log: Logger, onEnd?: () => void): Promise<void> {
  const drained = streams.map((stream) => {
    // Each stream its own pipe, so tails held back never mix.
    const masked = redactingPipe(redactor);
    stream.on('error', (error) => log.warn({ err: error }, 'process output stream error'));
    masked.on('error', (error) => log.warn({ err: error }, 'process output redaction error'));
    stream.once('end', () => onEnd?.());
    stream.pipe(masked).pipe(sink, { end: false });
    return new Promise<void>((resolve) => masked.once('end', () => resolve()).once('close', () => resolve()));
  });
  return Promise.all(drained).then(() => undefined);
}
