import { existsSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { seal, unsealText, type Envelope, type SecretKey } from '../secrets/crypto.js';
import type { ServedRoute } from '../targets/local/route-layout.js';
import type { RevisionSpec, RouteMatch, RouteName } from '../targets/target.js';
import { withSecretKeys, type IncomingRevisionSpec } from './revision-secrets.js';

export interface PersistedRevision {
  readonly spec: RevisionSpec;
  readonly ports: number[];
  /** Process group ids when last written, so a restarted agent can stop what its predecessor left. */
  readonly pids: number[];
  /** The start time of each (/proc field 22), so the next agent adopts only the very process recorded; absent in files of older agents. */
  readonly startTimes?: Array<number | null>;
}

export interface PersistedService {
  readonly environment: string;
  readonly service: string;
  readonly revisions: PersistedRevision[];
  readonly weights: Record<RouteName, Record<string, number>>;
  /** The main route's match rule (a canary for testers); absent when none is set. */
  readonly match?: RouteMatch;
  /** The route as the control plane last told it (ports, limit); absent in files of agents that read gantry.yaml themselves. */
  readonly route?: ServedRoute;
}

/**
 * On disk a revision's env (secrets among it) is sealed with the agent's state key; `spec.env` is
 * left empty. A file written before `secretKeys` existed has specs without it.
 */
interface StoredRevision extends Omit<PersistedRevision, 'spec'> {
  readonly spec: IncomingRevisionSpec;
  readonly sealedEnv?: Envelope;
  /** The registry credentials of a container revision (RevisionSpec.pullAuth), sealed like env; never in `spec`. */
  readonly sealedPullAuth?: Envelope;
}

interface StoredService extends Omit<PersistedService, 'revisions'> {
  readonly revisions: StoredRevision[];
}

const envContext = (spec: Pick<RevisionSpec, 'environment' | 'service' | 'revision'>): string => `gantry-agent-env:${spec.environment}/${spec.service}/r${spec.revision}`;

/**
 * The agent's own memory across restarts: written whole, via a temp file and rename, so it is never
 * half written. Revision env values are sealed (AES-256-GCM) with `key`, so no secret is on disk in
 * plain text; a file written before sealing existed (plain `spec.env`) still loads, and so does one
 * written before `secretKeys` existed (every env value is then taken for a secret).
 */
export class AgentStateFile {
  constructor(private readonly file: string, private readonly key: SecretKey) {}

  async read(): Promise<PersistedService[]> {
    if (!existsSync(this.file)) return [];
    const parsed = JSON.parse(await readFile(this.file, 'utf8')) as { services?: StoredService[] };
    return (parsed.services ?? []).map((s) => ({
      ...s,
      revisions: s.revisions.map(({ sealedEnv, sealedPullAuth, ...r }) => ({
        ...r,
        spec: withSecretKeys({
          ...(sealedEnv ? { ...r.spec, env: JSON.parse(unsealText(this.key, sealedEnv, envContext(r.spec))) as Record<string, string> } : r.spec),
          ...(sealedPullAuth ? { pullAuth: JSON.parse(unsealText(this.key, sealedPullAuth, `${envContext(r.spec)}:pull-auth`)) as { username: string; password: string } } : {}),
        }),
      })),
    }));
  }

  async write(services: PersistedService[]): Promise<void> {
    const stored: StoredService[] = services.map((s) => ({
      ...s,
      revisions: s.revisions.map((r) => {
        const { pullAuth, ...spec } = r.spec;
        return {
          ...r,
          spec: { ...spec, env: {} },
          sealedEnv: seal(this.key, JSON.stringify(r.spec.env), envContext(r.spec)),
          ...(pullAuth ? { sealedPullAuth: seal(this.key, JSON.stringify(pullAuth), `${envContext(r.spec)}:pull-auth`) } : {}),
        };
      }),
    }));
    const temp = `${this.file}.${process.pid}.tmp`;
    await writeFile(temp, JSON.stringify({ version: 2, services: stored }, null, 2), { mode: 0o600 });
    await rename(temp, this.file);
  }
}
