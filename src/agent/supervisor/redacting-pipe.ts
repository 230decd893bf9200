import { StringDecoder } from 'node:string_decoder';
import { Transform, type TransformCallback } from 'node:stream';
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
