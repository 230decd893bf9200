import type { IncomingHttpHeaders } from 'node:http';

/** Requests carrying this header, or this cookie, with this value go to the backends that carry the rule (a canary for testers). */
export type MatchRule = { readonly header: string; readonly value: string } | { readonly cookie: string; readonly value: string };

/** Whether a request's headers satisfy the rule: a header compared whole (case-sensitive value), or one cookie of the Cookie header. */
export function matchesRule(headers: IncomingHttpHeaders, rule: MatchRule): boolean {
  if ('header' in rule) {
    const got = headers[rule.header.toLowerCase()];
    return Array.isArray(got) ? got.includes(rule.value) : got === rule.value;
  }
  const cookie = headers.cookie;
  if (cookie === undefined) return false;
  for (const part of cookie.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === rule.cookie && part.slice(eq + 1).trim() === rule.value) return true;
  }
  return false;
}

/** A rule as given over the control API, checked as a whole; undefined when it is not one. */
export function parseMatchRule(value: unknown): MatchRule | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.value !== 'string' || v.value === '') return undefined;
  if (typeof v.header === 'string' && /^[A-Za-z0-9-]+$/.test(v.header)) return { header: v.header, value: v.value };
  if (typeof v.cookie === 'string' && /^[A-Za-z0-9_-]+$/.test(v.cookie)) return { cookie: v.cookie, value: v.value };
  return undefined;
}
