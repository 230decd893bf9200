import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { JSON_SCHEMA_FILE, renderJsonSchema } from '../src/config/json-schema.js';

/** `npm run schema`: writes schema/gantry.schema.json from the zod schema. Commit the result. */
const target = fileURLToPath(new URL(`../${JSON_SCHEMA_FILE}`, import.meta.url));
await writeFile(target, renderJsonSchema(), 'utf8');
process.stdout.write(`wrote ${JSON_SCHEMA_FILE}\n`);
