import type Docker from 'dockerode';
import type { ApiClient } from '../client.js';
import type { Output } from '../output.js';

interface DeploymentView {
  revision: number;
  release: string;
  /** The release's artifact (bundle) digest: what the promotion policy compares between environments. */
  digest: string;
  runId: number | null;
  state: string;
}
interface StepSummaryView {
  kind: string;
  service: string | null;
  environment: string | null;
  state: string;
  summary: { revision?: number; image?: string } | null;
}

/** What the docker demo adds to the summary: the digests each environment runs, and the containers left running. */
export interface ImagesSummary {
  /** environment → service → the image digest its live deployment runs (from the deploy step that made it). */
  digests: Record<string, Record<string, string | null>>;
  /** service → whether production runs the digest staging verified for the same release. */
  productionMatchesStaging: Record<string, { production: string | null; stagingVerified: string | null; same: boolean }>;
  /** The containers running at the end (id, name, image reference), as `docker ps` shows them. */
  containers: Array<{ id: string; name: string; image: string; state: string }>;
}

const digestOf = (ref: string | undefined): string | null => (ref && ref.includes('@') ? ref.slice(ref.lastIndexOf('@') + 1) : null);

/** The demo's containers on the engine now, by Gantry's labels (those that were there before the demo are left out). */
export async function demoContainers(docker: Docker, before: ReadonlySet<string>): Promise<Array<{ id: string; name: string; image: string; state: string }>> {
  const listed = await docker.listContainers({ all: true, filters: { label: ['gantry.environment'] } });
  return listed
    .filter((c) => !before.has(c.Id))
    .map((c) => ({ id: c.Id, name: (c.Names[0] ?? c.Id).replace(/^\//, ''), image: c.Image, state: c.State }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Reads the deployments and the engine; every mismatch goes to `problems`. */
export class DemoImages {
  private readonly runSteps = new Map<number, StepSummaryView[]>();

  constructor(
    private readonly client: ApiClient,
    private readonly docker: Docker,
    /** Containers that were on the engine before the demo: never reported, never removed. */
    private readonly before: ReadonlySet<string>,
  ) {}

  /** The image digest a deployment was recorded with: its deploy step's summary names the image by digest. */
  private async recorded(environment: string, service: string, d: DeploymentView): Promise<string | null> {
    if (d.runId === null) return null;
    let steps = this.runSteps.get(d.runId);
    if (!steps) {
      steps = (await this.client.request<{ steps: StepSummaryView[] }>('GET', `/api/v1/runs/${d.runId}`)).steps;
      this.runSteps.set(d.runId, steps);
    }
    const step = steps.find((s) => s.kind === 'deploy' && s.environment === environment && s.service === service && s.summary?.revision === d.revision);
    return digestOf(step?.summary?.image);
  }

  async summarize(services: readonly string[], environments: readonly string[], problems: string[]): Promise<ImagesSummary> {
    const running = await demoContainers(this.docker, this.before);
    const digests: ImagesSummary['digests'] = {};
    const live: Record<string, Record<string, DeploymentView | undefined>> = {};
    const { environments: views } = await this.client.request<{ environments: Array<{ name: string; services: Array<{ service: string; live: DeploymentView | null }> }> }>('GET', '/api/v1/environments');
    for (const env of views.filter((e) => environments.includes(e.name))) {
      digests[env.name] = {};
      live[env.name] = {};
      for (const s of env.services) {
        const d = s.live ?? undefined;
        (live[env.name] as Record<string, DeploymentView | undefined>)[s.service] = d;
        // The container of the live revision says what really runs; the record says what Gantry deployed.
        const container = d ? running.find((c) => c.name === `gantry-${env.name}-${s.service}-r${d.revision}` || c.name.startsWith(`gantry-${env.name}-${s.service}-r${d.revision}-`)) : undefined;
        const inContainer = digestOf(container?.image);
        const recorded = d ? ((await this.recorded(env.name, s.service, d)) ?? inContainer) : null;
        if (d && !container) problems.push(`${env.name}/${s.service}: no container runs its live revision r${d.revision}`);
        else if (inContainer !== recorded) problems.push(`${env.name}/${s.service}: the container runs ${inContainer ?? 'no digest'}, Gantry recorded ${recorded ?? 'none'}`);
        (digests[env.name] as Record<string, string | null>)[s.service] = recorded;
      }
    }
    const productionMatchesStaging: ImagesSummary['productionMatchesStaging'] = {};
    for (const service of services) {
      const prod = live['production']?.[service];
      const production = digests['production']?.[service] ?? null;
      // The staging deployment that succeeded with the artifact production runs (what the promotion policy checked):
      // each merge is its own commit, so staging's release and production's differ, their artifacts do not.
      const { deployments } = await this.client.request<{ deployments: DeploymentView[] }>('GET', `/api/v1/environments/staging/history?service=${encodeURIComponent(service)}&limit=500`);
      const verified = prod ? deployments.find((d) => d.digest === prod.digest && d.state === 'succeeded') : undefined;
      const stagingVerified = verified ? await this.recorded('staging', service, verified) : null;
      const same = production !== null && production === stagingVerified;
      if (!same) problems.push(`production/${service} runs ${production ?? 'no image'}, staging verified ${stagingVerified ?? 'none'} for its release`);
      productionMatchesStaging[service] = { production, stagingVerified, same };
    }
    return { digests, productionMatchesStaging, containers: running.filter((c) => c.state === 'running') };
  }
}

/** The summary's images part, for a terminal. */
export function printImagesSummary(out: Output, log: (text: string) => void, s: ImagesSummary): void {
  const short = (d: string | null): string => (d === null ? '-' : `${d.slice(0, 19)}…`);
  log(out.paint('bold', '\nImages (by digest)'));
  log(`   ${'service'.padEnd(18)} ${'dev'.padEnd(21)} ${'staging'.padEnd(21)} production`);
  for (const service of Object.keys(s.productionMatchesStaging)) {
    log(`   ${service.padEnd(18)} ${short(s.digests['dev']?.[service] ?? null).padEnd(21)} ${short(s.digests['staging']?.[service] ?? null).padEnd(21)} ${short(s.digests['production']?.[service] ?? null)}`);
  }
  const all = Object.values(s.productionMatchesStaging);
  const same = all.filter((m) => m.same).length;
  log(same === all.length ? out.paint('green', `   production runs the digests staging verified: ${same}/${all.length} services, same digest`) : out.paint('red', `   production runs digests staging did not verify: ${all.length - same} of ${all.length} services`));
  log(`   containers running (${s.containers.length}): ${s.containers.map((c) => c.name).join(', ')}`);
}
