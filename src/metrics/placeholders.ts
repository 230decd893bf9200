/**
 * Placeholders of a metric query, filled in by the analysis so that one gantry.yaml query serves
 * every environment, service and revision: `{{revision}}`, `{{previous}}`, `{{service}}`,
 * `{{environment}}`, and `{{window}}` (the measurement's window as a PromQL duration, for
 * `rate(x[{{window}}])`).
 */

export const PLACEHOLDERS = ['revision', 'previous', 'service', 'environment', 'window'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

const PATTERN = /\{\{\s*([^{}]*?)\s*\}\}/g;

const isPlaceholder = (name: string): name is Placeholder => (PLACEHOLDERS as readonly string[]).includes(name);

/** Names written between `{{ }}` that are not placeholders; gantry.yaml rejects them at load. */
export function unknownPlaceholders(query: string): string[] {
  return [...query.matchAll(PATTERN)].map((m) => m[1] ?? '').filter((name) => !isPlaceholder(name));
}

export function usesPlaceholder(query: string, name: Placeholder): boolean {
  return [...query.matchAll(PATTERN)].some((m) => m[1] === name);
}

/** A window length as PromQL writes durations: whole milliseconds, which every version accepts. */
export function promDuration(ms: number): string {
  return `${Math.max(1, Math.round(ms))}ms`;
}

/** Replaces every placeholder; a placeholder without a value (no previous revision) is left as written. */
export function fillPlaceholders(query: string, values: Readonly<Partial<Record<Placeholder, string>>>): string {
  return query.replace(PATTERN, (whole: string, name: string) => (isPlaceholder(name) ? (values[name] ?? whole) : whole));
}
