import type { AgentView } from '../api/types';
import { useResource } from '../live/use-resource';
import { Columns, Problem, StateBadge, TableBox } from './bits';
import { ago } from './format';

/** The server looks at its agents every 2 s; the panel follows at a similar pace. */
const AGENT_POLL_MS = 3_000;

const pids = (a: AgentView): string => (a.pid === null ? '—' : `${a.pid}${a.workerPid !== null && a.workerPid !== a.pid ? ` (worker ${a.workerPid})` : ''}`);

/** Each local target's agent: healthy or down, pids, worker restarts, and the last restart with its cause. */
export function AgentsPanel() {
  const agents = useResource<{ agents: AgentView[] }>('api/v1/agents', { pollMs: AGENT_POLL_MS });
  if (agents.error) return <Problem problem={agents.error} title="Agents could not be read" />;
  const list = agents.data?.agents ?? [];
  if (list.length === 0) return null;
  return (
    <section aria-labelledby="agents-title">
      <h2 id="agents-title">Agents</h2>
      <TableBox label="Agents">
        <table className="agents">
          <Columns names={['Target', 'State', 'PID', 'Worker restarts', 'Last restart']} />
          <tbody>
            {list.map((a) => (
              <tr key={a.target} data-target={a.target}>
                <th scope="row">
                  {a.target} <span className="muted small">{a.environments.join(', ')}</span>
                </th>
                <td>
                  <StateBadge state={a.state} />
                  {a.error && a.state !== 'healthy' && a.state !== 'never-started' ? <div className="small bad">{a.error}</div> : null}
                </td>
                <td>{pids(a)}</td>
                <td>{a.workerRestarts ?? '—'}</td>
                <td className="last-restart">
                  {a.lastRestart ? (
                    <>
                      <span title={a.lastRestart.at}>{ago(a.lastRestart.at)}</span>: {a.lastRestart.cause}
                    </>
                  ) : (
                    <span className="muted">none</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableBox>
    </section>
  );
}
