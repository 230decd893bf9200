import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { JSON_SCHEMA_FILE, JSON_SCHEMA_ID, renderJsonSchema } from '../../src/config/json-schema.js';

const committedUrl = new URL(`../../${JSON_SCHEMA_FILE}`, import.meta.url);

describe('the committed JSON Schema', () => {
  it('matches the zod schema it is generated from', async () => {
    const committed = await readFile(committedUrl, 'utf8').catch(() => '');
    const fresh = renderJsonSchema();
    if (committed !== fresh) {
      throw new Error(`${JSON_SCHEMA_FILE} is out of date with src/config/schema.ts: run \`npm run schema\` and commit the result.`);
    }
    expect(committed).toBe(fresh);
  });

  it('names itself and describes the input form, with optional keys left optional', () => {
    const schema = JSON.parse(renderJsonSchema()) as { $id: string; title: string; required: string[]; additionalProperties: boolean };
    expect(schema.$id).toBe(JSON_SCHEMA_ID);
    expect(schema.title).toContain('gantry.yaml');
    expect(schema.required.sort()).toEqual(['project', 'repository', 'services', 'version']);
    expect(schema.additionalProperties).toBe(false);
  });
});
