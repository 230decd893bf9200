import type { Command } from 'commander';
import type { AgentView } from '../../server/agent-views.js';
import type { Output, Style } from '../output.js';
import type { Wrap } from '../program.js';

const STATE_STYLE: Record<string, Style> = { healthy: 'green', starting: 'yellow', unresponsive: 'red', down: 'red', stopped: 'dim', 'never-started': 'dim' };

/** "3m ago" from an ISO time: a restart is read against now. */
function ago(iso: string, now: number): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.round(s / 60)}m ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${Math.round((s % 3600) / 60)}m ago`;
  return `${Math.floor(s / 86_400)}d ago`;
}

function lines(o: Output, a: AgentView, now: number): string[] {
  const pids = a.pid === null ? '' : `pid ${a.pid}${a.workerPid !== null && a.workerPid !== a.pid ? ` (worker ${a.workerPid})` : ''}`;
  const state = o.paint(STATE_STYLE[a.state] ?? 'bold', a.state.padEnd(13));
  const restarts = a.workerRestarts === null ? '' : `worker restarts ${a.workerRestarts}`;
  const serving = a.environments.length > 0 ? a.environments.join(', ') : 'no environment';
  const out = [`${a.target.padEnd(14)} ${state} ${pids.padEnd(28)} ${restarts.padEnd(19)} serves ${serving}`];
  if (a.error && a.state !== 'healthy' && a.state !== 'never-started') out.push(`${''.padEnd(15)}${o.paint('red', a.error)}`);
  out.push(`${''.padEnd(15)}last restart: ${a.lastRestart ? `${a.lastRestart.at.replace('T', ' ').slice(0, 19)} (${ago(a.lastRestart.at, now)}): ${a.lastRestart.cause}` : 'none'}`);
  return out;
}

export function registerStatus(program: Command, wrap: Wrap): void {
  program
    .command('status')
    .description("each local target's agent: healthy or down, pids, worker restarts, last restart and its cause")
    .action(
      wrap(async (ctx) => {
        const { agents } = await ctx.client().request<{ agents: AgentView[] }>('GET', '/api/v1/agents');
        if (ctx.out.json) {
          ctx.out.printJson({ agents });
        } else {
          if (agents.length === 0) ctx.out.out('no local targets');
          for (const a of agents) for (const line of lines(ctx.out, a, Date.now())) ctx.out.out(line);
        }
        // Exit 1 when an agent that was started is not serving, so a cron job or a probe can alert on it.
        return agents.some((a) => a.state === 'down' || a.state === 'unresponsive') ? 1 : 0;
      }),
    );
}
