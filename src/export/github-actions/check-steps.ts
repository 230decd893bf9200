import type { HealthConfig, ServiceConfig, SmokeConfig } from '../../config/types.js';
import { shellQuote, urlVariable, type Step } from './workflow.js';

/**
 * The checks Gantry runs against a deployed service, as shell steps with curl and jq (both on
 * GitHub's ubuntu runners). Each reads the service's base URL from a GitHub environment variable
 * (`vars.NEST_API_URL`): Gantry knows where its target serves, a workflow has to be told.
 */

/** The response body of the last request, for the body and JSON checks. */
const BODY = '"$RUNNER_TEMP/response"';

const fail = (message: string): string => `{ echo ${shellQuote(`::error::${message}`)}; exit 1; }`;

/** Fails the step with a clear message when the variable is not set for this GitHub environment. */
function baseUrl(service: string): string {
  const name = urlVariable(service);
  return `url="\${${name}:?set the GitHub environment variable ${name} to where ${service} is reached}"`;
}

const urlEnv = (service: string): Record<string, string> => ({ [urlVariable(service)]: `\${{ vars.${urlVariable(service)} }}` });

const seconds = (ms: number): string => String(Math.round(ms / 100) / 10);

/** Polls the health path until it answers expectStatus, at most health.deadline: Gantry's readiness check. */
export function healthStep(service: ServiceConfig, label = 'healthy'): Step {
  const h: HealthConfig = service.health;
  return {
    name: `${service.name}: ${label} (${h.path} answers ${h.expectStatus})`,
    env: urlEnv(service.name),
    run: [
      baseUrl(service.name),
      `deadline=$(( $(date +%s) + ${Math.ceil(h.deadlineMs / 1000)} ))`,
      `until [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time ${seconds(h.timeoutMs)} "$url"${shellQuote(h.path)})" = ${h.expectStatus} ]; do`,
      `  [ "$(date +%s)" -lt "$deadline" ] || ${fail(`${service.name} did not answer ${h.expectStatus} on ${h.path} within ${Math.ceil(h.deadlineMs / 1000)}s`)}`,
      `  sleep ${seconds(h.intervalMs)}`,
      'done',
    ].join('\n'),
  };
}

function request(t: SmokeConfig): string {
  const method = t.method === 'HEAD' ? '--head' : `-X ${t.method}`;
  const body = t.body === undefined ? '' : ` -H 'content-type: application/json' --data-raw ${shellQuote(t.body)}`;
  return `status=$(curl -s -o ${BODY} -w '%{http_code}' --max-time 10 ${method}${body} "$url"${shellQuote(t.path)})`;
}

/** One smoke test: the request, then its expected status, body text and JSON field, as Gantry checks them. */
export function smokeStep(service: string, t: SmokeConfig): Step {
  const what = `smoke test "${t.name}" ${t.method} ${t.path}`;
  const lines = [baseUrl(service), request(t), `[ "$status" = ${t.expectStatus} ] || ${fail(`${what}: expected status ${t.expectStatus}`)}`];
  if (t.expectBody !== undefined) lines.push(`grep -qF -- ${shellQuote(t.expectBody)} ${BODY} || ${fail(`${what}: the body does not contain ${t.expectBody}`)}`);
  if (t.expectJson !== undefined) {
    const { field, equals } = t.expectJson;
    lines.push(`jq -e --argjson want ${shellQuote(JSON.stringify(equals))} ${shellQuote(`.[${JSON.stringify(field)}] == $want`)} ${BODY} > /dev/null || ${fail(`${what}: ${field} is not ${JSON.stringify(equals)}`)}`);
  }
  return { name: `${service}: ${what}`, env: urlEnv(service), run: lines.join('\n') };
}

export const smokeSteps = (service: ServiceConfig): Step[] => service.smoke.map((t) => smokeStep(service.name, t));
