import { TargetError } from '../../errors/index.js';
import { Redactor } from '../../secrets/redactor.js';
import { controlPlaneUrl } from '../endpoint.js';
import type { Endpoint, ManagedResources, RevisionSpec, RevisionStatus, RevisionTraffic, RouteName, ServiceStatus, Target, TargetCapabilities, TargetEvent, TrafficSource, WeightsCheck } from '../target.js';
import { BlueGreenLayout } from './blue-green-layout.js';
import { CanaryLayout } from './canary-layout.js';
import { serviceEndpoint } from './endpoints.js';
import type { Layout } from './layout.js';
import { LABEL, MANAGED_SELECTOR } from './names.js';
import { troubleText } from './pod-status.js';
import { applyManaged, managedResources, serviceEvents } from './records.js';
import type { KubeContext } from './revision-objects.js';
import { RollingLayout } from './rolling-layout.js';

/** Lines of a troubled pod's log put in lastError. */
const TROUBLE_LINES = 20;

/**
 * The Kubernetes target: the target contract over Deployments and Services in one namespace (see
 * the layouts for how revisions map onto them). It keeps nothing of its own: every answer is read
 * from the API server, so any number of control planes (or a restarted one) agree.
 */
export class KubernetesTarget implements Target, TrafficSource {
  readonly name: string;
  private readonly rolling: RollingLayout;
  private readonly blueGreen: BlueGreenLayout;
  private readonly canary: CanaryLayout;

  constructor(private readonly c: KubeContext) {
    this.name = c.target.name;
    this.rolling = new RollingLayout(c);
    this.blueGreen = new BlueGreenLayout(c);
    this.canary = new CanaryLayout(c);
  }

  /** An environment's layout follows its strategy: rolling lets the Deployment roll; blue-green flips Services; canary splits by replica ratio. */
  layout(environment: string): Layout {
    const env = this.c.config.environments[environment];
    if (env === undefined || env.target !== this.name) throw new TargetError('NOT_FOUND', `environment ${environment} does not deploy to target ${this.name}`, { hint: 'Check the environment name and its target: in gantry.yaml.' });
    return this.layoutFor(env.strategy.kind);
  }

  private layoutFor(kind: 'rolling' | 'blue-green' | 'canary'): Layout {
    return kind === 'rolling' ? this.rolling : kind === 'canary' ? this.canary : this.blueGreen;
  }

  /**
   * The contract asks it of the target, not of an environment: the layout of the environments
   * naming this target, or, when they differ, what any of them can (each strategy uses only its
   * own: rolling rollsItself, blue-green preview, canary weightedRouting).
   */
  capabilities(): TargetCapabilities {
    const kinds = [...new Set(Object.values(this.c.config.environments).filter((e) => e.target === this.name).map((e) => e.strategy.kind))];
    const [only] = kinds;
    if (only === undefined) return { ...this.blueGreen.capabilities, rollsItself: true };
    if (kinds.length === 1) return this.layoutFor(only).capabilities;
    const has = kinds.map((k) => this.layoutFor(k).capabilities);
    return { weightedRouting: has.some((h) => h.weightedRouting), headerRouting: false, preview: has.some((h) => h.preview), rollsItself: has.some((h) => h.rollsItself) };
  }

  /** The environment's services that run (a service without run: has no Deployment here). */
  private services(environment: string): readonly string[] {
    return (this.c.config.environments[environment]?.services ?? []).filter((s) => this.c.config.services[s]?.run !== undefined);
  }

  async describe(environment: string): Promise<ServiceStatus[]> {
    const layout = this.layout(environment);
    return Promise.all(
      this.services(environment).map(async (service): Promise<ServiceStatus> => {
        const { revisions, weights } = await layout.revisions(environment, service);
        const troubled = revisions.some((r) => r.trouble !== undefined);
        const mask = troubled ? await this.masker(environment, service) : undefined;
        const statuses = await Promise.all(
          revisions.map(async ({ status, trouble }): Promise<RevisionStatus> => (trouble === undefined ? status : { ...status, lastError: troubleText(trouble, (await this.lastLines(trouble.pod)).map((l) => mask?.redact(l) ?? l)) })),
        );
        const main = await this.endpointOf(layout, environment, service, 'main');
        const preview = layout.serviceName(service, 'preview') === undefined ? undefined : await this.endpointOf(layout, environment, service, 'preview');
        return { environment, service, endpoints: { main, ...(preview ? { preview } : {}) }, revisions: statuses, weights };
      }),
    );
  }

  /**
   * The service's secret values, read from its Secrets in the cluster (never shown): a pod's output
   * is masked with them before it leaves the target, as the local agent masks a revision's output.
   */
  private async masker(environment: string, service: string): Promise<Redactor> {
    const secrets = await this.c.api.secrets(this.c.target.namespace, `${MANAGED_SELECTOR},${LABEL.instance}=${service}-${environment}`);
    const values = secrets.flatMap((s) => Object.values((s as { data?: Record<string, string> }).data ?? {})).map((v) => Buffer.from(v, 'base64').toString('utf8'));
    const pull = values.flatMap((v) => (v.startsWith('{"auths"') ? Object.values((JSON.parse(v) as { auths: Record<string, { password?: string; auth?: string }> }).auths).flatMap((a) => [a.password ?? '', a.auth ?? '']) : []));
    return new Redactor([...values, ...pull].filter((v) => v.length > 0));
  }

  /** A crashing container's current instance has written nothing yet: its previous one's lines then. */
  private async lastLines(pod: string): Promise<string[]> {
    // The lines only add to the reason: a pod whose log cannot be read (gone, never started) leaves them out.
    const read = (previous: boolean): Promise<string[]> => this.c.api.podLog(this.c.target.namespace, pod, TROUBLE_LINES, previous).catch(() => []);
    const now = await read(false);
    return now.length > 0 ? now : read(true);
  }

  startRevision(spec: RevisionSpec): Promise<void> {
    return this.layout(spec.environment).start(spec);
  }

  setWeights(environment: string, service: string, route: RouteName, weights: Readonly<Record<string, number>>): Promise<void> {
    return this.layout(environment).setWeights(environment, service, route, weights);
  }

  verifyWeights(environment: string, service: string, route: RouteName, weights: Readonly<Record<string, number>>): Promise<WeightsCheck> {
    return this.layout(environment).verifyWeights(environment, service, route, weights);
  }

  stopRevision(environment: string, service: string, revision: number): Promise<void> {
    return this.layout(environment).stop(environment, service, revision);
  }

  /** The revision's pods' last lines (secret values masked), each prefixed by its pod when there are several. */
  async logs(environment: string, service: string, revision: number, lines = 50): Promise<string[]> {
    const { revisions } = await this.layout(environment).revisions(environment, service);
    const pods = (revisions.find((r) => r.status.revision === revision)?.status.replicas ?? []).map((r) => r.name);
    const mask = await this.masker(environment, service);
    // A crash-looping container between restarts has written nothing yet: its previous instance's lines then (what kubectl logs -p shows).
    const read = (pod: string, previous: boolean): Promise<string[]> => this.c.api.podLog(this.c.target.namespace, pod, lines, previous).catch(() => []);
    const per = await Promise.all(
      pods.map(async (pod) => {
        const now = await read(pod, false);
        return { pod, lines: (now.length > 0 ? now : await read(pod, true)).map((l) => mask.redact(l)) };
      }),
    );
    return per.length === 1 ? (per[0]?.lines ?? []) : per.flatMap(({ pod, lines: l }) => l.map((line) => `[${pod}] ${line}`));
  }

  events(environment: string, service?: string): Promise<TargetEvent[]> {
    return serviceEvents(this.c, service === undefined ? this.services(environment) : [service]);
  }

  resources(environment: string): Promise<ManagedResources> {
    return managedResources(this.c, environment, this.services(environment));
  }

  applyResources(_environment: string, resources: ManagedResources): Promise<string[]> {
    return applyManaged(this.c, resources);
  }

  async endpoint(environment: string, service: string, route: RouteName): Promise<Endpoint> {
    return this.endpointOf(this.layout(environment), environment, service, route);
  }

  private async endpointOf(layout: Layout, environment: string, service: string, route: RouteName): Promise<Endpoint> {
    const name = layout.serviceName(service, route);
    if (name === undefined) throw new TargetError('NOT_FOUND', `${environment}/${service} has no ${route} route on target ${this.name} (its ${route === 'preview' ? 'rolling layout has none' : 'Service is missing'})`);
    return serviceEndpoint(this.c, { environment, service, route, name });
  }

  async url(environment: string, service: string, route: RouteName): Promise<string> {
    return controlPlaneUrl(await this.endpoint(environment, service, route), this.name, environment, service, route);
  }

  /**
   * No router of Gantry's stands between users and pods here (a Service balances in the kernel), so
   * there are no request counters: the watch window's metrics come from Prometheus analyses.
   */
  traffic(_environment: string, _service: string): Promise<RevisionTraffic[]> {
    return Promise.resolve([]);
  }
}
