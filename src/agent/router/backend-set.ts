import type { Pool } from 'undici';
import { TargetError } from '../../errors/index.js';
import type { BackendHealth } from './backend-health.js';
import type { TrafficCounters } from './traffic-counters.js';
import type { Backend } from './types.js';
import { parseMatchRule, type MatchRule } from './match-rule.js';
import { WeightedPicker } from './weighted-picker.js';

/** A backend as the hot path needs it: its pool, its counters and where to open raw sockets. */
export interface BackendEntry {
  readonly backend: Backend;
  readonly pool: Pool;
  readonly counters: TrafficCounters;
  readonly hostname: string;
  readonly port: number;
  /** Passive health, kept per backend id across sets (outlier-detector.ts). */
  readonly health: BackendHealth;
  /** The set has another backend to turn to: failures are counted, waits tracked, retries possible. */
  readonly tracked: boolean;
}

/** Whether a set of these backends gives a choice: two or more with a weight above zero. */
export const offersChoice = (backends: readonly Backend[]): boolean => backends.filter((b) => b.weight > 0).length >= 2;

/**
 * One immutable generation of a route's backends. A route swaps the whole set in one assignment,
 * which is what makes a switch atomic: a request reads the set once, picks, and dispatches in the
 * same tick, so it never sees half of an update.
 */
export class BackendSet {
  private readonly picker: WeightedPicker<BackendEntry>;
  /** The backends matched requests go to, and their rule (one per set: the agent gives one revision's replicas). */
  readonly match: { readonly rule: MatchRule; readonly picker: WeightedPicker<BackendEntry> } | undefined;

  constructor(readonly entries: readonly BackendEntry[]) {
    this.picker = new WeightedPicker(entries.map((entry) => ({ item: entry, weight: entry.backend.weight })));
    const matched = entries.filter((entry) => entry.backend.match !== undefined);
    const rule = matched[0]?.backend.match;
    this.match = rule === undefined ? undefined : { rule, picker: new WeightedPicker(matched.map((entry) => ({ item: entry, weight: 1 }))) };
  }

  /** A backend for a request that matched the rule; undefined when all of them are ejected (the weighted pick then serves it). */
  pickMatched(): BackendEntry | undefined {
    const entry = this.match?.picker.pick();
    return entry !== undefined && !entry.health.ejected ? entry : undefined;
  }

  /** The next backend by weight, passing over ejected ones unless every one is (then any beats a 503). */
  pick(): BackendEntry | undefined {
    const first = this.picker.pick();
    if (first === undefined || !first.health.ejected) return first;
    for (let i = 1; i < this.entries.length; i++) {
      const next = this.picker.pick();
      if (next !== undefined && !next.health.ejected) return next;
    }
    // Skewed weights (95/5) may not bring the small one round in a few picks.
    return this.serving(first) ?? first;
  }

  /** A backend other than `failed` for a retry, by weight and not ejected; undefined when there is none. */
  pickOther(failed: BackendEntry): BackendEntry | undefined {
    for (let i = 0; i <= this.entries.length; i++) {
      const next = this.picker.pick();
      if (next === undefined) return undefined;
      if (next !== failed && next.backend.url !== failed.backend.url && !next.health.ejected) return next;
    }
    return this.serving(failed);
  }

  /** Any backend with a weight that is not ejected and not `except` (nor at its url). */
  private serving(except: BackendEntry): BackendEntry | undefined {
    return this.entries.find((e) => e.backend.weight > 0 && !e.health.ejected && e !== except && e.backend.url !== except.backend.url);
  }
}

export const EMPTY_BACKEND_SET = new BackendSet([]);

/** A backend list checked as a whole; nothing changes unless all of it is valid. */
export function validateBackends(routeId: string, backends: readonly Backend[]): Backend[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  const valid: Backend[] = [];
  backends.forEach((b, i) => {
    const at = `backends[${i}]`;
    if (typeof b.id !== 'string' || b.id === '' || /[^\x21-\x7e]/.test(b.id)) {
      problems.push(`${at}.id must be a non-empty string of visible ASCII (it is sent as a header)`);
    } else if (seen.has(b.id)) {
      problems.push(`${at}.id "${b.id}" appears twice`);
    }
    seen.add(b.id);
    if (typeof b.weight !== 'number' || !Number.isFinite(b.weight) || b.weight < 0 || b.weight > 100) {
      problems.push(`${at}.weight must be a number from 0 to 100, got ${String(b.weight)}`);
    }
    const url = parseOrigin(b.url);
    if (url === undefined) problems.push(`${at}.url must be an http origin like http://127.0.0.1:8080, got "${String(b.url)}"`);
    else if (b.match !== undefined && parseMatchRule(b.match) === undefined) problems.push(`${at}.match must be { header, value } or { cookie, value }`);
    else valid.push(Object.freeze({ id: b.id, url: url.origin, weight: b.weight, ...(b.match === undefined ? {} : { match: parseMatchRule(b.match) as MatchRule }) }));
  });
  if (problems.length > 0) {
    throw new TargetError('BAD_REQUEST', `invalid backends for route ${routeId}: ${problems.join('; ')}`, {
      where: `route ${routeId}`,
      hint: 'Give each backend a unique id, an http://host:port url and a weight from 0 to 100.',
      details: { problems },
    });
  }
  return valid;
}

function parseOrigin(value: unknown): URL | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    const url = new URL(value);
    const originOnly = (url.pathname === '/' || url.pathname === '') && url.search === '' && url.hash === '' && url.username === '';
    return url.protocol === 'http:' && originOnly ? url : undefined;
  } catch {
    return undefined;
  }
}

/** Host and port for raw sockets (WebSocket tunnels); IPv6 literals lose their brackets. */
export function socketAddress(origin: string): { hostname: string; port: number } {
  const url = new URL(origin);
  return { hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: url.port === '' ? 80 : Number(url.port) };
}
