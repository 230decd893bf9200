import { z } from 'zod';

export type JsonSchema = Record<string, unknown>;

const DEFS = '#/$defs/';
const COMPONENTS = '#/components/schemas/';

/** Points `$ref`s at components/schemas, where the document keeps the named schemas zod put in `$defs`. */
function retarget(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(retarget);
  if (value === null || typeof value !== 'object') return value;
  const out: JsonSchema = {};
  for (const [key, inner] of Object.entries(value)) {
    out[key] = key === '$ref' && typeof inner === 'string' && inner.startsWith(DEFS) ? COMPONENTS + inner.slice(DEFS.length) : retarget(inner);
  }
  return out;
}

function keep(schemas: Record<string, JsonSchema>, id: string, schema: JsonSchema): void {
  const known = schemas[id];
  if (known && JSON.stringify(known) !== JSON.stringify(schema)) throw new Error(`two different schemas are named ${id} in the OpenAPI document`);
  schemas[id] = schema;
}

/**
 * A zod schema as JSON Schema draft 2020-12 (OpenAPI 3.1's dialect), by zod's own converter. The
 * schemas named with `.meta({ id })` go to `schemas` (components) and are referenced, not repeated.
 * `io: 'input'` for what a client sends (defaults make a field optional), `output` for answers.
 */
export function toComponentSchema(schema: z.ZodType, io: 'input' | 'output', schemas: Record<string, JsonSchema>): JsonSchema {
  const converted = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonSchema;
  // A named root comes back as a $ref to its own entry in $defs, which is what the document wants.
  const { $schema: _dialect, $defs, ...root } = converted;
  for (const [id, def] of Object.entries(($defs ?? {}) as Record<string, JsonSchema>)) keep(schemas, id, retarget(def) as JsonSchema);
  return retarget(root) as JsonSchema;
}
