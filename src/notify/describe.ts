import { runPageUrl, type Run, type Step } from '../domain/run.js';
import type { StoredEvent } from '../domain/event.js';
import type { Classified } from './classify.js';
import { shortSha } from './format.js';
import type { IncidentDetails, IncidentSeverity } from './incidents/incident-channel.js';
import { Outcome, type Notification, type NotifyEvent } from './notification.js';
import { runResults } from './results.js';

export interface DescribeInput {
  readonly project: string;
  readonly publicUrl: string;
  readonly classified: Classified;
  /** The event, or undefined for run.succeeded / run.failed. */
  readonly event: StoredEvent | undefined;
  readonly run: Run | undefined;
  readonly steps: readonly Step[];
  /** The name of the message (the first routed one, or incident.opened). */
  readonly name: NotifyEvent;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : null);

const list = (v: unknown): string => (Array.isArray(v) && v.length > 0 ? v.join(', ') : 'no environment');

function headline(c: Classified, e: Readonly<Record<string, unknown>>, run: Run | undefined): { title: string; text: string } {
  const svc = c.service ?? 'a service';
  const env = c.environment ?? 'an environment';
  const rel = str(e.release);
  switch (c.source) {
    case 'deployment.succeeded':
      return { title: `✅ ${svc} deployed to ${env}`, text: `${svc} r${str(e.revision) ?? '?'}${rel ? ` (${shortSha(rel)})` : ''} is live in ${env}` };
    case 'deployment.rolled-back': {
      const restored = str(e.restored);
      const back = restored ? `rolled back to r${restored}` : `stopped (no earlier revision to roll back to)`;
      return { title: `${c.outcome === Outcome.Critical ? '🚨 Emergency rollback:' : '⚠️ Rolled back:'} ${svc} in ${env}`, text: `${svc} r${str(e.revision) ?? '?'} in ${env} was ${back}${str(e.reason) ? `: ${str(e.reason)}` : ''}` };
    }
    case 'agent.restarted':
      return { title: `🔁 Agent of target ${str(e.target) ?? '?'} restarted`, text: `The agent of target ${str(e.target) ?? '?'} (serving ${list(e.environments)}) restarted: ${str(e.cause) ?? 'no cause recorded'}` };
    case 'agent.down':
      return { title: `🚨 Agent of target ${str(e.target) ?? '?'} is down`, text: `The agent of target ${str(e.target) ?? '?'} (serving ${list(e.environments)}) is down: ${str(e.cause) ?? 'no cause recorded'}` };
    case 'approval.requested':
      return { title: `⏳ Approval needed for ${env}`, text: `Run #${run?.id ?? '?'} waits for ${str(e.required) ?? 'its'} approval(s) to deploy${run ? ` ${shortSha(run.sha)}` : ''} to ${env}` };
    default: {
      const where = run?.environment ?? run?.branch ?? run?.ref ?? '';
      const ok = c.outcome === Outcome.Success;
      return { title: `${ok ? '✅' : '❌'} Run #${run?.id ?? '?'} ${ok ? 'succeeded' : 'failed'}${where ? ` (${where})` : ''}`, text: ok ? `Run #${run?.id ?? '?'} succeeded` : `Run #${run?.id ?? '?'} failed${run?.error ? `: ${run.error.message}` : ''}` };
    }
  }
}

/** The message for one event or finished run, from the store's facts. Not yet redacted. */
export function describe(i: DescribeInput): Notification {
  const c = i.classified;
  const data = i.event?.data ?? {};
  const run = i.run;
  const at = i.event?.at ?? run?.finishedAt ?? 0;
  const started = run?.startedAt ?? run?.createdAt ?? null;
  const { title, text } = headline(c, data, run);
  return {
    event: i.name,
    source: c.source,
    outcome: c.outcome,
    title,
    text,
    project: i.project,
    environment: c.environment ?? (c.environments?.length === 1 ? (c.environments[0] ?? null) : null),
    services: c.service ? [c.service] : [...new Set(i.steps.filter((s) => s.kind === 'deploy' && s.service).map((s) => s.service ?? ''))],
    release: str(data.release) ?? run?.sha ?? null,
    who: run ? (run.triggeredBy === run.author || !run.author ? run.triggeredBy : `${run.triggeredBy} (author ${run.author})`) : i.event?.actor ?? null,
    durationMs: started === null ? null : Math.max(0, (run?.finishedAt ?? at) - started),
    runId: run?.id ?? i.event?.runId ?? null,
    runUrl: run || i.event?.runId ? runPageUrl(i.publicUrl, run?.id ?? i.event?.runId ?? 0) : null,
    at,
    reason: str(data.reason) ?? str(data.cause) ?? (c.outcome === Outcome.Failure && run?.error ? run.error.message : null),
    results: runResults(i.steps),
    incident: c.opens ? { dedupKey: c.opens, severity: 'critical' } : null,
    data,
  };
}

/** What incident channels get: a summary line and the details, for the same facts. */
export function incidentOf(n: Notification, severity: IncidentSeverity): { summary: string; severity: IncidentSeverity; details: IncidentDetails } {
  return {
    summary: n.text,
    severity,
    details: {
      project: n.project,
      environment: n.environment ?? '',
      service: n.services[0] ?? '',
      event: n.source,
      runId: n.runId,
      runUrl: n.runUrl,
      release: n.release,
      reason: n.reason,
      at: n.at,
      custom: n.data,
    },
  };
}
