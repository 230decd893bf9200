import type { z } from 'zod';
import { GantryError } from '../../errors/index.js';

/** Validates request input; the error names the field and where it was (body, query, path). */
export function parseInput<T extends z.ZodType>(schema: T, value: unknown, where: 'body' | 'query' | 'path'): z.output<T> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.join('.') : where;
  throw new GantryError('BAD_REQUEST', `${where} field "${field}": ${issue?.message ?? 'invalid'}`, {
    where: `${where}.${field}`,
    hint: 'See docs/api.md for the shape of this request.',
  });
}
