import { describe, expect, it } from 'vitest';
import { TargetError } from '../../src/errors/index.js';
import { deployment, envConfigMap, envSecret, pullSecret, service, type ManifestContext } from '../../src/targets/kubernetes/manifests.js';
import { validateManifest } from '../../src/targets/kubernetes/validate.js';
import type { RevisionSpec } from '../../src/targets/target.js';

const digest = `sha256:${'a'.repeat(64)}`;
const spec: RevisionSpec = {
  environment: 'staging',
  service: 'api',
  revision: 4,
  release: '0123456789abcdef',
  artifact: { digest, ref: `registry.test:5000/volteryde/api@${digest}` },
  command: 'node server.js',
  env: { LOG_LEVEL: 'info', DB_PASSWORD: 's3cret' },
  secretKeys: ['DB_PASSWORD'],
  replicas: 3,
  health: { path: '/healthz', expectStatus: 200, intervalMs: 2_000, timeoutMs: 500, readiness: { failureThreshold: 4, successThreshold: 2 }, liveness: { path: '/livez', failureThreshold: 5 } },
  limits: { cpus: 0.5, memoryBytes: 268_435_456 },
};
const ctx: ManifestContext = { project: 'volteryde', namespace: 'volteryde-staging', port: 8080, color: undefined, rolling: { maxSurge: 1, maxUnavailable: 0 }, progressDeadlineMs: 120_000 };

function deploymentOf(s: RevisionSpec, c: ManifestContext = ctx): ReturnType<typeof deployment> {
  return deployment(s, c, { configMap: envConfigMap(s, c).metadata.name, secret: envSecret(s, c).metadata.name, pull: 'api-pull' });
}

describe('Kubernetes manifests', () => {
  it('builds a Deployment that the OpenAPI schema accepts, with the spec, probes, limits and labels', () => {
    const d = validateManifest(deploymentOf(spec));
    const container = d.spec?.template.spec?.containers[0];
    expect(container).toMatchObject({
      image: spec.artifact.ref,
      command: ['/bin/sh', '-c', 'node server.js'],
      env: [{ name: 'PORT', value: '8080' }, { name: 'GANTRY_ENVIRONMENT', value: spec.environment }, { name: 'GANTRY_SERVICE', value: spec.service }, { name: 'GANTRY_RELEASE', value: spec.release }],
      ports: [{ containerPort: 8080 }],
      resources: { requests: { cpu: '500m', memory: '268435456' }, limits: { cpu: '500m', memory: '268435456' } },
      readinessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 2, timeoutSeconds: 1, failureThreshold: 4, successThreshold: 2 },
      livenessProbe: { httpGet: { path: '/livez', port: 8080 }, failureThreshold: 5 },
    });
    expect(d.metadata.annotations).toEqual({ 'gantry.dev/release': spec.release, 'gantry.dev/digest': digest, 'gantry.dev/revision': '4', 'gantry.dev/environment': 'staging' });
    expect(d.metadata.labels).toMatchObject({ 'app.kubernetes.io/name': 'api', 'app.kubernetes.io/instance': 'api-staging', 'app.kubernetes.io/part-of': 'volteryde', 'app.kubernetes.io/managed-by': 'gantry', 'app.kubernetes.io/version': '0123456' });
    expect(d.spec).toMatchObject({ replicas: 3, progressDeadlineSeconds: 120, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } });
    expect(d.spec?.template.spec?.imagePullSecrets).toEqual([{ name: 'api-pull' }]);
  });

  it('keeps the revision off the pod template, so the same spec under another revision gives the same template', () => {
    const a = deploymentOf(spec);
    const b = deploymentOf({ ...spec, revision: 9 });
    expect(JSON.stringify(a.spec?.template)).toBe(JSON.stringify(b.spec?.template));
    expect(JSON.stringify(a.spec?.template)).not.toContain('gantry.dev/revision');
  });

  it('puts secret values only in the Secret, and names env objects by their content', () => {
    const cm = validateManifest(envConfigMap(spec, ctx));
    const secret = validateManifest(envSecret(spec, ctx));
    expect(cm.data).toEqual({ LOG_LEVEL: 'info' });
    expect(JSON.stringify(deploymentOf(spec))).not.toContain('s3cret');
    expect(secret.data).toEqual({ DB_PASSWORD: Buffer.from('s3cret').toString('base64') });
    expect(cm.metadata.name).toMatch(/^api-env-[0-9a-f]{10}$/);
    expect(envConfigMap({ ...spec, env: { ...spec.env, LOG_LEVEL: 'debug' } }, ctx).metadata.name).not.toBe(cm.metadata.name);
    expect(envConfigMap({ ...spec, revision: 7 }, ctx).metadata.name).toBe(cm.metadata.name);
    expect(cm.immutable && secret.immutable).toBe(true);
  });

  it('writes the pull secret for the registry host of the artifact', () => {
    const pull = validateManifest(pullSecret(spec, ctx, { username: 'ci', password: 'pw' }));
    const config = JSON.parse(Buffer.from(pull.data?.['.dockerconfigjson'] ?? '', 'base64').toString()) as { auths: Record<string, { auth: string }> };
    expect(pull.type).toBe('kubernetes.io/dockerconfigjson');
    expect(config.auths['registry.test:5000']?.auth).toBe(Buffer.from('ci:pw').toString('base64'));
  });

  it('gives blue-green Deployments and Services a colour in their selectors', () => {
    const green = validateManifest(deploymentOf(spec, { ...ctx, color: 'green' }));
    expect(green.metadata.name).toBe('api-green');
    expect(green.spec?.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'api', 'app.kubernetes.io/instance': 'api-staging', 'gantry.dev/color': 'green' });
    const preview = validateManifest(service('api-preview', spec, ctx, 'LoadBalancer', 'none'));
    expect(preview.spec).toMatchObject({ type: 'LoadBalancer', selector: { 'gantry.dev/color': 'none' }, ports: [{ port: 8080, targetPort: 8080 }] });
  });

  it('refuses a bad quantity with TARGET_MANIFEST_INVALID naming the object and the field', () => {
    const bad = deploymentOf(spec);
    const container = bad.spec?.template.spec?.containers[0];
    if (container?.resources?.limits) container.resources.limits.memory = '12 zebras';
    const error = (() => {
      try {
        validateManifest(bad);
      } catch (e: unknown) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(TargetError);
    expect(error).toMatchObject({ code: 'TARGET_MANIFEST_INVALID' });
    expect((error as Error).message).toBe('Deployment api: /spec/template/spec/containers/0/resources/limits/memory must match format "quantity"');
  });

});
