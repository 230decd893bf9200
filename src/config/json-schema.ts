import { z } from 'zod';
import { GantryConfigSpec } from './schema.js';

export const JSON_SCHEMA_ID = 'https://gantry.dev/schema/gantry.schema.json';
export const JSON_SCHEMA_FILE = 'schema/gantry.schema.json';

/**
 * The JSON Schema of gantry.yaml as people write it (`io: 'input'`: optional fields stay optional),
 * for editors: `# yaml-language-server: $schema=./schema/gantry.schema.json`. Generated from the zod
 * schema, never edited by hand; test/unit/config-schema-drift.test.ts fails when it is stale.
 */
export function buildJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(GantryConfigSpec, { io: 'input' }) as Record<string, unknown>;
  const { $schema, ...body } = generated;
  return {
    $schema,
    $id: JSON_SCHEMA_ID,
    title: 'Gantry configuration (gantry.yaml)',
    description: 'Services, environments and release rules of a project delivered by Gantry. Generated from src/config/schema.ts by `npm run schema`.',
    ...body,
  };
}

/** The exact text of the committed file: two-space JSON with a final newline. */
export function renderJsonSchema(): string {
  return `${JSON.stringify(buildJsonSchema(), null, 2)}\n`;
}
