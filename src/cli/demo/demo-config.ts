import { parseDocument } from 'yaml';
import { parseConfigText } from '../../config/loader.js';

/**
 * The example's gantry.yaml as the demo's server pins it: pointed at the scratch origin, with the
 * watch windows, load test and scale-down delay shortened so the whole pipeline runs in minutes.
 */
export function demoServerConfig(exampleYaml: string, origin: string, receivers: string): string {
  const doc = parseDocument(exampleYaml);
  // PagerDuty's Events API, played by a local receiver (Slack's webhook URL is a secret, set below).
  doc.setIn(['notifications', 'channels', 'pagerduty', 'url'], `${receivers}/pagerduty/v2/enqueue`);
  doc.setIn(['repository', 'url'], origin);
  doc.setIn(['environments', 'staging', 'watch', 'duration'], '4s');
  doc.setIn(['environments', 'production', 'watch', 'duration'], '4s');
  doc.setIn(['environments', 'production', 'strategy', 'scaleDownDelay'], '1s');
  const verify = doc.getIn(['environments', 'staging', 'verify']) as { items?: Array<{ get(k: string): unknown; set(k: string, v: unknown): void }> } | undefined;
  for (const item of verify?.items ?? []) if (item.get('kind') === 'load') item.set('duration', '2s');
  // The analysis too: three one-second measurements instead of four of thirty seconds.
  const analysis = doc.getIn(['environments', 'staging', 'watch', 'analysis']) as { items?: Array<{ set(k: string, v: unknown): void }> } | undefined;
  for (const item of analysis?.items ?? []) {
    item.set('interval', '1s');
    item.set('count', 3);
  }
  // A free port for the production agent's control API: a demo must not collide with a real one.
  // (The container demo's repository has no prod-agent: its environments share one docker target.)
  if (doc.hasIn(['targets', 'prod-agent'])) doc.deleteIn(['targets', 'prod-agent', 'port']);
  return doc.toString();
}

/**
 * The demo's server config (demoServerConfig's output) with containers: images pushed to the demo's
 * registry (each service's base is looked for there too), and one `docker` target on `engine` that
 * dev, staging and production deploy through; strategies and approvals stay as the example has them.
 */
export function dockerDemoConfig(serverYaml: string, registryHost: string, engine: string): string {
  const doc = parseDocument(serverYaml);
  doc.setIn(['registries', 'main', 'url'], registryHost);
  const services = doc.get('services') as { items?: Array<{ key: unknown; value: unknown }> } | undefined;
  for (const pair of services?.items ?? []) {
    const name = String((pair.key as { value?: unknown } | null)?.value ?? pair.key);
    const base = doc.getIn(['services', name, 'image', 'base']);
    // The same repository and tag, in the demo's registry: `127.0.0.1:5000/volteryde/node-base:20` → `<host>/volteryde/node-base:20`.
    if (typeof base === 'string') doc.setIn(['services', name, 'image', 'base'], `${registryHost}/${base.slice(base.indexOf('/') + 1)}`);
  }
  doc.deleteIn(['targets', 'prod-agent']);
  doc.setIn(['targets', 'docker'], doc.createNode({ kind: 'docker', engine }));
  for (const env of ['dev', 'staging', 'production']) doc.setIn(['environments', env, 'target'], 'docker');
  return doc.toString();
}

/**
 * Per environment, the services its watch judges by their health: users never call them, so the
 * demo's traffic leaves them out too, as real traffic would. Sending them requests would make a
 * watch that could not judge them look as if it could.
 */
export function servicesWithoutTraffic(configYaml: string): Record<string, string[]> {
  const loaded = parseConfigText(configYaml, 'gantry.yaml');
  if (!loaded.ok) return {};
  return Object.fromEntries(
    Object.values(loaded.config.environments).map((e) => [e.name, Object.entries(e.watch?.services ?? {}).filter(([, rule]) => rule.basis === 'health').map(([name]) => name)]),
  );
}

/** Secrets the example's services and targets read; the demo makes up values for them. */
export function demoSecrets(receivers: string): Record<string, string> {
  const random = (): string => Math.random().toString(36).slice(2, 14);
  return {
    GANTRY_SECRET_DATABASE_URL: `postgres://volteryde:${random()}@127.0.0.1:5432/volteryde`,
    GANTRY_SECRET_STRIPE_KEY: `sk_test_${random()}${random()}`,
    GANTRY_SECRET_SLACK_WEBHOOK_URL: `${receivers}/slack/services/${random()}`,
    GANTRY_SECRET_PAGERDUTY_ROUTING_KEY: random() + random(),
    GANTRY_SECRET_PROD_AGENT_TOKEN: `gta_${random()}${random()}`,
  };
}

/** A pricing bug that only shows with production's settings: the smoke test on the green preview catches it. */
export function introduceProductionOnlyBug(appSource: string): string {
  const from = `'POST /api/v1/quotes': ({ body }) => quoteOrBadRequest(body ?? {}),`;
  if (!appSource.includes(from)) throw new Error('the demo expected nest-api/src/app.mjs to have its POST /api/v1/quotes route');
  return appSource.replace(
    from,
    `'POST /api/v1/quotes': ({ body }) => {
        const result = quoteOrBadRequest(body ?? {});
        // A surcharge table that only production loads, with an off-by-one in it.
        if (process.env.VOLTERYDE_ENV === 'production') result.json.fareCents += 1;
        return result;
      },`,
  );
}
