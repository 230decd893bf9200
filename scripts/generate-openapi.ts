import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OPENAPI_FILE, renderOpenApiDocument } from '../src/server/openapi/document.js';

/** `npm run openapi`: writes schema/openapi.json from the route catalog. Commit the result. */
const target = fileURLToPath(new URL(`../${OPENAPI_FILE}`, import.meta.url));
await mkdir(dirname(target), { recursive: true });
await writeFile(target, renderOpenApiDocument(), 'utf8');
process.stdout.write(`wrote ${OPENAPI_FILE}\n`);
