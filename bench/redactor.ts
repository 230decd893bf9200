/**
 * Log redaction throughput: what masking costs a step's or a revision's log stream, with ten
 * ordinary secrets, and with the same ten plus a 4096-bit PEM key (masked whole and line by line,
 * issue 10 item 7: ~50 more needles in six encodings). Peer in the same run: no secrets at all.
 * Reproduce with: npx tsx bench/redactor.ts   (knobs: BENCH_REDACT_MB, BENCH_REDACT_CHUNK)
 */
import { randomBytes } from 'node:crypto';
import { Redactor } from '../src/secrets/redactor.js';

const MB = Number(process.env.BENCH_REDACT_MB ?? 32);
const CHUNK = Number(process.env.BENCH_REDACT_CHUNK ?? 16 * 1024);

const plainSecrets = Array.from({ length: 10 }, (_, i) => `secret-${i}-${randomBytes(12).toString('base64')}`);
const pemBody = randomBytes(2350).toString('base64').match(/.{1,64}/g) ?? [];
const pem = ['-----BEGIN RSA PRIVATE KEY-----', ...pemBody, '-----END RSA PRIVATE KEY-----', ''].join('\n');

/** Typical log lines (timestamps, paths, numbers), with a secret line now and then to mask. */
function logText(bytes: number): string {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const line =
      i % 500 === 0
        ? `  ${pemBody[i % pemBody.length] ?? ''}`
        : i % 97 === 0
          ? `connecting with ${plainSecrets[i % 10] ?? ''}`
          : `2026-12-04T15:00:${String(i % 60).padStart(2, '0')}Z info request ${i} GET /api/v1/rides/${i * 7} 200 in ${i % 300} ms`;
    lines.push(line);
    size += line.length + 1;
  }
  return `${lines.join('\n')}\n`;
}

function measure(name: string, redactor: Redactor, text: string): void {
  // Once over a slice first, so that every row is measured with its regexes compiled and the code warm.
  const warm = redactor.stream();
  warm.push(text.slice(0, 1_000_000));
  warm.end();
  const stream = redactor.stream();
  const started = process.hrtime.bigint();
  let out = 0;
  for (let i = 0; i < text.length; i += CHUNK) out += stream.push(text.slice(i, i + CHUNK)).length;
  out += stream.end().length;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.stdout.write(`| ${name} | ${(text.length / 1e6 / seconds).toFixed(1)} MB/s | ${(out / 1e6).toFixed(1)} MB out |\n`);
}

const text = logText(MB * 1e6);
process.stdout.write(`Node ${process.version}; ${MB} MB of log in ${CHUNK}-byte chunks; PEM key of ${pemBody.length + 2} lines\n\n`);
process.stdout.write('| secrets | throughput | output |\n| --- | --- | --- |\n');
measure('none (peer)', new Redactor([]), text);
measure('10 single-line', new Redactor(plainSecrets), text);
measure('10 single-line + PEM key', new Redactor([...plainSecrets, pem]), text);
