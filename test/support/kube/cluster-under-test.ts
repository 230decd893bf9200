import { request } from 'node:https';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { assembleImage } from '../../../src/artifacts/images/assemble-image.js';
import { RegistryClient } from '../../../src/artifacts/registry/index.js';
import { runControllers, type Controllers } from './controllers/index.js';
import { startKubeStandin, type KubeStandin } from './standin.js';
import { pushAppImage } from './test-images.js';
import { startRegistry, type TestRegistry } from '../registry.js';

/**
 * The cluster a Kubernetes target test runs against: the API stand-in (with a real registry) by
 * default, or a real cluster when GANTRY_TEST_KUBECONFIG names a kubeconfig file (kind, k3d):
 * then GANTRY_TEST_REGISTRY is a registry (host:port, plain HTTP) this machine pushes to and the
 * cluster pulls from, and GANTRY_TEST_BASE_IMAGE an image with /bin/sh and node in it (for
 * example `localhost:5001/library/node:20-alpine`), which the test apps are assembled on. Tests that
 * read the stand-in's own state run only on the stand-in (`standin` is undefined on a real cluster).
 */
export interface ClusterUnderTest {
  readonly kubeconfig: string;
  readonly registryHost: string;
  readonly standin: KubeStandin | undefined;
  /** Pushes an app image (the files under /app) the cluster can pull; returns it by digest. */
  pushApp(repository: string, files: Readonly<Record<string, string>>): Promise<{ ref: string; digest: string }>;
  /** GETs a cluster-internal URL (`http://<svc>.<ns>.svc.cluster.local:<port>/path`) from inside the cluster. */
  fetchInside(url: string): Promise<string>;
  stop(): Promise<void>;
}

export const realClusterKubeconfig = (): string | undefined => process.env.GANTRY_TEST_KUBECONFIG || undefined;

export async function clusterUnderTest(controllerOptions: Parameters<typeof runControllers>[1] = {}): Promise<ClusterUnderTest> {
  const file = realClusterKubeconfig();
  return file === undefined ? standinCluster(controllerOptions) : realCluster(file);
}

async function standinCluster(controllerOptions: Parameters<typeof runControllers>[1]): Promise<ClusterUnderTest> {
  const registry: TestRegistry = await startRegistry();
  const standin = await startKubeStandin({ controllers: (state) => runControllers(state, controllerOptions) as never });
  const registryHost = new URL(registry.url).host;
  const controllers = standin.controllers as unknown as Controllers;
  return {
    kubeconfig: standin.kubeconfig(),
    registryHost,
    standin,
    pushApp: (repository, files) => pushAppImage({ host: registryHost }, repository, files),
    fetchInside: async (url) => {
      const response = await controllers.fetchInside(url, { signal: AbortSignal.timeout(5_000) });
      if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
      return response.text();
    },
    stop: async () => {
      await standin.stop();
      await registry.stop();
    },
  };
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`GANTRY_TEST_KUBECONFIG is set, so ${name} must be too (see docs/targets.md, "Running the Kubernetes suite against a real cluster")`);
  return value;
}

async function realCluster(file: string): Promise<ClusterUnderTest> {
  const kubeconfig = await readFile(file, 'utf8');
  const registryHost = required('GANTRY_TEST_REGISTRY');
  const base = required('GANTRY_TEST_BASE_IMAGE');
  const kc = new KubeConfig();
  kc.loadFromString(kubeconfig);
  const server = kc.getCurrentCluster()?.server ?? '';
  return {
    kubeconfig,
    registryHost,
    standin: undefined,
    pushApp: async (repository, files) => {
      const dir = await mkdtemp(join(tmpdir(), 'gantry-kube-app-'));
      try {
        for (const [path, text] of Object.entries(files)) await writeFile(join(dir, path), text);
        const registry = new RegistryClient({ url: `http://${registryHost}` });
        const built = await assembleImage({
          registry,
          base,
          bundle: { dir },
          repository,
          provenance: { revision: 'test', source: 'gantry-tests', created: new Date('2026-01-01T00:00:00Z'), title: repository, version: 'test' },
        });
        return { ref: built.ref, digest: built.digest };
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
    // The API server's service proxy: what `kubectl get --raw /api/v1/namespaces/ns/services/svc:port/proxy/` reaches.
    fetchInside: async (url) => {
      const parsed = new URL(url);
      const [service, namespace] = parsed.hostname.split('.');
      const path = `/api/v1/namespaces/${namespace ?? ''}/services/${service ?? ''}:${parsed.port || '80'}/proxy${parsed.pathname}`;
      const options: { headers: Record<string, string> } & Record<string, unknown> = { headers: {} };
      await kc.applyToHTTPSOptions(options);
      return new Promise<string>((resolve, reject) => {
        const req = request(new URL(path, server), { ...options, method: 'GET', timeout: 5_000 }, (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => (body += chunk.toString()));
          res.on('end', () => ((res.statusCode ?? 500) < 400 ? resolve(body) : reject(new Error(`${url} through the API server: HTTP ${res.statusCode ?? '?'}`))));
        });
        req.on('error', reject);
        req.end();
      });
    },
    stop: () => Promise.resolve(),
  };
}
