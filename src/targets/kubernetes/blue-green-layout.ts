import type { V1Deployment, V1Pod, V1ReplicaSet } from '@kubernetes/client-node';
import { TargetError } from '../../errors/index.js';
import type { RevisionSpec, RouteName, TargetCapabilities, WeightsCheck } from '../target.js';
import { sameWeights } from '../weights.js';
import { wholeRoute, type Layout } from './layout.js';
import { deploymentName } from './manifests.js';
import { ANNOTATION, COLORS, LABEL, NO_COLOR, selectorLabels, type Color } from './names.js';
import { applyRevision, applyService, type KubeContext } from './revision-objects.js';
import { colorRevision, currentReplicaSet, type MappedRevision } from './revision-status.js';

interface Colour {
  readonly color: Color;
  readonly deployment: V1Deployment;
  readonly revision: number;
  readonly mapped: MappedRevision;
}

interface Observed {
  readonly colours: Colour[];
  /** The colour each route's Service selects (`none`: no pod), undefined when the Service does not exist yet. */
  readonly selected: Record<RouteName, string | undefined>;
  readonly pods: V1Pod[];
}

const colourOf = (d: V1Deployment): Color | undefined => COLORS.find((c) => c === d.metadata?.labels?.[LABEL.color]);

/**
 * Blue-green on Kubernetes (Argo Rollouts' model): Deployments `<svc>-blue` and `<svc>-green`, a
 * Service `<svc>` (main) and `<svc>-preview`, each selecting one colour. A switch is one patch of
 * a Service's selector; the colour not selected keeps its pods (scaled to 0 only by stopRevision).
 */
/** Kubernetes' default terminationGracePeriodSeconds (30) and a margin for the kubelet. */
const STOP_WAIT_MS = 40_000;
const STOP_POLL_MS = 200;

export class BlueGreenLayout implements Layout {
  readonly capabilities: TargetCapabilities = { weightedRouting: false, headerRouting: false, preview: true, rollsItself: false };

  constructor(private readonly c: KubeContext) {}

  serviceName(service: string, route: RouteName): string {
    return route === 'main' ? service : `${service}-preview`;
  }

  private get ns(): string {
    return this.c.target.namespace;
  }

  private async observe(environment: string, service: string): Promise<Observed> {
    const selector = `${LABEL.instance}=${service}-${environment}`;
    const [deployments, sets, pods, main, preview] = await Promise.all([
      this.c.api.deployments(this.ns, selector),
      this.c.api.replicaSets(this.ns, selector),
      this.c.api.pods(this.ns, selector),
      this.c.api.readService(this.ns, this.serviceName(service, 'main')),
      this.c.api.readService(this.ns, this.serviceName(service, 'preview')),
    ]);
    const colours: Colour[] = [];
    for (const d of deployments) {
      const color = colourOf(d);
      if (color === undefined) continue;
      const own = (rs: V1ReplicaSet): boolean => (rs.metadata?.ownerReferences ?? []).some((o) => o.uid === d.metadata?.uid);
      const colourPods = pods.filter((p) => p.metadata?.labels?.[LABEL.color] === color);
      const mapped = colorRevision(d, currentReplicaSet(d, sets.filter(own)), colourPods);
      colours.push({ color, deployment: d, revision: Number(d.metadata?.annotations?.[ANNOTATION.revision] ?? 0), mapped });
    }
    return { colours, selected: { main: main?.spec?.selector?.[LABEL.color], preview: preview?.spec?.selector?.[LABEL.color] }, pods };
  }

  private weightsOf(o: Observed, route: RouteName): Record<string, number> {
    const held = o.colours.find((c) => c.color === o.selected[route]);
    return held === undefined ? {} : { [String(held.revision)]: 100 };
  }

  async revisions(environment: string, service: string): Promise<{ revisions: MappedRevision[]; weights: Record<RouteName, Record<string, number>> }> {
    const o = await this.observe(environment, service);
    const revisions = o.colours.map((c) => c.mapped).sort((a, b) => a.status.revision - b.status.revision);
    return { revisions, weights: { main: this.weightsOf(o, 'main'), preview: this.weightsOf(o, 'preview') } };
  }

  /** Into the colour already holding the revision, else the colour the main Service does not select. */
  async start(spec: RevisionSpec): Promise<void> {
    const o = await this.observe(spec.environment, spec.service);
    const holding = o.colours.find((c) => c.revision === spec.revision);
    if (holding !== undefined && (holding.deployment.spec?.replicas ?? 0) > 0) return;
    const color = holding?.color ?? this.freeColour(o, spec);
    await applyRevision(this.c, spec, color);
    for (const route of ['main', 'preview'] as const) {
      // Only made when missing: applying it again would take its selector back from the switch.
      if (o.selected[route] === undefined) await applyService(this.c, spec.environment, spec.service, this.serviceName(spec.service, route), NO_COLOR);
    }
  }

  private freeColour(o: Observed, spec: RevisionSpec): Color {
    const free = COLORS.filter((c) => c !== o.selected.main);
    const score = (color: Color): number => {
      const held = o.colours.find((c) => c.color === color);
      if (held === undefined) return 0;
      if ((held.deployment.spec?.replicas ?? 0) === 0) return 1;
      return color === o.selected.preview ? 3 : 2;
    };
    const [best] = free.sort((a, b) => score(a) - score(b) || (o.colours.find((c) => c.color === a)?.revision ?? 0) - (o.colours.find((c) => c.color === b)?.revision ?? 0));
    if (best === undefined) throw new TargetError('CONFLICT', `both colours of ${spec.service} in ${spec.environment} hold traffic; r${spec.revision} has nowhere to start`, { hint: 'Stop the revision that no route needs first.' });
    return best;
  }

  async setWeights(environment: string, service: string, route: RouteName, weights: Readonly<Record<string, number>>): Promise<void> {
    const revision = wholeRoute(this.c.target.name, service, route, weights);
    const o = await this.observe(environment, service);
    const color = revision === undefined ? NO_COLOR : o.colours.find((c) => c.revision === revision)?.color;
    if (color === undefined) throw new TargetError('NOT_FOUND', `${environment}/${service} has no r${revision ?? ''} on target ${this.c.target.name} to send the ${route} route to`, { hint: 'Start the revision first.' });
    await this.c.api.setSelector(this.ns, this.serviceName(service, route), selectorLabels(service, environment, color));
  }

  /** Applied once the Service selects the colour and its Endpoints list that colour's ready pods only. */
  async verifyWeights(environment: string, service: string, route: RouteName, weights: Readonly<Record<string, number>>): Promise<WeightsCheck> {
    const o = await this.observe(environment, service);
    const actual = this.weightsOf(o, route);
    if (!sameWeights(actual, weights)) return { applied: false, actual };
    const endpoints = await this.c.api.readEndpoints(this.ns, this.serviceName(service, route));
    const addressed = (endpoints?.subsets ?? []).flatMap((s) => [...(s.addresses ?? []), ...(s.notReadyAddresses ?? [])]);
    const ready = (endpoints?.subsets ?? []).flatMap((s) => s.addresses ?? []);
    const colourOfPod = (name: string | undefined): string | undefined => o.pods.find((p) => p.metadata?.name === name)?.metadata?.labels?.[LABEL.color];
    const onlyThat = addressed.every((a) => colourOfPod(a.targetRef?.name) === o.selected[route]);
    const wanted = Object.keys(actual).length === 0 ? addressed.length === 0 : ready.length > 0;
    return { applied: onlyThat && wanted, actual };
  }

  async stop(environment: string, service: string, revision: number): Promise<void> {
    const o = await this.observe(environment, service);
    const held = o.colours.find((c) => c.revision === revision);
    if (held === undefined || (held.deployment.spec?.replicas ?? 0) === 0) return;
    if (held.color === o.selected.main) {
      throw new TargetError('CONFLICT', `r${revision} of ${environment}/${service} still has main traffic (Service ${service} selects ${held.color})`, { hint: 'Switch the main route to another revision first.' });
    }
    // Its template stays: starting the same revision again only scales it back up.
    await this.c.api.scale(this.ns, deploymentName(service, held.color), 0);
    // As the other targets do, resolve once it is stopped: its pods gone (each gets its grace period).
    const selector = `${LABEL.instance}=${service}-${environment},${LABEL.color}=${held.color}`;
    const deadline = Date.now() + STOP_WAIT_MS;
    while ((await this.c.api.pods(this.ns, selector)).length > 0) {
      if (Date.now() > deadline) {
        throw new TargetError('TARGET_ERROR', `the pods of r${revision} of ${environment}/${service} (${held.color}) were still terminating after ${STOP_WAIT_MS / 1000} s`, { hint: `Scaled to 0; see kubectl -n ${this.ns} get pods -l ${selector} for what holds them.` });
      }
      await new Promise((resolve) => setTimeout(resolve, STOP_POLL_MS));
    }
  }
}

