import type { Deployment, Environment, EnvironmentStatus, PendingApproval, Run, ServiceStatus } from '../api/types';
import { Empty, Loading, PageTitle, Problem, StateBadge, TableBox } from '../components/bits';
import { ago, shortSha } from '../components/format';
import { useEffect, useState } from 'react';
import { useSession } from '../live/session';
import { useResource } from '../live/use-resource';

/** While something deploys, what the agents report (weights, phases) is read this often. */
const BUSY_POLL_MS = 1_000;
const IDLE_POLL_MS = 10_000;

/** Blue is the revision that served before; green the newer one taking over. */
function Strategy({ status, strategy }: { status: ServiceStatus | undefined; strategy: string }) {
  if (!status) return <span className="muted">agent not running</span>;
  const main = Object.entries(status.weights.main).filter(([, w]) => w > 0);
  const preview = Object.entries(status.weights.preview).filter(([, w]) => w > 0);
  const revisions = [...new Set([...main, ...preview].map(([r]) => Number(r)))].sort((a, b) => a - b);
  const colour = (r: number): string => (strategy === 'blue-green' && revisions.length > 1 ? (r === revisions[0] ? 'blue' : 'green') : '');
  return (
    <div className="weights" aria-label="traffic">
      {main.length === 0 ? <span className="muted">no traffic</span> : null}
      {main.map(([r, w]) => (
        <span key={`m${r}`} className={`weight ${colour(Number(r))}`} data-revision={r} data-weight={w}>
          {colour(Number(r)) ? `${colour(Number(r))} ` : ''}r{r} {w}%
        </span>
      ))}
      {preview.map(([r]) => (
        <span key={`p${r}`} className={`weight preview ${colour(Number(r))}`}>
          preview r{r}
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

function Cell({ env, service, status, approvals }: { env: Environment; service: string; status: EnvironmentStatus | undefined; approvals: readonly PendingApproval[] }) {
  const entry = env.services.find((s) => s.service === service);
  if (!entry) return <td className="na">—</td>;
  const live = entry.live;
  const described = status?.services.find((s) => s.service === service);
  return (
    <td className="cell" data-env={env.name} data-service={service}>
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
    </td>
  );
}

/**
 * What each environment's agent runs now. Read again on every change the server announces, and
 * polled while a run deploys there, because a switch's weights move inside one step.
 */
function useStatuses(names: readonly string[], busy: boolean): ReadonlyMap<string, EnvironmentStatus> {
  const { api, subscribe } = useSession();
  const [statuses, setStatuses] = useState<ReadonlyMap<string, EnvironmentStatus>>(new Map());
  const [version, setVersion] = useState(0);
  const key = names.join(',');
  useEffect(() => subscribe(() => setVersion((v) => v + 1)), [subscribe]);
  useEffect(() => {
    const interval = setInterval(() => setVersion((v) => v + 1), busy ? BUSY_POLL_MS : IDLE_POLL_MS);
    return () => clearInterval(interval);
  }, [busy]);
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
  const names = environments.data?.environments.map((e) => e.name) ?? [];
  const statuses = useStatuses(names, (active.data?.runs ?? []).some((r) => r.environment !== null));
  if (environments.error) return <Problem problem={environments.error} title="Environments could not be read" />;
  if (!environments.data) return <Loading what="environments" />;
  const envs = environments.data.environments;
  const services = [...new Set(envs.flatMap((e) => e.services.map((s) => s.service)))];
  return (
    <>
      <PageTitle>Environments</PageTitle>
      {envs.length === 0 ? <Empty>gantry.yaml declares no environment.</Empty> : null}
      <TableBox label="Services by environment">
        <table className="matrix">
          <thead>
            <tr>
              <th scope="col">Service</th>
              {envs.map((env) => (
                <th scope="col" key={env.name}>
                  <div>{env.name}</div>
                  <div className="muted small">
                    {env.branch} · {env.strategy}
                    {env.approvals > 0 ? ` · ${env.approvals} approvals` : ''}
                  </div>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {services.map((service) => (
              <tr key={service}>
                <th scope="row">{service}</th>
                {envs.map((env) => (
                  <Cell key={env.name} env={env} service={service} status={statuses.get(env.name)} approvals={(approvals.data?.approvals ?? []).filter((a) => a.environment === env.name)} />
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </TableBox>
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
