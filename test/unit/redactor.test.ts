import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MASK, MIN_SECRET_LENGTH, MIN_SECRET_LINE_LENGTH, Redactor, type RedactingStream } from '../../src/secrets/redactor.js';

/** Feeds `text` to a fresh stream cut at `cuts` (any order, any values) and joins what comes out. */
function streamed(redactor: Redactor, text: string, cuts: readonly number[]): string {
  const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
  const stream: RedactingStream = redactor.stream();
  let out = '';
  let last = 0;
  for (const point of [...points, text.length]) {
    out += stream.push(text.slice(last, point));
    last = point;
  }
  return out + stream.end();
}

/** The specification, naively: replace the leftmost, then longest, occurrence until none is left. */
function reference(text: string, needles: readonly string[]): string {
  for (;;) {
    let best: { at: number; length: number } | undefined;
    for (const n of needles) {
      const at = text.indexOf(n);
      if (at >= 0 && (!best || at < best.at || (at === best.at && n.length > best.length))) best = { at, length: n.length };
    }
    if (!best) return text;
    text = text.slice(0, best.at) + MASK + text.slice(best.at + best.length);
  }
}

describe('Redactor.redact', () => {
  const secret = 'pg://volteryde:s3cr3t/rides?ssl=true';

  it('masks a secret value wherever it occurs', () => {
    expect(new Redactor([secret]).redact(`connecting to ${secret} (again: ${secret})`)).toBe(`connecting to ${MASK} (again: ${MASK})`);
  });

  it('masks the base64 forms of a secret, padded, unpadded and url-safe', () => {
    const redactor = new Redactor(['ride>pass?']);
    const padded = Buffer.from('ride>pass?').toString('base64');
    expect(padded).toMatch(/=$/);
    expect(redactor.redact(`Authorization: Basic ${padded}`)).toBe(`Authorization: Basic ${MASK}`);
    expect(redactor.redact(`jwt=${padded.replace(/=+$/, '')}.`)).toBe(`jwt=${MASK}.`);
    expect(redactor.redact(`k=${Buffer.from('ride>pass?').toString('base64url')};`)).toBe(`k=${MASK};`);
  });

  it('masks the URL-encoded form of a secret', () => {
    expect(new Redactor([secret]).redact(`GET /hook?dsn=${encodeURIComponent(secret)}&x=1`)).toBe(`GET /hook?dsn=${MASK}&x=1`);
  });

  it('masks a multi-line secret as JSON-escaped in a JSON log line', () => {
    const pem = '-----BEGIN KEY-----\nMIIBVwIBADANBg\n-----END KEY-----';
    expect(new Redactor([pem]).redact(JSON.stringify({ msg: 'loaded', key: pem }))).toBe(`{"msg":"loaded","key":"${MASK}"}`);
  });

  it('masks the trimmed value of a secret read from a file with a final newline', () => {
    expect(new Redactor(['sk_live_4eC39HqLyjWDarjtT1zdp7dc\n']).redact('key=sk_live_4eC39HqLyjWDarjtT1zdp7dc;')).toBe(`key=${MASK};`);
  });

  it('masks the longest secret first when one secret contains another', () => {
    const redactor = new Redactor(['abcd', 'abcdefgh']);
    expect(redactor.redact('xabcdefghx abcdx')).toBe(`x${MASK}x ${MASK}x`);
  });

  it(`ignores values shorter than ${MIN_SECRET_LENGTH} characters, which would shred every line`, () => {
    expect(new Redactor(['abc', 'on', '', '  x  ']).redact('abc on x')).toBe('abc on x');
  });

  it('leaves text without secrets unchanged, and every text when it knows no secrets', () => {
    expect(new Redactor([secret]).redact('nothing to hide here')).toBe('nothing to hide here');
    expect(new Redactor([]).redact(secret)).toBe(secret);
  });

  it('never rebuilds a secret that contains the mask out of a mask and the text around it', () => {
    const redactor = new Redactor(['a***b']);
    expect(redactor.redact('aa***bb')).toBe(MASK);
    expect(streamed(redactor, 'aa***bb', [1, 3, 6])).toBe(MASK);
    expect(redactor.redact('a*****b')).toBe('a*****b');
  });
});

describe('Redactor on a multi-line secret', () => {
  const body = ['MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgO', 'En5u+qKhbwKfBstIs+bMY2Zkp18gnTxKLxoS2tFc', '9z+40RQzuVaE8AkAFmxZzow3x+VJYKdjykkJ0iT9'];
  const pem = ['-----BEGIN TEST KEY-----', ...body, '-----END TEST KEY-----', ''].join('\n');
  const redactor = new Redactor([pem]);

  it('masks each line printed on its own, indented or not, and keeps the indentation and line ends', () => {
    const printed = pem.split('\n').map((l, i) => (i % 2 === 0 ? `    ${l}` : l)).join('\n');
    expect(redactor.redact(printed)).toBe(`    ${MASK}\n${MASK}\n    ${MASK}\n${MASK}\n    ${MASK}\n`);
  });

  it('masks the lines and the whole of it printed with CRLF line endings', () => {
    const crlf = pem.replace(/\n/g, '\r\n');
    expect(redactor.redact(`key:\r\n${crlf}done`)).toBe(`key:\r\n${MASK}done`);
    expect(redactor.redact(body.map((l) => `  ${l}\r\n`).join(''))).toBe(`  ${MASK}\r\n`.repeat(3));
  });

  it('masks a line in the encodings of the whole value: base64, URL-encoded, JSON-escaped', () => {
    const line = body[1] ?? '';
    expect(redactor.redact(`b=${Buffer.from(line).toString('base64')} u=${encodeURIComponent(line)} j=${JSON.stringify(line)}`)).toBe(`b=${MASK} u=${MASK} j="${MASK}"`);
  });

  it(`leaves lines shorter than ${MIN_SECRET_LINE_LENGTH} characters alone, as common text`, () => {
    const json = '{\n  "a": 1,\n  "private_key": "k3y-m4t3r14l-0f-s0m3-l3ngth"\n}';
    expect(new Redactor([json]).redact('{\n  "a": 1,\n  "private_key": "k3y-m4t3r14l-0f-s0m3-l3ngth"\n}\n')).toBe(MASK + '\n');
    expect(new Redactor([json]).redact('{ "a": 1, }')).toBe('{ "a": 1, }');
    expect(new Redactor([json]).redact('  "private_key": "k3y-m4t3r14l-0f-s0m3-l3ngth",')).toBe(`  ${MASK},`);
  });

  it('masks lines split across chunks of a stream', () => {
    const printed = body.map((l) => `  ${l}\r\n`).join('');
    expect(streamed(redactor, printed, [5, 17, 44, 60, 61, 90])).toBe(`  ${MASK}\r\n`.repeat(3));
  });
});

describe('Redactor.stream', () => {
  const redactor = new Redactor(['secret-token']);

  it('masks a secret split across two chunks', () => {
    const stream = redactor.stream();
    expect(stream.push('auth secret-to') + stream.push('ken ok\n') + stream.end()).toBe(`auth ${MASK} ok\n`);
  });

  it('holds back only the tail that could begin a secret', () => {
    const stream = redactor.stream();
    expect(stream.push('line 1\nsecret-')).toBe('line 1\n');
    expect(stream.push('tok')).toBe('');
    expect(stream.push('e? no\n')).toBe('secret-toke? no\n');
    expect(stream.end()).toBe('');
  });

  it('passes a chunk through at once when its end cannot begin a secret', () => {
    expect(redactor.stream().push('plain text\n')).toBe('plain text\n');
    expect(new Redactor([]).stream().push('secret-')).toBe('secret-');
  });

  it('masks a secret that ends a chunk at once when no longer secret could continue it', () => {
    expect(redactor.stream().push('key secret-token')).toBe(`key ${MASK}`);
  });

  it('releases a held tail unchanged at the end when no secret completes it', () => {
    const stream = redactor.stream();
    expect(stream.push('ends with secret-tok')).toBe('ends with ');
    expect(stream.end()).toBe('secret-tok');
  });

  it('masks a secret fed one character at a time', () => {
    const stream = redactor.stream();
    const out = [...'a secret-token b'].map((c) => stream.push(c)).join('') + stream.end();
    expect(out).toBe(`a ${MASK} b`);
  });

  it('waits for a longer secret that may still complete before masking a shorter one', () => {
    const stream = new Redactor(['abcd', 'abcdefgh']).stream();
    expect(stream.push('xabcd')).toBe('x');
    expect(stream.push('efgh!')).toBe(`${MASK}!`);
    expect(stream.end()).toBe('');
  });
});

describe('Redactor properties', () => {
  const cuts = fc.array(fc.nat(), { maxLength: 8 });

  it('never lets a secret through and passes the text around it unchanged, however the text is cut', () => {
    // Text drawn from characters that occur in no form of the secret, so the expected output is exact.
    const secret = fc.string({ unit: fc.constantFrom(...'abcXYZ019'), minLength: MIN_SECRET_LENGTH, maxLength: 24 });
    const around = fc.string({ unit: fc.constantFrom(...' \n.,:;!?()[]{}<>#"\''), maxLength: 30 });
    fc.assert(
      fc.property(secret, around, around, cuts, (s, prefix, suffix, at) => {
        const out = streamed(new Redactor([s]), prefix + s + suffix, at);
        expect(out).toBe(prefix + MASK + suffix);
      }),
      { numRuns: 500 },
    );
  });

  it('never lets any secret through, for any text and any cuts, and cuts never change the output', () => {
    fc.assert(
      fc.property(fc.string({ minLength: MIN_SECRET_LENGTH }), fc.string(), fc.string(), cuts, (s, prefix, suffix, at) => {
        const redactor = new Redactor([s]);
        const out = streamed(redactor, prefix + s + suffix, at);
        expect(out).not.toContain(s);
        expect(out).toBe(redactor.redact(prefix + s + suffix));
      }),
      { numRuns: 500 },
    );
  });

  it('matches the leftmost-longest rewriting of the whole text, even for overlapping secrets containing the mask character', () => {
    // A tiny alphabet makes overlaps and '*'-secrets common; no base64 form can occur in such text.
    const unit = fc.constantFrom('a', 'b', '*', '-');
    const secrets = fc.array(fc.string({ unit, minLength: MIN_SECRET_LENGTH, maxLength: 7 }), { minLength: 1, maxLength: 3 });
    fc.assert(
      fc.property(secrets, fc.string({ unit, maxLength: 40 }), cuts, (values, text, at) => {
        const out = streamed(new Redactor(values), text, at);
        expect(out).toBe(reference(text, values));
        for (const v of values) expect(out).not.toContain(v);
      }),
      { numRuns: 1000 },
    );
  });
});
