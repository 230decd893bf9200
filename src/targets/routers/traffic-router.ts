import type { Endpoint, RevisionStatus, RevisionTraffic, RouteMatch, WeightsCheck } from '../target.js';

/**
 * What applies an environment's main-route weights when it is not the target's own router
 * (`router:` in gantry.yaml): one instance per environment. The target keeps running the
 * revisions; the router is told their replicas (from the target's describe()) on every call, so a
 * replica restarted on another port is followed. RoutedTarget (routed-target.ts) puts one in front
 * of a target. Every router passes test/support/router-suite.ts.
 */
export interface TrafficRouter {
  /** Header routing needs a second backend the user's frontend picks by header (haproxy: router.matchBackend). */
  readonly headerRouting: boolean;
  /** Applies the weights (0–100 per revision) in one step as far as the router allows. */
  setWeights(service: string, revisions: readonly RevisionStatus[], weights: Readonly<Record<string, number>>): Promise<void>;
  /** Whether the router serves exactly these weights over these replicas now, and what it serves. */
  verifyWeights(service: string, revisions: readonly RevisionStatus[], weights: Readonly<Record<string, number>>): Promise<WeightsCheck>;
  /** Revision → weight the router serves now (zero weights left out). */
  weights(service: string): Promise<Record<string, number>>;
  /** Sends matched requests to the match's revision (null: to none); only when headerRouting. */
  setMatch(service: string, revisions: readonly RevisionStatus[], match: RouteMatch | null): Promise<void>;
  /** The match rule in force, when the router knows it. */
  match(service: string): Promise<RouteMatch | undefined>;
  /** Where users (and the control plane's checks) reach the service's main route through the router. */
  endpoint(service: string): Endpoint;
  /** The router's own per-revision counters of the service's main route. */
  traffic(service: string): Promise<RevisionTraffic[]>;
}
