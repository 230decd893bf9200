import type { Command } from 'commander';
import { UsageError } from '../../errors/index.js';
import { DEFAULT_DORA_ENVIRONMENT, DEFAULT_DORA_WINDOW, parseWindow, type DoraBand, type DoraMetrics } from '../../domain/dora/index.js';
import type { Output, Style } from '../output.js';
import type { Wrap } from '../program.js';

/** GET /api/v1/dora's answer (docs/api.md). */
interface DoraView {
  window: string;
  environment: string;
  from: string;
  to: string;
  overall: DoraMetrics;
  services: Record<string, DoraMetrics>;
}

const BAND_STYLE: Record<DoraBand, Style> = { elite: 'green', high: 'cyan', medium: 'yellow', low: 'red' };
const COLUMNS = ['', 'deploys/day', 'lead time p50 / p90', 'change failure', 'recovery p50', 'rework', 'success'];
const WIDTHS = [14, 18, 28, 20, 20, 8, 8];

/** 42s, 38m, 3h 12m, 2d 4h: lead times run from minutes to weeks, so the unit follows the size. */
export function humanDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.round(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${Math.round((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86_400)}d ${Math.round((s % 86_400) / 3600)}h`;
}

const percent = (rate: number | null): string => (rate === null ? '-' : `${(rate * 100).toFixed(1)} %`);

function row(o: Output, name: string, m: DoraMetrics): string {
  // Padding is applied before colour, so escape codes never shift the columns.
  const banded = (text: string, band: DoraBand | null, width: number): string => {
    const cell = band ? `${text} ${band}` : text;
    return band ? `${o.paint(BAND_STYLE[band], cell)}${' '.repeat(Math.max(1, width - cell.length))}` : cell.padEnd(width);
  };
  const f = m.deploymentFrequency;
  const lt = m.leadTime;
  const rt = m.recoveryTime;
  return [
    name.padEnd(WIDTHS[0] ?? 0),
    banded(f.perDay === null ? '-' : f.perDay.toFixed(2), f.band, WIDTHS[1] ?? 0),
    banded(lt.medianMs === null ? '-' : `${humanDuration(lt.medianMs)} / ${humanDuration(lt.p90Ms ?? lt.medianMs)}`, lt.band, WIDTHS[2] ?? 0),
    banded(percent(m.changeFailureRate.rate), m.changeFailureRate.band, WIDTHS[3] ?? 0),
    banded(rt.medianMs === null ? '-' : humanDuration(rt.medianMs), rt.band, WIDTHS[4] ?? 0),
    percent(m.reworkRate.rate).padEnd(WIDTHS[5] ?? 0),
    percent(m.successRate.rate),
  ].join(' ');
}

export function registerDora(program: Command, wrap: Wrap): void {
  program
    .command('dora')
    .description('DORA metrics of an environment over a window: deployment frequency, lead time, change failure rate, recovery time, rework, success')
    .option('--window <duration>', 'how far back: 12h, 30d, 4w', DEFAULT_DORA_WINDOW)
    .option('--env <environment>', 'the environment', DEFAULT_DORA_ENVIRONMENT)
    .action(
      wrap(async (ctx, opts: { window: string; env: string }) => {
        if (parseWindow(opts.window) === undefined) throw new UsageError('USAGE', `--window "${opts.window}" is not a window`, { hint: 'Use hours, days or weeks: 12h, 30d, 4w (at most 366d).' });
        const q = new URLSearchParams({ window: opts.window, environment: opts.env });
        const view = await ctx.client().request<DoraView>('GET', `/api/v1/dora?${q.toString()}`);
        if (ctx.out.json) {
          ctx.out.printJson(view);
          return 0;
        }
        const o = ctx.out;
        o.out(`DORA metrics of ${view.environment}, last ${view.window} (${view.from.slice(0, 10)} → ${view.to.slice(0, 10)}); bands of the 2023 State of DevOps report`);
        o.out('');
        o.out(o.paint('bold', COLUMNS.map((c, i) => c.padEnd(WIDTHS[i] ?? 0)).join(' ').trimEnd()));
        o.out(row(o, 'overall', view.overall).trimEnd());
        for (const [name, m] of Object.entries(view.services)) o.out(row(o, name, m).trimEnd());
        const { count, total } = view.overall.changeFailureRate;
        o.out('');
        o.out(o.paint('dim', `${view.overall.deploymentFrequency.count} successful of ${view.overall.deployments} finished deployments; ${count} needed a rollback or a hotfix (of ${total}); ${view.overall.recoveryTime.unrecovered} failures not yet recovered`));
        return 0;
      }),
    );
}
