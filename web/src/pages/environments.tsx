import { useEffect, useState } from 'react';
import type { Deployment, Environment, EnvironmentStatus, PendingApproval, Run, ServiceStatus } from '../api/types';
import { AgentsPanel } from '../components/agents-panel';
import { Empty, Loading, PageTitle, Problem, StateBadge, TableBox } from '../components/bits';
import { ago, shortSha } from '../components/format';
import { trafficChips } from '../components/traffic';
import { useSession } from '../live/session';
import { useLiveVersion, useResource } from '../live/use-resource';

/** While something deploys, what the agents report (weights, phases) is read this often. */
const BUSY_POLL_MS = 1_000;
const IDLE_POLL_MS = 10_000;

/** The traffic of one service: its revisions with their weights, blue and green during a switch. */
function Strategy({ status, strategy }: { status: ServiceStatus | undefined; strategy: string }) {
  if (!status) return <span className="muted">agent not running</span>;
  const chips = trafficChips(status.weights, strategy);
  return (
    <div className="weights" aria-label="traffic">
      {chips.every((c) => c.route !== 'main') ? <span className="muted">no traffic</span> : null}
      {chips.map((c) => (
        <span key={`${c.route}${c.revision}`} className={`weight ${c.route === 'preview' ? 'preview ' : ''}${c.colour ?? ''}`} data-route={c.route} data-revision={c.revision} data-weight={c.weight}>
          {c.label}
        </span>
      ))}
    </div>
  );
}

function Health({ status, live }: { status: ServiceStatus | undefined; live: Deployment | null }) {
  const serving = status?.revisions.filter((r) => (status.weights.main[String(r.revision)] ?? 0) > 0) ?? [];
  if (!status || serving.length === 0) return live ? <span className="muted">unknown</span> : null;
  return (
    <>
      {serving.map((r) => (
        <span key={r.revision} title={r.lastError ?? `${r.restarts} restarts`}>
          <StateBadge state={r.phase} />
        </span>
      ))}
    </>
  );
}

interface CellProps {
  readonly env: Environment;
  readonly service: string;
  readonly status: EnvironmentStatus | undefined;
  readonly approvals: readonly PendingApproval[];
}

/** One service in each region of an environment with regions: the region's live revision and its health there. */
function RegionStates({ env, service, status, approvals }: CellProps) {
  return (
    <>
      {(env.regions ?? []).map((r) => {
        const live = r.services.find((s) => s.service === service)?.live ?? null;
        const reported = status?.regions?.find((x) => x.region === r.region);
        const described = reported?.reachable ? reported.services.find((s) => s.service === service) : undefined;
        return (
          <div key={r.region} className="region" data-region={r.region} data-revision={live?.revision ?? ''}>
            <span className="muted small">{r.region}</span>{' '}
            {live ? (
              <>
                <a href={`#/runs/${live.runId ?? ''}`} className="release" title={live.digest}>
                  {shortSha(live.release)}
                </a>{' '}
                <span className="revision">r{live.revision}</span> <StateBadge state={live.state} />
              </>
            ) : (
              <span className="muted">not deployed</span>
            )}
            <Strategy status={described} strategy={env.strategy} />
            <Health status={described} live={live} />
          </div>
        );
      })}
      {approvals.length > 0 ? (
        <a className="pending small" href="#/approvals">
          {approvals.length} waiting for approval
        </a>
      ) : null}
    </>
  );
}

/** One service in one environment: what is live, its traffic and health, when and by whom, what waits. */
function ServiceState(props: CellProps) {
  if (props.env.regions) return <RegionStates {...props} />;
  const { env, service, status, approvals } = props;
  const live = env.services.find((s) => s.service === service)?.live ?? null;
  // A target that does not answer still lists the services (with Gantry's records): shown as not running.
  const described = status?.reachable ? status.services.find((s) => s.service === service) : undefined;
  return (
    <>
      {live ? (
        <div>
          <a href={`#/runs/${live.runId ?? ''}`} className="release" title={live.digest}>
            {shortSha(live.release)}
          </a>{' '}
          <span className="revision">r{live.revision}</span> <StateBadge state={live.state} />
        </div>
      ) : (
        <div className="muted">not deployed</div>
      )}
      <Strategy status={described} strategy={env.strategy} />
      <div>
        <Health status={described} live={live} />
      </div>
      {live ? (
        <div className="muted small">
          {ago(live.finishedAt ?? live.createdAt)} by {live.triggeredBy}
        </div>
      ) : null}
      {approvals.length > 0 ? (
        <a className="pending small" href="#/approvals">
          {approvals.length} waiting for approval
        </a>
      ) : null}
    </>
  );
}

function Cell(props: CellProps) {
  if (!props.env.services.some((s) => s.service === props.service)) return <td className="na">—</td>;
  return (
    <td className="cell" data-env={props.env.name} data-service={props.service}>
      <ServiceState {...props} />
    </td>
  );
}

const envSummary = (env: Environment): string => `${env.branch} · ${env.strategy}${env.approvals > 0 ? ` · ${env.approvals} approvals` : ''}`;

/** On a phone the matrix becomes one card per environment, its services one under the other. */
function useNarrow(): boolean {
  const query = '(max-width: 640px)';
  const [narrow, setNarrow] = useState(() => matchMedia(query).matches);
  useEffect(() => {
    const list = matchMedia(query);
    const onChange = (): void => setNarrow(list.matches);
    list.addEventListener('change', onChange);
    return () => list.removeEventListener('change', onChange);
  }, []);
  return narrow;
}

/**
 * What each environment's agent runs now. Read again on every change the server announces, and
 * polled while a run deploys there, because a switch's weights move inside one step.
 */
function useStatuses(names: readonly string[], busy: boolean): ReadonlyMap<string, EnvironmentStatus> {
  const { api } = useSession();
  const [statuses, setStatuses] = useState<ReadonlyMap<string, EnvironmentStatus>>(new Map());
  const { version } = useLiveVersion({ when: () => true, pollMs: busy ? BUSY_POLL_MS : IDLE_POLL_MS });
  const key = names.join(',');
  useEffect(() => {
    const stop = new AbortController();
    const list = key === '' ? [] : key.split(',');
    Promise.all(list.map((name) => api.get<EnvironmentStatus>(`api/v1/environments/${name}/status`, stop.signal)))
      .then((all) => setStatuses(new Map(all.map((s) => [s.environment, s]))))
      .catch(() => undefined);
    return () => stop.abort();
  }, [api, key, version]);
  return statuses;
}

export function EnvironmentsPage() {
  const environments = useResource<{ environments: Environment[] }>('api/v1/environments', { when: (c) => c.type === 'run' });
  const approvals = useResource<{ approvals: PendingApproval[] }>('api/v1/approvals', { when: () => true });
  const active = useResource<{ runs: Run[] }>('api/v1/runs?state=running&limit=50', { when: (c) => c.type === 'run' });
  const narrow = useNarrow();
  const names = environments.data?.environments.map((e) => e.name) ?? [];
  const statuses = useStatuses(names, (active.data?.runs ?? []).some((r) => r.environment !== null));
  if (environments.error) return <Problem problem={environments.error} title="Environments could not be read" />;
  if (!environments.data) return <Loading what="environments" />;
  const envs = environments.data.environments;
  const services = [...new Set(envs.flatMap((e) => e.services.map((s) => s.service)))];
  const pendingIn = (env: string): PendingApproval[] => (approvals.data?.approvals ?? []).filter((a) => a.environment === env);
  return (
    <>
      <PageTitle>Environments</PageTitle>
      {envs.length === 0 ? <Empty>gantry.yaml declares no environment.</Empty> : null}
      {narrow ? (
        envs.map((env) => (
          <section key={env.name} className="card env-card" aria-labelledby={`env-${env.name}`}>
            <h2 id={`env-${env.name}`}>
              {env.name} <span className="muted small">{envSummary(env)}</span>
            </h2>
            {env.services.map(({ service }) => (
              <div key={service} className="env-service" data-env={env.name} data-service={service}>
                <h3>{service}</h3>
                <ServiceState env={env} service={service} status={statuses.get(env.name)} approvals={pendingIn(env.name)} />
              </div>
            ))}
          </section>
        ))
      ) : (
        <TableBox label="Services by environment">
          <table className="matrix">
            <thead>
              <tr>
                <th scope="col">Service</th>
                {envs.map((env) => (
                  <th scope="col" key={env.name}>
                    <div>{env.name}</div>
                    <div className="muted small">{envSummary(env)}</div>
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {services.map((service) => (
                <tr key={service}>
                  <th scope="row">{service}</th>
                  {envs.map((env) => (
                    <Cell key={env.name} env={env} service={service} status={statuses.get(env.name)} approvals={pendingIn(env.name)} />
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </TableBox>
      )}
      <AgentsPanel />
      {(active.data?.runs ?? []).length > 0 ? (
        <section>
          <h2>Deploying now</h2>
          <ul className="plain">
            {(active.data?.runs ?? []).map((r) => (
              <li key={r.id}>
                <a href={`#/runs/${r.id}`}>
                  run #{r.id}
                </a>{' '}
                {r.environment ?? 'CI'} · {r.ref} <StateBadge state={r.state} />
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </>
  );
}
