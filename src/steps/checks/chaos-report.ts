import type { ChaosCheckConfig } from '../../config/types.js';
import type { LoadFigures } from './load-run.js';

const percent = (share: number): string => `${(share * 100).toFixed(share < 0.01 ? 2 : 0)} %`;

/** `latency +200 ms on 50 %, abort 503 on 5 %, reset on 2 %, one replica killed`: for the log and messages. */
export function describeFaults(check: ChaosCheckConfig): string {
  const { latency, abort, reset } = check.faults;
  const parts = [
    ...(latency ? [`latency +${latency.ms} ms on ${percent(latency.share)}`] : []),
    ...(abort ? [`abort ${abort.status} on ${percent(abort.share)}`] : []),
    ...(reset ? [`reset on ${percent(reset.share)}`] : []),
    ...(check.killReplica ? ['one replica killed'] : []),
  ];
  return parts.length > 0 ? parts.join(', ') : 'no faults';
}

/** `2480 requests, 131 failed (5.28 %: 503 ×120, connection ×11, timeout ×0), p50 3 ms, p99 212 ms`. */
export function describeFigures(seen: LoadFigures): string {
  const causes = [...Object.entries(seen.byCause.status).map(([code, n]) => `${code} ×${n}`), `connection ×${seen.byCause.connection}`, `timeout ×${seen.byCause.timeouts}`];
  return `${seen.requests} requests, ${seen.failed} failed (${(seen.errorRate * 100).toFixed(2)} %: ${causes.join(', ')}), p50 ${seen.p50Ms} ms, p99 ${seen.p99Ms} ms`;
}

/** The thresholds the service broke under the faults (empty: it held). */
export function chaosProblems(check: ChaosCheckConfig, seen: LoadFigures, notRestarted: string | undefined): string[] {
  const problems: string[] = [];
  if (seen.requests === 0) problems.push('no request was answered at all');
  if (check.maxErrorRate !== undefined && seen.errorRate > check.maxErrorRate) problems.push(`error rate ${(seen.errorRate * 100).toFixed(2)} % > ${(check.maxErrorRate * 100).toFixed(2)} %`);
  if (check.maxP99Ms !== undefined && seen.p99Ms > check.maxP99Ms) problems.push(`p99 ${seen.p99Ms} ms > ${check.maxP99Ms} ms`);
  if (notRestarted !== undefined) problems.push(`the killed replica ${notRestarted} was not running and ready again afterwards`);
  return problems;
}
