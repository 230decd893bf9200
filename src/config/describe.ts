/** Words for values and types in messages: people write YAML, not JavaScript, so `a mapping`, not `object`. */

const TYPE_WORDS: Readonly<Record<string, string>> = {
  object: 'a mapping',
  record: 'a mapping',
  array: 'a list',
  tuple: 'a list',
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  null: 'empty',
};

export function typeWord(expected: string): string {
  return TYPE_WORDS[expected] ?? `a ${expected}`;
}

export function quote(value: unknown): string {
  const text = typeof value === 'string' ? value : String(value);
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}

export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (typeof value === 'string') return `the text ${quote(value)}`;
  if (typeof value === 'number') return `the number ${String(value)}`;
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `a ${typeof value}`;
}

export function listWords(values: readonly unknown[]): string {
  const words = values.map((v) => (typeof v === 'string' ? quote(v) : String(v)));
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} or ${words[words.length - 1] ?? ''}`;
}

/** The usual YAML slips behind a type error, with the fix. */
export function typeHint(expected: string, value: unknown): string | undefined {
  if ((expected === 'number' || expected === 'int') && typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) {
    return 'remove the quotes: quoted digits are text in YAML';
  }
  if (expected === 'boolean' && typeof value === 'string' && /^(true|false)$/i.test(value)) return 'remove the quotes: quoted true/false is text in YAML';
  if (expected === 'boolean' && typeof value === 'string' && /^(yes|no|on|off|y|n)$/i.test(value)) {
    return 'write true or false: YAML 1.2 reads yes/no/on/off as text';
  }
  if (expected === 'string' && (typeof value === 'number' || typeof value === 'boolean')) return 'put the value in quotes to make it text';
  if ((expected === 'object' || expected === 'record') && Array.isArray(value)) return 'remove the leading "- ": this takes keys, not a list';
  if (expected === 'array' && value !== null && typeof value === 'object') return 'write each entry on its own line starting with "- "';
  return undefined;
}
