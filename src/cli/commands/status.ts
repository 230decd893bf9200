import type { Command } from 'commander';
import type { AgentView } from '../../server/agent-views.js';
import { formatDocument, type Output, type Style } from '../output.js';
import type { Wrap } from '../program.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../../errors/index.js';
import { statusExitCode, statusLines, type EnvironmentStatusBody } from './status-table.js';

/** How often `gantry status <env> --watch` reads again. */
const WATCH_MS = 2_000;

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

/** `gantry status <env>`: once, or redrawn every WATCH_MS until Ctrl-C (on a pipe, one block per change). */
async function environmentStatus(ctx: CliContext, env: string, opts: { service?: string; watch?: boolean }): Promise<number> {
  const path = `/api/v1/environments/${encodeURIComponent(env)}/status${opts.service === undefined ? '' : `?service=${encodeURIComponent(opts.service)}`}`;
  const read = (): Promise<EnvironmentStatusBody> => ctx.client().request<EnvironmentStatusBody>('GET', path);
  const render = (body: EnvironmentStatusBody): string => (ctx.out.json ? formatDocument(ctx.out.format, body).trimEnd() : statusLines(ctx.out, body, Date.now()).join('\n'));
  if (!opts.watch) {
    const body = await read();
    ctx.out.out(render(body));
    return statusExitCode(body);
  }
  const tty = process.stdout.isTTY === true && !ctx.out.json;
  let last = '';
  for (;;) {
    const body = await read();
    const text = render(body);
    // Ages change every second: a pipe gets a block only when something else did.
    const key = ctx.out.json ? text : JSON.stringify({ ...body, services: body.services.map((s) => ({ ...s, revisions: s.revisions.map((r) => ({ ...r, deployedAt: null })) })) });
    if (tty) process.stdout.write(`\u001b[H\u001b[2J${text}\n${ctx.out.paint('dim', `every ${WATCH_MS / 1000}s; Ctrl-C to stop`)}\n`);
    else if (key !== last) ctx.out.out(text);
    last = key;
    await new Promise((resolve) => setTimeout(resolve, WATCH_MS));
  }
}

export function registerStatus(program: Command, wrap: Wrap): void {
  program
    .command('status [env]')
    .description("without <env>: each local target's agent (healthy or down, pids, worker restarts, last restart and its cause). With <env>: what its target runs (revisions, phase, ready replicas, restarts, weights, pods, last error, warning events); exit 1 when a live revision is not ready")
    .option('--service <name>', 'with <env>: only this service')
    .option('-w, --watch', `with <env>: redraw every ${WATCH_MS / 1000}s until Ctrl-C (on a pipe: print again only what changed)`)
    .addHelpText('after', '\nExamples:\n  gantry status                      the local agents\n  gantry status production           every service of production\n  gantry status dev --service api -w\n  gantry status staging -o json      the API body (docs/api.md)')
    .action(
      wrap(async (ctx, env: string | undefined, opts: { service?: string; watch?: boolean }) => {
        if (env !== undefined) return environmentStatus(ctx, env, opts);
        if (opts.service !== undefined || opts.watch) throw new UsageError('USAGE', '--service and --watch need an environment', { hint: 'For example: gantry status dev --service api --watch.' });
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
