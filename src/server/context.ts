import type { GantryConfig } from '../config/types.js';
import type { Clock } from '../kernel/clock.js';
import type { TrafficSource } from '../metrics/router-metrics.js';
import type { ConfigAcceptance } from '../engine/config-acceptance.js';
import type { Engine } from '../engine/engine.js';
import type { Logger } from '../kernel/logger.js';
import type { SecretStore } from '../secrets/secret-store.js';
import type { PullRequestCiResult, PullRequestHead } from '../sources/github/pull-request-ci.js';
import type { Store } from '../store/store.js';
import type { ServiceStatus, Target } from '../targets/target.js';
import type { AgentView } from './agent-views.js';
import type { Principal } from './auth.js';

/** What the routes need, and nothing more: they never reach the executor or git directly. */
export interface ServerContext {
  readonly store: Store;
  readonly engine: Engine;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly version: string;
  /** The server's pinned gantry.yaml. */
  readonly config: () => GantryConfig;
  /** Per-revision router counters of the agents that run, for /metrics. */
  readonly routerTraffic?: TrafficSource;
  /** The encrypted secret store; absent when the server was given another secret source. */
  readonly secrets?: SecretStore;
  /** What the environment's target runs now (revisions, phases, weights); undefined while its agent is not running. */
  readonly describeEnvironment?: (environment: string) => Promise<readonly ServiceStatus[] | undefined>;
  /** The environment's target (or the named one of its regions) if it already runs (never started for an observer): what `gantry status` reads its events from. */
  readonly observeTarget?: (environment: string, target?: string) => Promise<Target | undefined>;
  /** The last lines a revision wrote, from the environment's target; undefined while the target is not running (never starts it). */
  readonly revisionLogs?: (environment: string, service: string, revision: number, lines: number) => Promise<string[] | undefined>;
  /** Every local target's agent as the agent watch last saw it, with its last restart from the audit log. */
  readonly agents?: () => Promise<readonly AgentView[]>;
  /** The built dashboard's folder (index.html and assets); without one, `/` says how to build it. */
  readonly webRoot?: string;
  /** Where the pinned config's guard rules come from, and an admin accepting a commit's (gantry config). */
  readonly configAcceptance?: ConfigAcceptance;
  /** Asks the source watcher to look at the repository now. */
  readonly notifySource: () => void;
  /** CI of a GitHub pull request's head, asked by the webhook; absent: pull requests are only recorded. */
  readonly pullRequestCi?: (pr: PullRequestHead) => Promise<PullRequestCiResult>;
  /**
   * Fastify's `trustProxy`: which reverse proxies' X-Forwarded-For to believe, so the failed-login
   * throttle and the audit log see the client's address rather than the proxy's. Default: none.
   */
  readonly trustProxy?: boolean | string | number;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}
