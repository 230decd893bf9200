import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Deployment } from 'kubernetes-models/apps/v1';
import { ConfigMap, PersistentVolumeClaim, Secret, Service } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { parseConfigText } from '../../src/config/loader.js';

/**
 * Issue 14, item 3: deploy/kubernetes/ holds what runs Gantry on a cluster. No cluster runs here, so
 * each object is checked against the Kubernetes schema (kubernetes-models) and against what Gantry
 * itself serves and reads: the probe route, the env vars, the config, the image the docs build.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DIR = join(ROOT, 'deploy/kubernetes');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

type Doc = { kind?: string; metadata?: { name?: string; namespace?: string } } & Record<string, unknown>;
const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml')).sort();
const docs: Array<{ file: string; doc: Doc }> = files.flatMap((file) =>
  parseAllDocuments(readFileSync(join(DIR, file), 'utf8')).map((d) => {
    if (d.errors.length > 0) throw new Error(`${file}: ${d.errors.map((e) => e.message).join('; ')}`);
    return { file, doc: d.toJSON() as Doc };
  }),
);
const MODELS: Record<string, new (data: never) => { validate(): void }> = { Deployment, Service, PersistentVolumeClaim, ConfigMap, Secret };
const objects = docs.filter((d) => d.doc.kind !== 'Kustomization');
function one<K extends keyof typeof MODELS>(kind: K): Doc {
  const found = objects.filter((d) => d.doc.kind === kind);
  expect(found, `exactly one ${kind} in deploy/kubernetes`).toHaveLength(1);
  return (found[0] as { doc: Doc }).doc;
}

const deployment = new Deployment(one('Deployment') as never);
const pod = deployment.spec?.template.spec;
const container = pod?.containers[0];
const kustomization = docs.find((d) => d.file === 'kustomization.yaml')?.doc as { resources?: string[]; namespace?: string; images?: Array<{ name: string; newTag?: string }> };
const arg = (flag: string): string | undefined => {
  const at = container?.args?.indexOf(flag) ?? -1;
  return at < 0 ? undefined : container?.args?.[at + 1];
};
const mountOf = (path: string): { name: string; mountPath: string } | undefined =>
  container?.volumeMounts?.filter((m) => path === m.mountPath || path.startsWith(`${m.mountPath}/`)).sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
type Volume = NonNullable<NonNullable<typeof pod>['volumes']>[number];
const volume = (name: string | undefined): Volume | undefined => pod?.volumes?.find((v) => v.name === name);

describe('the Kubernetes manifests in deploy/kubernetes', () => {
  it.each(objects.map((d) => [`${d.file}: ${String(d.doc.kind)}/${String(d.doc.metadata?.name)}`, d.doc] as const))('%s is valid against the Kubernetes schema and names no namespace', (_name, doc) => {
    const Model = MODELS[String(doc.kind)];
    expect(Model, `a schema for kind ${String(doc.kind)}`).toBeDefined();
    expect(() => new (Model as NonNullable<typeof Model>)(doc as never).validate()).not.toThrow();
    expect(doc.metadata?.namespace).toBeUndefined();
  });

  it('the kustomization takes every object but the example Secret, and no namespace', () => {
    expect(kustomization.namespace).toBeUndefined();
    const withObjects = [...new Set(objects.map((d) => d.file))].filter((f) => f !== 'secret.example.yaml');
    expect([...(kustomization.resources ?? [])].sort()).toEqual(withObjects);
  });

  it('runs two replicas, one at a time on update, with time for running steps to be handed back', () => {
    expect(deployment.spec?.replicas).toBe(2);
    expect(deployment.spec?.strategy?.rollingUpdate?.maxUnavailable).toBe(0);
    expect(pod?.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(60);
  });

  it('takes the database URL and the master key from the Secret whose shape the example shows', () => {
    const secret = one('Secret') as { metadata: { name: string }; stringData: Record<string, string> };
    for (const name of ['GANTRY_DATABASE_URL', 'GANTRY_MASTER_KEY']) {
      const ref = container?.env?.find((e) => e.name === name)?.valueFrom?.secretKeyRef;
      expect(ref?.name, name).toBe(secret.metadata.name);
      expect(Object.keys(secret.stringData)).toContain(ref?.key);
      expect(secret.stringData[ref?.key ?? ''], `${name} is a placeholder in the example`).toContain('REPLACE');
    }
  });

  it('puts the shared folder on the ReadWriteMany claim and the data folder on a volume of the pod', () => {
    const shared = container?.env?.find((e) => e.name === 'GANTRY_SHARED_DIR')?.value ?? '';
    const claim = one('PersistentVolumeClaim') as { metadata: { name: string }; spec: { accessModes: string[] } };
    expect(volume(mountOf(shared)?.name)?.persistentVolumeClaim?.claimName).toBe(claim.metadata.name);
    expect(claim.spec.accessModes).toEqual(['ReadWriteMany']);
    const dataDir = arg('--data-dir') ?? '';
    expect(volume(mountOf(dataDir)?.name)?.emptyDir).toBeDefined();
    // The server chmods its data folder to 0700, which only its owner may do: not a volume's root.
    expect(mountOf(dataDir)?.mountPath).not.toBe(dataDir);
  });

  it('probes a route the server serves, on the port it listens on, behind the Service', () => {
    const routes = readdirSync(join(ROOT, 'src/server/routes')).map((f) => readFileSync(join(ROOT, 'src/server/routes', f), 'utf8')).join('\n');
    const port = container?.ports?.find((p) => p.name === 'http');
    expect(String(port?.containerPort)).toBe(arg('--port'));
    expect(arg('--host')).toBe('0.0.0.0');
    for (const probe of [container?.readinessProbe, container?.livenessProbe, container?.startupProbe]) {
      expect(routes).toContain(`app.get('${String(probe?.httpGet?.path)}'`);
      expect(probe?.httpGet?.port).toBe('http');
    }
    const service = new Service(one('Service') as never);
    expect(service.spec?.ports?.[0]?.targetPort).toBe('http');
    expect(deployment.spec?.template.metadata?.labels).toMatchObject(service.spec?.selector ?? { missing: true });
  });

  it('runs as the non-root user the Dockerfile sets', () => {
    const user = /^USER (\d+):(\d+)$/m.exec(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
    expect(pod?.securityContext?.runAsNonRoot).toBe(true);
    expect(String(pod?.securityContext?.runAsUser)).toBe(user?.[1]);
    expect(container?.securityContext?.allowPrivilegeEscalation).toBe(false);
  });

  it('mounts a gantry.yaml that Gantry accepts where --config points', () => {
    const config = one('ConfigMap') as { metadata: { name: string }; data: Record<string, string> };
    const configPath = arg('--config') ?? '';
    const mount = mountOf(configPath);
    expect(volume(mount?.name)?.configMap?.name).toBe(config.metadata.name);
    const file = configPath.slice((mount?.mountPath.length ?? 0) + 1);
    const result = parseConfigText(config.data[file] ?? '', `configmap.yaml:${file}`);
    expect(result.ok ? [] : result.errors.map((e) => e.message)).toEqual([]);
  });

  it('runs the image, at the package version, that docs/operations.md builds', () => {
    const image = container?.image ?? '';
    const entry = kustomization.images?.find((i) => i.name === image);
    expect(entry?.newTag).toBe(VERSION);
    expect(readFileSync(join(ROOT, 'docs/operations.md'), 'utf8')).toContain(`docker build -t ${image}:${VERSION} .`);
  });
});
