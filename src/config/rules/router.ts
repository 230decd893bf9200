import { DEFAULT_TARGET } from '../normalize.js';
import { finding, formatPath } from '../issues.js';
import type { Finding } from '../issues.js';
import { environmentsOf } from './context.js';
import type { ConfigRule } from './rule.js';

/** The placeholders router templates may use; the router fills them per service. */
const PLACEHOLDERS = ['environment', 'service'];

/**
 * An environment's `router: {kind: haproxy}` must be able to reach the replicas it fronts: HAProxy
 * gets the local target's replica ports on this machine's loopback, so only a `local` target (one
 * target, not regions) can be fronted. Its templates use known placeholders, and a canary's header
 * match needs the router's match backend.
 */
export const router: ConfigRule = {
  name: 'router',
  check(config) {
    const found: Finding[] = [];
    for (const [envName, env] of environmentsOf(config)) {
      const r = env.router;
      if (r === undefined || r === 'builtin' || r.kind !== 'haproxy') continue;
      const at = ['environments', envName, 'router'];
      const targetName = env.target ?? DEFAULT_TARGET;
      const kind = config.targets?.[targetName]?.kind ?? (targetName === DEFAULT_TARGET ? 'local' : undefined);
      if (kind !== undefined && kind !== 'local') {
        found.push(
          finding('CONFIG_INVALID_VALUE', [...at, 'kind'], `${formatPath(at)} is haproxy, which fronts replicas on this machine, but ${formatPath(['environments', envName, 'target'])} is ${targetName}, a ${kind} target`, {
            hint: 'Use router: builtin with this target (the default), or deploy the environment to a local target.',
          }),
        );
      }
      if (env.regions !== undefined) {
        found.push(finding('CONFIG_UNSUPPORTED', [...at, 'kind'], `${formatPath(at)} is haproxy, which this version supports for an environment with one target, not with regions`, { hint: 'Remove router (builtin) or regions.' }));
      }
      for (const key of ['backend', 'url', 'matchBackend'] as const) {
        const template = r[key];
        const unknown = [...(template ?? '').matchAll(/\{([^}]*)\}/g)].map((m) => m[1] ?? '').filter((p) => !PLACEHOLDERS.includes(p));
        if (unknown.length > 0) found.push(finding('CONFIG_INVALID_VALUE', [...at, key], `${formatPath([...at, key])} uses {${unknown.join('}, {')}}, which the router cannot fill in`, { hint: 'Use {environment} and {service}.' }));
      }
      if (env.watch?.maxP99 !== undefined) {
        const path = ['environments', envName, 'watch', 'maxP99'];
        found.push(finding('CONFIG_UNSUPPORTED', path, `${formatPath(path)} is not checked with the haproxy router: HAProxy's stats keep no latency histogram`, { severity: 'warning', hint: 'Measure latency with a prometheus analysis metric instead (docs/routers.md).' }));
      }
      const strategy = env.strategy;
      if (typeof strategy === 'object' && strategy.kind === 'canary' && strategy.match !== undefined && r.matchBackend === undefined) {
        const path = ['environments', envName, 'strategy', 'match'];
        found.push(finding('CONFIG_INVALID_VALUE', path, `${formatPath(path)} needs a router that routes by header, but ${formatPath(at)} has no matchBackend`, { hint: 'Add router.matchBackend and the frontend ACL that sends matching requests to it (docs/routers.md), or remove match.' }));
      }
    }
    return found;
  },
};
