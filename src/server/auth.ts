import { createHash, randomBytes } from 'node:crypto';
import type { Principal } from '../domain/roles.js';
import type { Store } from '../store/store.js';

export type { Principal };

export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

export function newToken(): string {
  return `gty_${randomBytes(24).toString('base64url')}`;
}

export async function authenticate(store: Store, header: string | undefined, now: number): Promise<Principal | 'missing' | 'invalid'> {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  if (!match?.[1]) return 'missing';
  const token = await store.tokens.findActive(hashToken(match[1]), now);
  return token ? { user: token.user, email: token.email, roles: token.roles } : 'invalid';
}

/** Makes the first admin token when the store has none. The value is returned once and never stored. */
export async function bootstrapAdminToken(store: Store, now: number): Promise<string | undefined> {
  if ((await store.tokens.count()) > 0) return undefined;
  const token = newToken();
  return (await store.tokens.createIfNone('admin', hashToken(token), ['admin'], now)) ? token : undefined;
}
