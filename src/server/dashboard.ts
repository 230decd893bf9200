import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/** The URL patterns the dashboard's files are served under; they answer without a token (the files hold no data). */
export const DASHBOARD_ROUTES: ReadonlySet<string> = new Set(['/', '/*']);

/** Whether a request path is for the dashboard's files rather than the API (which always needs a token). */
export const isDashboardPath = (path: string): boolean => !(path === '/metrics' || path === '/api' || path.startsWith('/api/'));

/**
 * The built dashboard: dist/web beside the compiled server, or, when the server runs from src/
 * (tests, tsx), the one the last `npm run build` made.
 */
export function defaultWebRoot(): string | undefined {
  const candidates = [fileURLToPath(new URL('../web/', import.meta.url)), fileURLToPath(new URL('../../dist/web/', import.meta.url))];
  return candidates.find((dir) => existsSync(join(dir, 'index.html')));
}

// The page talks only to this server; nothing may frame it or read where it was opened from.
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

/**
 * Serves the dashboard at `/`. @fastify/static resolves every path inside `root` and refuses one that
 * climbs out of it (`..`, encoded or not), so no file outside the built folder is ever sent.
 */
export async function dashboardRoutes(app: FastifyInstance, webRoot: string | undefined): Promise<void> {
  if (!webRoot) {
    app.get('/', async (_request, reply) =>
      reply.type('text/plain; charset=utf-8').send('The Gantry dashboard is not built in this installation. Run `npm run build`, then restart `gantry server`.\nThe API is under /api/v1 (docs/api.md).\n'),
    );
    return;
  }
  await app.register(fastifyStatic, {
    root: webRoot,
    prefix: '/',
    index: ['index.html'],
    dotfiles: 'deny',
    // Our setHeaders decides caching per file; the plugin's own header would overwrite it.
    cacheControl: false,
    setHeaders(res, path) {
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
      // Vite names assets by content hash: they never change. index.html must always be fetched anew.
      res.setHeader('cache-control', path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
}
