import { execFileSync } from 'node:child_process';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Deployment } from 'kubernetes-models/apps/v1';
import { ConfigMap, Namespace, Service } from 'kubernetes-models/v1';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { ApplicationSchema } from '../../src/export/manifests/argo-application.js';
import { runCli } from '../support/cli.js';
import { TempDirs } from '../support/temp.js';

/**
 * `gantry export manifests --release` on the reference example's kubernetes variant (switched on as
 * its comments say, the same way test/unit/config-example.test.ts does): five services on a
 * blue-green production cluster, every object valid for the Kubernetes schema, no server needed.
 */

const EXAMPLE = fileURLToPath(new URL('../../examples/volteryde/gantry.yaml', import.meta.url));
const SHA = '0123456789abcdef0123456789abcdef01234567';

function kubernetesVariant(text: string): string {
  const lines = text
    .replace(/^( +)target: \S+\n(?=\1# target: cluster-)/gm, '')
    .replace(/^( +)# (target: cluster-[a-z]+).*$/gm, '$1$2')
    .split('\n');
  const start = lines.findIndex((l) => l === '  # cluster-dev:');
  if (start < 0) throw new Error('the example has no commented cluster-dev target');
  for (let i = start; i < lines.length && (lines[i] ?? '').startsWith('  # '); i++) lines[i] = `  ${(lines[i] ?? '').slice(4)}`;
  return lines.join('\n');
}

interface Obj {
  kind: string;
  metadata: { name: string };
  spec?: { type?: string; template?: { spec: { containers: Array<{ image: string }> } } };
}

const MODELS: Record<string, new (data: never) => { validate(): void }> = { Deployment, ConfigMap, Service, Namespace };

describe("gantry export manifests on the reference example's kubernetes variant", () => {
  const temp = new TempDirs();
  let dir: string;
  let config: string;

  beforeAll(async () => {
    dir = await temp.make('gantry-export-example-');
    execFileSync('git', ['init', '--quiet', dir]);
    config = join(dir, 'gantry.yaml');
    await writeFile(config, kubernetesVariant(await readFile(EXAMPLE, 'utf8')));
  });

  afterAll(() => temp.cleanup());

  it('writes every production service blue-green by its release tag, each object valid, and says which Secrets to provide', async () => {
    const out = join(dir, 'deploy', 'production');
    const r = await runCli(['--config', config, 'export', 'manifests', '--env', 'production', '--release', SHA, '--out', out], { GANTRY_SERVER: 'http://127.0.0.1:1' });
    expect(r.code, r.stderr).toBe(0);
    const services = ['billing', 'nest-api', 'temporal-workers', 'web-admin', 'web-rider'];
    expect((await readdir(out)).sort()).toEqual(['argocd-application.yaml', 'namespace.yaml', ...services.map((s) => `${s}.yaml`)].sort());
    for (const service of services) {
      const objects = parseAllDocuments(await readFile(join(out, `${service}.yaml`), 'utf8')).map((d) => d.toJS() as Obj);
      for (const o of objects) {
        const Model = MODELS[o.kind];
        expect(Model, o.kind).toBeDefined();
        if (Model) new Model(o as never).validate();
      }
      expect(objects.map((o) => `${o.kind}/${o.metadata.name.replace(/-env-[0-9a-f]{10}$/, '-env')}`)).toEqual([`ConfigMap/${service}-env`, `Deployment/${service}-blue`, `Service/${service}`, `Service/${service}-preview`]);
      expect(objects[1]?.spec?.template?.spec.containers[0]?.image).toBe(`127.0.0.1:5000/volteryde/${service}:${SHA}`);
      expect(objects[2]?.spec?.type).toBe('LoadBalancer');
    }
    const [app] = parseAllDocuments(await readFile(join(out, 'argocd-application.yaml'), 'utf8')).map((d) => ApplicationSchema.parse(d.toJS()));
    expect(app?.spec.destination.namespace).toBe('volteryde-production');
    expect(app?.spec.source.path).toBe('deploy/production');
    expect(r.stdout).toContain('provide Secret nest-api-secrets in namespace volteryde-production (keys: DATABASE_URL)');
    expect(r.stdout).toContain('provide Secret billing-secrets in namespace volteryde-production (keys: STRIPE_KEY)');
    expect(r.stdout).not.toContain('web-admin-secrets');
    expect(r.stdout).toContain('repository.url (.) is a local repository without an origin remote: set spec.source.repoURL');
  });

  it('asks which environment when several deploy to kubernetes targets', async () => {
    const r = await runCli(['--config', config, 'export', 'manifests', '--release', SHA, '--out', join(dir, 'deploy', 'any')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^EXPORT_TARGET_UNSUPPORTED: which environment\? several environments deploy to kubernetes targets \(dev, staging, production\)\n {2}hint: Name one with --env\./);
  });
});
