import { z } from 'zod';
import type { ConfigPath } from './issues.js';

/**
 * Reads the zod schema itself, so that hints ("did you mean …", "known keys: …", what a missing key
 * is for) follow the schema without a second, hand-kept list of keys.
 */

type Walk = { schema: z.ZodType; description: string | undefined };

/** Peels optional/default/nullable wrappers, gathering the descriptions met on the way (what it is for, then what it is). */
function peel(schema: z.ZodType): Walk {
  let current = schema;
  const descriptions = new Set<string>();
  for (let depth = 0; depth < 16; depth++) {
    if (current.description !== undefined) descriptions.add(current.description);
    if (current instanceof z.ZodOptional || current instanceof z.ZodNullable || current instanceof z.ZodDefault) current = current.unwrap() as z.ZodType;
    else if (current instanceof z.ZodPipe) current = current.in as z.ZodType;
    else break;
  }
  return { schema: current, description: descriptions.size > 0 ? [...descriptions].join(' ') : undefined };
}

const isRecordObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Whether a union option can be the one meant for `value`: same kind of thing, and literal keys (`kind`) agree. */
function optionFits(option: z.ZodType, value: unknown): boolean {
  const { schema } = peel(option);
  if (!(schema instanceof z.ZodObject)) return !isRecordObject(value);
  if (!isRecordObject(value)) return value === undefined;
  for (const [key, child] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
    const inner = peel(child).schema;
    if (inner instanceof z.ZodLiteral && value[key] !== undefined && !inner.values.has(value[key] as never)) return false;
  }
  return true;
}

function expand(walk: Walk, value: unknown): Walk[] {
  if (!(walk.schema instanceof z.ZodUnion)) return [walk];
  const options = walk.schema.options as z.ZodType[];
  const fitting = options.filter((o) => optionFits(o, value));
  return (fitting.length > 0 ? fitting : options).map((o) => ({ ...peel(o), description: walk.description ?? peel(o).description }));
}

export function valueAt(data: unknown, path: ConfigPath): unknown {
  let current = data;
  for (const segment of path) {
    if (Array.isArray(current) && typeof segment === 'number') current = current[segment] as unknown;
    else if (isRecordObject(current) && Object.hasOwn(current, segment)) current = current[segment];
    else return undefined;
  }
  return current;
}

/** The schema(s) that describe the value at `path`, choosing union options by the data there. */
export function schemasAt(root: z.ZodType, path: ConfigPath, data: unknown): Walk[] {
  let walks = expand(peel(root), data);
  path.forEach((segment, index) => {
    const here = valueAt(data, path.slice(0, index + 1));
    const next: Walk[] = [];
    for (const { schema } of walks) {
      let child: z.ZodType | undefined;
      // hasOwn: a key such as `constructor` must not find Object.prototype's.
      if (schema instanceof z.ZodObject) child = Object.hasOwn(schema.shape, String(segment)) ? (schema.shape as Record<string, z.ZodType>)[String(segment)] : undefined;
      else if (schema instanceof z.ZodRecord) child = schema.valueType as z.ZodType;
      else if (schema instanceof z.ZodArray) child = schema.element as z.ZodType;
      if (child) next.push(...expand(peel(child), here));
    }
    walks = next;
  });
  return walks;
}

/** The keys the schema allows in the mapping at `path`. */
export function knownKeysAt(root: z.ZodType, path: ConfigPath, data: unknown): string[] {
  const keys = new Set<string>();
  for (const { schema } of schemasAt(root, path, data)) {
    if (schema instanceof z.ZodObject) for (const key of Object.keys(schema.shape)) keys.add(key);
  }
  return [...keys];
}

/** Keys at `path` whose own mapping allows `key`: where a misplaced key (`port` beside `run`) belongs. */
export function ownersOf(root: z.ZodType, path: ConfigPath, data: unknown, key: string): string[] {
  return knownKeysAt(root, path, data).filter((owner) => knownKeysAt(root, [...path, owner], undefined).includes(key));
}

export function descriptionAt(root: z.ZodType, path: ConfigPath, data: unknown): string | undefined {
  return schemasAt(root, path, data).find((w) => w.description !== undefined)?.description;
}
