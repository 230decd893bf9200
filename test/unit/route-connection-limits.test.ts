import { describe, expect, it } from 'vitest';
import { routeConnectionLimits } from '../../src/targets/local/route-layout.js';
import { FALLBACK_OPEN_FILES, MIN_ROUTE_CONNECTIONS, defaultConnectionLimit, openFileLimit } from '../../src/agent/router/open-file-budget.js';
import { parseConfigText } from '../../src/config/loader.js';

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max processes             63416                63416                processes
Max open files            20000                524288               files
Max locked memory         8388608              8388608              bytes
`;

describe('the default connection limit of a route', () => {
  it('reads the soft "Max open files" of /proc/self/limits', () => {
    expect(openFileLimit(LIMITS)).toBe(20_000);
    expect(openFileLimit(LIMITS.replace('20000 ', 'unlimited '))).toBe(Number.MAX_SAFE_INTEGER);
    expect(openFileLimit('no such line')).toBe(FALLBACK_OPEN_FILES);
    expect(openFileLimit()).toBeGreaterThan(0);
  });

  it('shares what is left after the reserve among the routes, two descriptors per proxied request', () => {
    // 20,000 files: a reserve of 2,000 (10 %), 18,000 left, 4 routes × 2 descriptors.
    expect(defaultConnectionLimit(20_000, 4)).toBe(2_250);
    // 1,024 files: the reserve is at least 256.
    expect(defaultConnectionLimit(1_024, 2)).toBe(192);
    // The case: 25,000 idle connections on one of 8 routes of a 20,000-file agent meet a limit of 1,125.
    expect(defaultConnectionLimit(20_000, 8)).toBe(1_125);
  });

  it('never goes below the floor, even when the reserve takes everything', () => {
    expect(defaultConnectionLimit(256, 3)).toBe(MIN_ROUTE_CONNECTIONS);
    expect(defaultConnectionLimit(260, 1)).toBe(MIN_ROUTE_CONNECTIONS);
    // A router with no route yet divides by one, not by zero.
    expect(defaultConnectionLimit(300, 0)).toBe(22);
  });
});

describe('services.<name>.run.maxConnections', () => {
  const text = `version: 1
project: { name: limits }
repository: { url: . }
services:
  api: { path: api, run: { command: node a.mjs, port: 3000, maxConnections: 500 } }
  web: { path: web, run: { command: node w.mjs, port: 3001 } }
environments:
  staging: { branch: staging, portOffset: 100 }
  production: { branch: main, portOffset: 200, strategy: { kind: blue-green }, target: prod }
targets:
  prod: { kind: local }
`;

  it('applies to every route of the service the agent serves, preview included, and to no other', () => {
    const parsed = parseConfigText(text, 'gantry.yaml');
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    expect(routeConnectionLimits(parsed.config, 'prod')).toEqual({ 'production/api/main': 500, 'production/api/preview': 500 });
    expect(routeConnectionLimits(parsed.config, 'local')).toEqual({ 'staging/api/main': 500 });
  });

  it('is refused when it is not a positive whole number, with the path named', () => {
    const parsed = parseConfigText(text.replace('maxConnections: 500', 'maxConnections: 0'), 'gantry.yaml');
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(JSON.stringify(parsed.errors)).toContain('services.api.run.maxConnections');
  });
});
