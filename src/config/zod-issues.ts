import type { z } from 'zod';
import { describeValue, listWords, quote, typeHint, typeWord } from './describe.js';
import { finding, formatPath } from './issues.js';
import type { ConfigPath, Finding } from './issues.js';
import { descriptionAt, knownKeysAt, ownersOf, valueAt } from './schema-keys.js';
import { nearest, suggestionHint } from './suggest.js';
import { resolveUnion } from './zod-unions.js';

type Issue = z.core.$ZodIssue;

const toPath = (path: readonly PropertyKey[]): ConfigPath => path.map((s) => (typeof s === 'number' ? s : String(s)));
const isMapping = (value: unknown): boolean => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Maps zod's issues to findings in the words of gantry.yaml; see zod-unions.ts for unions. */
export class ZodIssueMapper {
  constructor(
    private readonly root: z.ZodType,
    private readonly data: unknown,
  ) {}

  map(issues: readonly Issue[]): Finding[] {
    return withoutTypoEchoes(issues.flatMap((issue) => this.one(issue)));
  }

  private one(issue: Issue): Finding[] {
    const path = toPath(issue.path);
    const where = formatPath(path);
    const value = valueAt(this.data, path);
    // zod words an absent required key by the check that failed (`version: z.literal(1)` says
    // "expected 1"); whatever the check, the user's problem is the missing key.
    const absent = value === undefined && path.length > 0 && isMapping(valueAt(this.data, path.slice(0, -1)));
    if (absent && (issue.code === 'invalid_type' || issue.code === 'invalid_value' || issue.code === 'invalid_union') && !isDiscriminatorMiss(issue)) return [this.missing(path)];
    switch (issue.code) {
      case 'unrecognized_keys':
        return issue.keys.map((key) => this.unknownKey(path, key));
      case 'invalid_type':
        return [this.invalidType(path, issue.expected, value)];
      case 'invalid_union': {
        if (issue.errors.length === 0 && issue.discriminator !== undefined && 'options' in issue) {
          const options = issue.options ?? [];
          return [value === undefined ? this.missing(path, options) : this.notOneOf(path, value, options)];
        }
        const outcome = resolveUnion(issue, value);
        if (outcome.kind === 'option') return this.map(outcome.issues);
        if (outcome.kind === 'discriminator') {
          const at = toPath(outcome.path);
          const found = valueAt(this.data, at);
          return [found === undefined ? this.missing(at, outcome.values) : this.notOneOf(at, found, outcome.values)];
        }
        return [finding('CONFIG_INVALID_TYPE', path, `${where} must be ${outcome.expected}, not ${describeValue(value)}`, { hint: descriptionAt(this.root, path, this.data) })];
      }
      case 'invalid_value':
        return [this.notOneOf(path, value, issue.values)];
      case 'too_small':
      case 'too_big':
        // Only a number is worth echoing back: "must not be empty, not the text ''" helps nobody.
        return [finding('CONFIG_INVALID_VALUE', path, `${where} ${boundText(issue)}${typeof value === 'number' ? `, not ${value}` : ''}`)];
      case 'invalid_format':
        return [finding('CONFIG_INVALID_VALUE', path, `${where} ${formatText(issue)}, not ${describeValue(value)}`)];
      case 'invalid_key': {
        const reasons = issue.issues.map((inner) => (inner.code === 'invalid_format' ? formatText(inner) : inner.message));
        const owner = formatPath(path.slice(0, -1));
        return [finding('CONFIG_INVALID_VALUE', path, `the name ${quote(path[path.length - 1])} in ${owner} ${reasons.join('; ')}`, { anchor: 'key' })];
      }
      case 'custom':
        // Our refinements speak in sentences that continue the path: "must declare at least one service".
        return [finding('CONFIG_INVALID_VALUE', path, `${where}${issue.message.startsWith('must') ? ' ' : ': '}${issue.message}`)];
      default:
        return [finding('CONFIG_INVALID_VALUE', path, `${where}: ${issue.message}`)];
    }
  }

  private unknownKey(parent: ConfigPath, key: string): Finding {
    const known = knownKeysAt(this.root, parent, this.data);
    let hint = suggestionHint(key, known, 'key');
    if (nearest(key, known) === undefined) {
      const owners = ownersOf(this.root, parent, this.data, key);
      if (owners.length > 0) hint = `"${key}" belongs under ${listWords(owners)}; ${hint}`;
    }
    const place = parent.length === 0 ? 'at the top level' : `in ${formatPath(parent)}`;
    return finding('CONFIG_UNKNOWN_KEY', [...parent, key], `unknown key ${quote(key)} ${place}`, { anchor: 'key', hint });
  }

  /** `choices`: the values a missing discriminator (`kind`) may take, worth listing in the hint. */
  private missing(path: ConfigPath, choices: readonly unknown[] = []): Finding {
    const key = String(path[path.length - 1]);
    const about = choices.length > 0 ? `one of ${listWords(choices)}` : descriptionAt(this.root, path, this.data);
    const hint = `add "${key}:"${about ? ` (${about})` : ''}`;
    return finding('CONFIG_MISSING_KEY', path, `${formatPath(path.slice(0, -1))} is missing the required key ${quote(key)}`, { anchor: 'parent', hint });
  }

  private invalidType(path: ConfigPath, expected: string, value: unknown): Finding {
    if (path.length === 0 && value === null) {
      return finding('CONFIG_INVALID_TYPE', path, 'the file is empty; it must be a mapping with version, project, repository and services', { hint: 'run `gantry init` to write a commented starter gantry.yaml' });
    }
    const where = formatPath(path);
    const message = value === null ? `${where} is empty; it must be ${typeWord(expected)}` : `${where} must be ${typeWord(expected)}, not ${describeValue(value)}`;
    return finding('CONFIG_INVALID_TYPE', path, message, { hint: typeHint(expected, value) ?? descriptionAt(this.root, path, this.data) });
  }

  private notOneOf(path: ConfigPath, value: unknown, values: readonly unknown[]): Finding {
    const allowed = values.length === 1 ? listWords(values) : `one of ${listWords(values)}`;
    const words = values.filter((v): v is string => typeof v === 'string');
    const near = typeof value === 'string' ? nearest(value, words) : undefined;
    return finding('CONFIG_INVALID_VALUE', path, `${formatPath(path)} must be ${allowed}, not ${describeValue(value)}`, { hint: near === undefined ? undefined : `did you mean "${near}"?` });
  }
}

/** A discriminated union without its `kind`: handled in place, so the hint can list the kinds. */
function isDiscriminatorMiss(issue: Issue): boolean {
  return issue.code === 'invalid_union' && issue.errors.length === 0 && issue.discriminator !== undefined;
}

/**
 * `brnach: main` is one mistake, not two: drop "missing branch" when an unknown key beside it is a
 * typo of it, since the unknown-key issue already says "did you mean branch?".
 */
function withoutTypoEchoes(findings: Finding[]): Finding[] {
  const typos = new Set(
    findings
      .filter((f) => f.code === 'CONFIG_UNKNOWN_KEY' && f.hint?.startsWith('did you mean'))
      .map((f) => `${formatPath(f.path.slice(0, -1))}\u0000${/"(.*)"/.exec(f.hint ?? '')?.[1] ?? ''}`),
  );
  return findings.filter((f) => f.code !== 'CONFIG_MISSING_KEY' || !typos.has(`${formatPath(f.path.slice(0, -1))}\u0000${String(f.path[f.path.length - 1])}`));
}

function boundText(issue: Extract<Issue, { code: 'too_small' | 'too_big' }>): string {
  // A bound given a message of ours (`.max(63, '…')`) keeps it; zod's own start "Too small"/"Too big".
  if (!issue.message.startsWith('Too ')) return issue.message;
  const small = issue.code === 'too_small';
  const bound = Number(small ? issue.minimum : issue.maximum);
  const strict = issue.inclusive === false;
  if (issue.origin === 'string') return small && bound === 1 ? 'must not be empty' : `must have ${small ? 'at least' : 'at most'} ${bound} characters`;
  if (issue.origin === 'array' || issue.origin === 'set') return `must have ${small ? 'at least' : 'at most'} ${bound} ${bound === 1 ? 'entry' : 'entries'}`;
  if (strict) return `must be ${small ? 'more' : 'less'} than ${bound}`;
  return `must be ${small ? 'at least' : 'at most'} ${bound}`;
}

function formatText(issue: Extract<Issue, { code: 'invalid_format' }>): string {
  // Our own regexes carry a message written for people; zod's defaults name the pattern.
  if (!issue.message.startsWith('Invalid')) return issue.message;
  if (issue.format === 'starts_with' && 'prefix' in issue) return `must start with ${quote(issue.prefix)}`;
  if (issue.format === 'url') return 'must be a URL such as https://example.com/hook';
  if (issue.format === 'email') return 'must be an email address';
  return `must be a valid ${issue.format}`;
}
