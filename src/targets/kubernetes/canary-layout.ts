import { TargetError } from '../../errors/index.js';
import type { RevisionSpec, RouteName, TargetCapabilities, WeightsCheck } from '../target.js';
import { sameWeights } from '../weights.js';
import { readyShares, type Layout } from './layout.js';
import { deploymentName } from './manifests.js';
import { INTENT, intentOf, observeSlots, selectedSlots, type Observed, type Slot } from './canary-slots.js';
import { ANNOTATION, COLORS, LABEL, NO_COLOR, selectorLabels, type Color } from './names.js';
import { routeShape, type RouteShape } from './replica-split.js';
import { applyRevision, applyService, type KubeContext } from './revision-objects.js';
import type { MappedRevision } from './revision-status.js';

const STOP_WAIT_MS = 40_000;
const STOP_POLL_MS = 200;
/** A canary starts with one pod: enough to prove it gets ready, without traffic, before any step scales it. */
const START_PODS = 1;

/**
 * Canary on Kubernetes by replica ratio (Argo Rollouts' canary without a traffic router): a
 * Deployment per slot (`<svc>-blue`, `<svc>-green`, as blue-green names them) behind the Service
 * `<svc>`. A split makes the Service select every pod of the service (no colour in its selector) and
 * scales the two Deployments to the split's pods (replica-split.ts), so its load balancer spreads
 * requests in that ratio; a whole route selects one colour. The revision left without weight keeps
 * its pods, out of the Service, until stopped: a rollback is one selector patch.
 */
export class CanaryLayout implements Layout {
  readonly capabilities: TargetCapabilities = { weightedRouting: true, headerRouting: false, preview: false, rollsItself: false };

  constructor(private readonly c: KubeContext) {}

  serviceName(service: string, route: RouteName): string | undefined {
    return route === 'main' ? service : undefined;
  }

  private get ns(): string {
    return this.c.target.namespace;
  }

  private observe(environment: string, service: string): Promise<Observed> {
    return observeSlots(this.c, environment, service);
  }

  private selected(o: Observed): Slot[] {
    return selectedSlots(o);
  }

  private weights(o: Observed): Record<string, number> {
    return readyShares(this.selected(o).map((s) => ({ revision: s.revision, ready: s.mapped.status.readyReplicas ?? 0 })));
  }

  async revisions(environment: string, service: string): Promise<{ revisions: MappedRevision[]; weights: Record<RouteName, Record<string, number>> }> {
    const o = await this.observe(environment, service);
    return { revisions: o.slots.map((s) => s.mapped), weights: { main: this.weights(o), preview: {} } };
  }

  async start(spec: RevisionSpec): Promise<void> {
    const o = await this.observe(spec.environment, spec.service);
    const holding = o.slots.find((s) => s.revision === spec.revision);
    if (holding !== undefined && holding.scale > 0) return;
    const color = holding?.color ?? this.freeSlot(o, spec);
    await applyRevision(this.c, { ...spec, replicas: START_PODS }, color, { [ANNOTATION.replicas]: String(spec.replicas) });
    // Only made when missing: applying it again would take its selector back.
    if (o.selector === undefined) await applyService(this.c, spec.environment, spec.service, spec.service, NO_COLOR);
  }

  /** A slot no request reaches: none yet, then a stopped one, then one out of the Service (oldest first). */
  private freeSlot(o: Observed, spec: RevisionSpec): Color {
    const serving = new Set(this.selected(o).filter((s) => s.scale > 0).map((s) => s.color));
    const score = (color: Color): number => {
      const held = o.slots.find((s) => s.color === color);
      return held === undefined ? 0 : held.scale === 0 ? 1 : 2;
    };
    const revisionIn = (color: Color): number => o.slots.find((s) => s.color === color)?.revision ?? 0;
    const [best] = COLORS.filter((c) => !serving.has(c)).sort((a, b) => score(a) - score(b) || revisionIn(a) - revisionIn(b));
    if (best === undefined) throw new TargetError('CONFLICT', `both Deployments of ${spec.service} in ${spec.environment} take main traffic (a canary is under way); r${spec.revision} has nowhere to start`, { hint: 'Finish or roll back the canary first.' });
    return best;
  }

  private shape(o: Observed, environment: string, service: string, route: RouteName, weights: Readonly<Record<string, number>>): RouteShape {
    if (route !== 'main') throw new TargetError('TARGET_CAPABILITY_MISSING', `the canary layout of ${service} on target ${this.c.target.name} has no ${route} route`, { hint: 'A canary on Kubernetes has the main Service only; testers reach the canary through its share of traffic.' });
    const newest = Math.max(0, ...Object.keys(weights).map(Number));
    const replicas = o.slots.find((s) => s.revision === newest)?.full ?? 1;
    return routeShape(weights, replicas, `${environment}/${service} on target ${this.c.target.name}`);
  }

  private slotOf(o: Observed, environment: string, service: string, revision: number): Slot {
    const slot = o.slots.find((s) => s.revision === revision);
    if (slot === undefined) throw new TargetError('NOT_FOUND', `${environment}/${service} has no r${revision} on target ${this.c.target.name} to give traffic to`, { hint: 'Start the revision first.' });
    return slot;
  }

  /**
   * Promoting the newest revision to the whole route while another still serves waits until all its
   * pods are ready (Argo Rollouts scales the canary up before it shifts): its few pods would carry
   * every request meanwhile. A switch back to an older revision (an abort) is never deferred.
   */
  private deferred(o: Observed, slot: Slot): boolean {
    const newest = Math.max(...o.slots.filter((s) => s.scale > 0).map((s) => s.revision));
    const othersServe = this.selected(o).some((s) => s !== slot && (s.mapped.status.readyReplicas ?? 0) > 0);
    return slot.revision === newest && othersServe && (slot.mapped.status.readyReplicas ?? 0) < slot.full;
  }

  /** Scales first, then patches the selector once: every request meanwhile reaches a ready pod of a revision that has weight. */
  async setWeights(environment: string, service: string, route: RouteName, weights: Readonly<Record<string, number>>): Promise<void> {
    const o = await this.observe(environment, service);
    const shape = this.shape(o, environment, service, route, weights);
    const labels = selectorLabels(service, environment);
    const intent = { [INTENT]: intentOf(weights) };
    if (shape.kind === 'none') return this.c.api.setSelector(this.ns, service, { ...labels, [LABEL.color]: NO_COLOR }, intent);
    if (shape.kind === 'whole') {
      const slot = this.slotOf(o, environment, service, shape.revision);
      if (slot.scale !== slot.full) await this.c.api.scale(this.ns, deploymentName(service, slot.color), slot.full);
      if (this.deferred(o, slot)) return this.c.api.annotateService(this.ns, service, intent);
      return this.c.api.setSelector(this.ns, service, { ...labels, [LABEL.color]: slot.color }, intent);
    }
    for (const [revision, pods] of shape.pods) {
      const slot = this.slotOf(o, environment, service, revision);
      if (slot.scale !== pods) await this.c.api.scale(this.ns, deploymentName(service, slot.color), pods);
    }
    return this.c.api.setSelector(this.ns, service, { ...labels, [LABEL.color]: null }, intent);
  }

  /**
   * Applied once the Service selects what the weights need and its Endpoints list exactly the ready
   * pods the split gives each revision (a whole route: only that revision's pods, one ready at least).
   * `actual` is the ready pods' shares, so a rounded split (10 % of 2 replicas) is applied at 50/50.
   */
  async verifyWeights(environment: string, service: string, route: RouteName, weights: Readonly<Record<string, number>>): Promise<WeightsCheck> {
    const o = await this.observe(environment, service);
    const shape = this.shape(o, environment, service, route, weights);
    const actual = this.weights(o);
    const endpoints = await this.c.api.readEndpoints(this.ns, service);
    const colourOfPod = (name: string | undefined): string | undefined => o.pods.find((p) => p.metadata?.name === name)?.metadata?.labels?.[LABEL.color];
    const ready = (endpoints?.subsets ?? []).flatMap((s) => s.addresses ?? []).map((a) => colourOfPod(a.targetRef?.name));
    const all = (endpoints?.subsets ?? []).flatMap((s) => [...(s.addresses ?? []), ...(s.notReadyAddresses ?? [])]).map((a) => colourOfPod(a.targetRef?.name));
    if (shape.kind === 'none') return { applied: o.selector?.[LABEL.color] === NO_COLOR && all.length === 0, actual };
    if (shape.kind === 'whole') {
      const slot = o.slots.find((s) => s.revision === shape.revision);
      const color = slot?.color;
      if (slot !== undefined && o.selector?.[LABEL.color] !== color && o.intent === intentOf(weights) && !this.deferred(o, slot)) {
        // The switch setWeights deferred: the revision's pods are all ready now.
        await this.c.api.setSelector(this.ns, service, { ...selectorLabels(service, environment), [LABEL.color]: slot.color });
        return { applied: false, actual };
      }
      const applied = o.selector?.[LABEL.color] === color && sameWeights(actual, { [shape.revision]: 100 }) && ready.length > 0 && all.every((c) => c === color);
      return { applied, actual };
    }
    const split = o.selector !== undefined && o.selector[LABEL.color] === undefined;
    const exact = [...shape.pods].every(([revision, pods]) => {
      const slot = o.slots.find((s) => s.revision === revision);
      return slot !== undefined && slot.scale === pods && slot.mapped.status.readyReplicas === pods && ready.filter((c) => c === slot.color).length === pods;
    });
    return { applied: split && exact && ready.length === all.length, actual };
  }

  async stop(environment: string, service: string, revision: number): Promise<void> {
    const o = await this.observe(environment, service);
    const slot = o.slots.find((s) => s.revision === revision);
    if (slot === undefined || slot.scale === 0) return;
    if (this.selected(o).includes(slot)) {
      throw new TargetError('CONFLICT', `r${revision} of ${environment}/${service} still has main traffic (Service ${service} selects its pods)`, { hint: 'Give the main route wholly to another revision first.' });
    }
    // Its template stays: starting the same revision again only scales it back up.
    await this.c.api.scale(this.ns, deploymentName(service, slot.color), 0);
    const selector = `${LABEL.instance}=${service}-${environment},${LABEL.color}=${slot.color}`;
    const deadline = Date.now() + STOP_WAIT_MS;
    while ((await this.c.api.pods(this.ns, selector)).length > 0) {
      if (Date.now() > deadline) {
        throw new TargetError('TARGET_ERROR', `the pods of r${revision} of ${environment}/${service} (${slot.color}) were still terminating after ${STOP_WAIT_MS / 1000} s`, { hint: `Scaled to 0; see kubectl -n ${this.ns} get pods -l ${selector} for what holds them.` });
      }
      await new Promise((resolve) => setTimeout(resolve, STOP_POLL_MS));
    }
  }
}
