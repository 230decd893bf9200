import type { Redactor } from '../secrets/redactor.js';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/**
 * Masks secret values in every string of a JSON value, keys included. Redacting string by string,
 * rather than the serialised text, keeps the structure valid whatever a secret contains.
 */
export function redactJson<T extends JsonValue>(value: T, redactor: Redactor): T;
export function redactJson(value: JsonValue, redactor: Redactor): JsonValue {
  if (typeof value === 'string') return redactor.redact(value);
  if (Array.isArray(value)) return value.map((v) => redactJson(v, redactor));
  if (value !== null && typeof value === 'object') {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) out[redactor.redact(k)] = redactJson(v, redactor);
    return out;
  }
  return value;
}

/** A plain-data view of a value (undefined fields dropped, dates as ISO strings), as JSON.stringify sees it. */
export function toJson(value: unknown): JsonValue {
  return JSON.parse(JSON.stringify(value ?? null)) as JsonValue;
}

/** The same for an object, typed as one. */
export const toJsonObject = (value: object): JsonObject => JSON.parse(JSON.stringify(value)) as JsonObject;

/**
 * Redacts a plain-data value (no functions, dates or undefined that matter) and hands it back with
 * its type: a JSON round trip and string-wise masking keep every field where it was.
 */
export const redactPlain = <T extends object>(value: T, redactor: Redactor): T => redactJson(toJsonObject(value), redactor) as unknown as T;
