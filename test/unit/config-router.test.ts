import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/loader.js';
import type { ConfigIssue, LoadResult } from '../../src/config/loader.js';

const base = (env: string, targets = ''): string => `version: 1
project: { name: shop }
repository: { url: . }
services:
  api:
    path: services/api
    run: { command: node server.mjs, port: 3000 }
    health: { path: /healthz }
environments:
  dev:
    branch: develop
${env}${targets}`;
const HAPROXY = '    router: { kind: haproxy, runtimeApi: 127.0.0.1:9999, url: "http://127.0.0.1:8080" }\n';

const load = (text: string): LoadResult => parseConfigText(text, 'gantry.yaml');
const errors = (result: LoadResult): ConfigIssue[] => (result.ok ? [] : result.errors);
const codes = (result: LoadResult): string[] => errors(result).map((e) => `${e.code} ${e.path.join('.')}`);

describe('gantry.yaml: an environment router', () => {
  it('is builtin by default, and haproxy with the default backend template', () => {
    const none = load(base(''));
    const builtin = load(base('    router: builtin\n'));
    const haproxy = load(base(HAPROXY));
    for (const r of [none, builtin, haproxy]) if (!r.ok) throw new Error(codes(r).join(', '));
    expect(none.ok && none.config.environments['dev']?.router).toEqual({ kind: 'builtin' });
    expect(builtin.ok && builtin.config.environments['dev']?.router).toEqual({ kind: 'builtin' });
    expect(haproxy.ok && haproxy.config.environments['dev']?.router).toEqual({ kind: 'haproxy', runtimeApi: '127.0.0.1:9999', backend: '{environment}_{service}', url: 'http://127.0.0.1:8080', matchBackend: undefined });
  });

  it('accepts a unix socket path for the runtime API and refuses an address that is neither', () => {
    expect(codes(load(base('    router: { kind: haproxy, runtimeApi: /run/haproxy/admin.sock, url: "http://127.0.0.1:8080" }\n')))).toEqual([]);
    const bad = load(base('    router: { kind: haproxy, runtimeApi: admin.sock, url: "http://127.0.0.1:8080" }\n'));
    expect(codes(bad)).toEqual(['CONFIG_INVALID_VALUE environments.dev.router.runtimeApi']);
    expect(errors(bad)[0]?.message).toMatch(/host:port or an absolute unix socket path/);
  });

  it('refuses haproxy in front of a kubernetes target, naming the router and the target', () => {
    const result = load(base(`    target: cluster\n${HAPROXY}`, 'targets:\n  cluster: { kind: kubernetes, namespace: shop-dev, kubeconfigSecret: KUBE }\n'));
    // (The kubernetes target's own findings, such as the service's missing image, are reported beside it.)
    const found = errors(result).find((e) => e.path.join('.') === 'environments.dev.router.kind');
    expect(found?.code).toBe('CONFIG_INVALID_VALUE');
    expect(found?.message).toMatch(/environments\.dev\.router is haproxy.*environments\.dev\.target is cluster, a kubernetes target/);
    expect(found?.hint).toMatch(/router: builtin/);
  });

  it('refuses a template placeholder the router cannot fill in', () => {
    const result = load(base('    router: { kind: haproxy, runtimeApi: 127.0.0.1:9999, url: "http://127.0.0.1:{port}" }\n'));
    expect(codes(result)).toEqual(['CONFIG_INVALID_VALUE environments.dev.router.url']);
    expect(errors(result)[0]?.message).toMatch(/\{port\}/);
  });

  it("refuses a canary's header match when the haproxy router has no match backend", () => {
    const canary = '    strategy: { kind: canary, steps: [{ setWeight: 10 }], match: { header: x-canary, value: always } }\n';
    expect(codes(load(base(`${canary}${HAPROXY}`)))).toEqual(['CONFIG_INVALID_VALUE environments.dev.strategy.match']);
    const withMatch = '    router: { kind: haproxy, runtimeApi: 127.0.0.1:9999, url: "http://127.0.0.1:8080", matchBackend: "{environment}_{service}_match" }\n';
    expect(codes(load(base(`${canary}${withMatch}`)))).toEqual([]);
  });

  it('warns that watch.maxP99 is not checked behind haproxy, which keeps no latency histogram', () => {
    const result = load(base(`${HAPROXY}    watch: { duration: 1m, maxP99: 500ms }\n`));
    if (!result.ok) throw new Error(codes(result).join(', '));
    expect(result.warnings.map((w) => `${w.code} ${w.path.join('.')} ${w.severity}`)).toEqual(['CONFIG_UNSUPPORTED environments.dev.watch.maxP99 warning']);
    expect(result.warnings[0]?.message).toMatch(/no latency histogram/);
  });
});
