import { Redactor } from '../secrets/redactor.js';
import type { ServerContext } from './context.js';

/**
 * Masks every stored secret value (of any scope) in text a target reports: targets mask the values
 * they were given, but a service may print a value it was never given as a secret (a token pasted
 * in a config file, another environment's key). The server's own check, so that invariant 6 holds
 * for status and logs answers whatever the target did.
 */
export function secretMask(ctx: ServerContext): (text: string) => string {
  const values = ctx.secrets?.allValues() ?? [];
  if (values.length === 0) return (text) => text;
  const redactor = new Redactor(values);
  return (text) => redactor.redact(text);
}
