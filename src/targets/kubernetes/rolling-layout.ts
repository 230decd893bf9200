import type { V1Deployment, V1Pod, V1ReplicaSet } from '@kubernetes/client-node';
import { TargetError } from '../../errors/index.js';
import { RevisionPhase, type RevisionSpec, type RouteName, type TargetCapabilities, type WeightsCheck } from '../target.js';
import { sameWeights } from '../weights.js';
import { plainObject } from './kube-api.js';
import { readyShares, wholeRoute, type Layout } from './layout.js';
import { ANNOTATION, LABEL, POD_TEMPLATE_HASH, ROLLOUT_REVISION } from './names.js';
import { applyRevision, applyService, type KubeContext } from './revision-objects.js';
import { replicaSetRevision, rolloutComplete, type MappedRevision } from './revision-status.js';
import { validateManifest, type Manifest } from './validate.js';

interface History {
  readonly deployment: V1Deployment | undefined;
  /** The Deployment's ReplicaSets with what each maps to, newest rollout revision last. */
  readonly sets: Array<{ rs: V1ReplicaSet; mapped: MappedRevision; rollout: number }>;
  readonly pods: V1Pod[];
}

const FAILED: readonly string[] = [RevisionPhase.Failed, RevisionPhase.CrashLoop];

/**
 * Rolling on Kubernetes: one Deployment `<svc>` behind the Service `<svc>`, rolled by the cluster's
 * own RollingUpdate. Each ReplicaSet is a revision (its `gantry.dev/revision`, which the Deployment
 * controller copies from the Deployment); going back to one is `kubectl rollout undo --to-revision`:
 * the Deployment gets that ReplicaSet's pod template and annotations, and the cluster reuses it.
 */
export class RollingLayout implements Layout {
  readonly capabilities: TargetCapabilities = { weightedRouting: false, headerRouting: false, preview: false, rollsItself: true };

  constructor(private readonly c: KubeContext) {}

  serviceName(service: string, route: RouteName): string | undefined {
    return route === 'main' ? service : undefined;
  }

  private get ns(): string {
    return this.c.target.namespace;
  }

  private async history(environment: string, service: string): Promise<History> {
    const selector = `${LABEL.instance}=${service}-${environment}`;
    const [deployment, sets, pods] = await Promise.all([this.c.api.readDeployment(this.ns, service), this.c.api.replicaSets(this.ns, selector), this.c.api.pods(this.ns, selector)]);
    if (deployment === undefined) return { deployment, sets: [], pods };
    const own = sets.filter((rs) => (rs.metadata?.ownerReferences ?? []).some((o) => o.uid === deployment.metadata?.uid));
    const mapped = own.map((rs) => ({ rs, mapped: replicaSetRevision(rs, deployment, pods), rollout: Number(rs.metadata?.annotations?.[ROLLOUT_REVISION] ?? 0) }));
    return { deployment, sets: mapped.sort((a, b) => a.rollout - b.rollout), pods };
  }

  private current(h: History): History['sets'][number] | undefined {
    const revision = h.deployment?.metadata?.annotations?.[ROLLOUT_REVISION];
    return h.sets.find((s) => String(s.rollout) === revision);
  }

  private weights(h: History): Record<string, number> {
    return readyShares(h.sets.map((s) => ({ revision: s.mapped.status.revision, ready: s.mapped.status.readyReplicas ?? 0 })));
  }

  async revisions(environment: string, service: string): Promise<{ revisions: MappedRevision[]; weights: Record<RouteName, Record<string, number>> }> {
    const h = await this.history(environment, service);
    // One entry per Gantry revision: the ReplicaSet that last ran it (an undo reuses the old one).
    const byRevision = new Map(h.sets.map((s) => [s.mapped.status.revision, s.mapped]));
    return { revisions: [...byRevision.values()].sort((a, b) => a.status.revision - b.status.revision), weights: { main: this.weights(h), preview: {} } };
  }

  /** Applies the Deployment with the new template: the cluster rolls it (nothing changes when it already runs it). */
  async start(spec: RevisionSpec): Promise<void> {
    await applyRevision(this.c, spec, undefined);
    if ((await this.c.api.readService(this.ns, spec.service)) === undefined) await applyService(this.c, spec.environment, spec.service, spec.service, undefined);
  }

  async setWeights(environment: string, service: string, route: RouteName, weights: Readonly<Record<string, number>>): Promise<void> {
    if (route !== 'main') throw this.noPreview(service);
    const revision = wholeRoute(this.c.target.name, service, route, weights);
    if (revision === undefined) {
      await this.c.api.scale(this.ns, service, 0);
      return;
    }
    const h = await this.history(environment, service);
    if (this.current(h)?.mapped.status.revision === revision) return;
    const target = [...h.sets].reverse().find((s) => s.mapped.status.revision === revision);
    if (target === undefined || h.deployment === undefined) {
      throw new TargetError('NOT_FOUND', `${environment}/${service} has no ReplicaSet of r${revision} left in its rollout history on target ${this.c.target.name}`, { hint: 'Deploy that release again instead (its ReplicaSet was pruned by revisionHistoryLimit).' });
    }
    await this.undo(h.deployment, target.rs);
  }

  /** `kubectl rollout undo --to-revision`: the ReplicaSet's pod template (minus its hash label) and Gantry's annotations back on the Deployment. */
  private async undo(d: V1Deployment, rs: V1ReplicaSet): Promise<void> {
    const plainRs = plainObject(rs, 'apps/v1', 'ReplicaSet') as { spec: { template: { metadata?: { labels?: Record<string, string> } } } };
    const template = plainRs.spec.template;
    if (template.metadata?.labels) delete template.metadata.labels[POD_TEMPLATE_HASH];
    const plainD = plainObject(d, 'apps/v1', 'Deployment') as { spec: Record<string, unknown>; metadata: { labels?: Record<string, string> } };
    const keep = Object.values(ANNOTATION);
    const annotations = Object.fromEntries(Object.entries(rs.metadata?.annotations ?? {}).filter(([k]) => keep.includes(k as (typeof keep)[number])));
    const { replicas, selector, strategy, progressDeadlineSeconds } = plainD.spec;
    const manifest: Manifest = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: d.metadata?.name ?? '', namespace: this.ns, ...(plainD.metadata.labels ? { labels: plainD.metadata.labels } : {}), annotations } as Manifest['metadata'],
      spec: { replicas: replicas === 0 ? (rs.spec?.replicas ?? 0) || 1 : replicas, selector, strategy, progressDeadlineSeconds, template },
    } as Manifest;
    await this.c.api.apply(validateManifest(manifest));
  }

  /** Applied once the asked revision's ReplicaSet is the current one and its rollout completed; a revision whose pods fail rejects. */
  async verifyWeights(environment: string, service: string, route: RouteName, weights: Readonly<Record<string, number>>): Promise<WeightsCheck> {
    if (route !== 'main') throw this.noPreview(service);
    const h = await this.history(environment, service);
    const actual = this.weights(h);
    const revision = wholeRoute(this.c.target.name, service, route, weights);
    if (revision === undefined) return { applied: h.deployment?.spec?.replicas === 0 && h.pods.length === 0, actual };
    const current = this.current(h);
    if (current?.mapped.status.revision !== revision || h.deployment === undefined) return { applied: false, actual };
    const status = current.mapped.status;
    if (FAILED.includes(status.phase)) {
      throw new TargetError('TARGET_ERROR', `r${revision} of ${environment}/${service} will not become ready: ${status.lastError ?? status.phase}`, { hint: `Read its pods' logs: gantry logs ${environment} ${service} --revision ${revision}.` });
    }
    return { applied: rolloutComplete(h.deployment) && sameWeights(actual, weights), actual };
  }

  /** A revision that is not the Deployment's current one is history already; the current one only when none of its pods serves. */
  async stop(environment: string, service: string, revision: number): Promise<void> {
    const h = await this.history(environment, service);
    const current = this.current(h);
    if (h.deployment === undefined || current?.mapped.status.revision !== revision || h.deployment.spec?.replicas === 0) return;
    if ((current.mapped.status.readyReplicas ?? 0) > 0) {
      throw new TargetError('CONFLICT', `r${revision} of ${environment}/${service} is the Deployment's current revision and still serves (${current.mapped.status.readyReplicas ?? 0} ready pods)`, { hint: 'Roll back to another revision first.' });
    }
    const before = [...h.sets].reverse().find((s) => s !== current && s.mapped.status.revision !== revision);
    if (before === undefined) await this.c.api.scale(this.ns, service, 0);
    else await this.undo(h.deployment, before.rs);
  }

  private noPreview(service: string): TargetError {
    return new TargetError('TARGET_CAPABILITY_MISSING', `the rolling layout of ${service} on target ${this.c.target.name} has no preview route`, { hint: 'Blue-green environments get a preview Service; rolling ones only the main one.' });
  }
}
