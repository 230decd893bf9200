import { Buffer } from 'node:buffer';
import { lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

const FILE_READS_AT_ONCE = 16;

export interface SecretHit {
  readonly file: string;
  readonly value: string;
  /** plain, base64, base64 without padding, base64url, URL-encoded or JSON-escaped. */
  readonly how: string;
}

/** The forms a value takes in stored, logged or sent text. */
export function formsOf(value: string): Array<{ form: string; how: string }> {
  const base64 = Buffer.from(value).toString('base64');
  const forms = [
    { form: value, how: 'plain' },
    { form: base64, how: 'base64' },
    { form: base64.replace(/=+$/, ''), how: 'base64 without padding' },
    { form: Buffer.from(value).toString('base64url'), how: 'base64url' },
    { form: encodeURIComponent(value), how: 'URL-encoded' },
    { form: JSON.stringify(value).slice(1, -1), how: 'JSON-escaped' },
  ];
  return forms.filter((f, i) => forms.findIndex((g) => g.form === f.form) === i);
}

/** Every regular file under a path (itself, when it is one); symbolic links are not followed. */
export async function filesUnder(path: string): Promise<string[]> {
  const stat = await lstat(path).catch(() => undefined);
  if (!stat) return [];
  if (stat.isFile()) return [path];
  if (!stat.isDirectory()) return [];
  const entries = await readdir(path);
  return (await Promise.all(entries.map((e) => filesUnder(join(path, e))))).flat();
}

/** Searches the raw bytes of every file for every form of every value. */
export async function findSecrets(files: readonly string[], values: readonly string[]): Promise<{ hits: SecretHit[]; bytes: number }> {
  const needles = values.flatMap((value) => formsOf(value).map((f) => ({ ...f, value, bytes: Buffer.from(f.form) })));
  const hits: SecretHit[] = [];
  let bytes = 0;
  for (let i = 0; i < files.length; i += FILE_READS_AT_ONCE) {
    await Promise.all(
      files.slice(i, i + FILE_READS_AT_ONCE).map(async (file) => {
        // A file can go away under the search (an agent still running rotates its log): it holds nothing then.
        const content = await readFile(file).catch(() => Buffer.alloc(0));
        bytes += content.length;
        for (const n of needles) if (content.includes(n.bytes)) hits.push({ file, value: n.value, how: n.how });
      }),
    );
  }
  return { hits, bytes };
}
