import type { z } from 'zod';
import { PUBLIC_ROUTES, ruleFor } from '../authorization.js';
import type { ApiRoute } from './api-route.js';
import { apiRoutes } from './catalog.js';
import { ErrorBodySchema } from './schemas.js';
import { toComponentSchema, type JsonSchema } from './json-schema.js';

export const OPENAPI_FILE = 'schema/openapi.json';

const STATUS_TEXT: Readonly<Record<number, string>> = { 200: 'OK', 201: 'Created', 202: 'Accepted' };

/** `/api/v1/runs/:id` → `/api/v1/runs/{id}`. */
export const openApiPath = (url: string): string => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

function parameters(route: ApiRoute, schemas: Record<string, JsonSchema>): JsonSchema[] {
  const list: JsonSchema[] = [];
  for (const [where, object] of [['path', route.params], ['query', route.query]] as const) {
    if (!object) continue;
    for (const [name, field] of Object.entries(object.shape as Record<string, z.ZodType>)) {
      const schema = toComponentSchema(field, 'input', schemas);
      const { description, ...rest } = schema;
      const optional = field.safeParse(undefined).success;
      list.push({ name, in: where, required: where === 'path' || !optional, ...(typeof description === 'string' ? { description } : {}), schema: rest });
    }
  }
  return list;
}

/** Who may call the route, from the one table the server enforces (src/server/authorization.ts). */
function access(route: ApiRoute): { security?: never[]; description: string; role: string | null } {
  if (PUBLIC_ROUTES.has(route.url)) return { security: [], description: 'Public: no token.', role: null };
  const rule = ruleFor(route.method, route.url);
  const where = { any: '', global: ' (unscoped, or :*)', 'body.environment': " of the body's environment", 'params.env': ' of the path’s environment', 'params.scope': ' of the scope (shared: unscoped)', run: " of the run's environment", backup: " of the backup's environment" }[rule.environment];
  return { description: `Needs the ${rule.role} role${where}.`, role: rule.role };
}

function operation(route: ApiRoute, schemas: Record<string, JsonSchema>): JsonSchema {
  const status = route.status ?? 200;
  const types = route.content ?? ['application/json'];
  const content: Record<string, JsonSchema> = {};
  for (const type of types) {
    if (type === 'application/json') content[type] = { schema: route.response ? toComponentSchema(route.response, 'output', schemas) : { type: 'object' } };
    else content[type] = { schema: { type: 'string' } };
  }
  const { security, description, role } = access(route);
  const params = parameters(route, schemas);
  return {
    operationId: route.operationId,
    summary: route.summary,
    description,
    tags: [route.tag],
    ...(security ? { security } : {}),
    ...(role ? { 'x-gantry-role': role } : {}),
    ...(params.length > 0 ? { parameters: params } : {}),
    ...(route.body
      ? { requestBody: { required: !route.body.safeParse(undefined).success, content: { 'application/json': { schema: toComponentSchema(route.body, 'input', schemas) } } } }
      : {}),
    responses: {
      [String(status)]: { description: STATUS_TEXT[status] ?? 'Success', content },
      '4XX': { $ref: '#/components/responses/Error' },
      '5XX': { $ref: '#/components/responses/Error' },
    },
  };
}

/** The OpenAPI 3.1 description of the HTTP API, generated from the route catalog and its zod schemas. */
export function buildOpenApiDocument(): JsonSchema {
  const schemas: Record<string, JsonSchema> = {};
  const errorBody = toComponentSchema(ErrorBodySchema, 'output', schemas);
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of apiRoutes()) {
    const path = (paths[openApiPath(route.url)] ??= {});
    path[route.method.toLowerCase()] = operation(route, schemas);
  }
  const sorted = Object.fromEntries(Object.entries(schemas).sort(([a], [b]) => a.localeCompare(b)));
  return {
    openapi: '3.1.0',
    info: {
      title: 'Gantry API',
      version: '1',
      description: 'The HTTP API of a Gantry server (docs/api.md). Generated from the zod schemas of src/server/routes by `npm run openapi`; never edited by hand.',
    },
    security: [{ bearer: [] }],
    paths,
    components: {
      schemas: sorted,
      responses: { Error: { description: 'A failure: {code, message, hint}; codes in docs/errors.md.', content: { 'application/json': { schema: errorBody } } } },
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'A Gantry API token (gantry token create); the CLI takes --token or GANTRY_TOKEN.' } },
    },
  };
}

/** The exact text of the committed file: two-space JSON with a final newline. */
export function renderOpenApiDocument(): string {
  return `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`;
}

let built: JsonSchema | undefined;

/** The document the server serves: built once, on the first request. */
export function openApiDocument(): JsonSchema {
  built ??= buildOpenApiDocument();
  return built;
}
