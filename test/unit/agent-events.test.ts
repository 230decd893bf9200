import { describe, expect, it } from 'vitest';
import { normalizeConfig } from '../../src/config/normalize.js';
import { GantryConfigSpec } from '../../src/config/schema.js';
import { classifyEvent } from '../../src/notify/classify.js';
import { planDeliveries } from '../../src/notify/plan.js';
import type { StoredEvent } from '../../src/domain/event.js';
import { workerRestarted } from '../../src/targets/local/agent-status.js';

const event = (kind: string, data: Record<string, unknown>): StoredEvent => ({ id: 1, at: 0, kind, actor: 'gantry', runId: null, data });

describe('agent events', () => {
  it('counts a worker restart only when the count the agent reports grew', () => {
    const exit = { at: 1, cause: 'worker 42 was killed by SIGKILL' };
    expect(workerRestarted(null, { pid: 1, workerRestarts: 3, lastWorkerExit: exit })).toBeUndefined();
    expect(workerRestarted(2, { pid: 1 })).toBeUndefined();
    expect(workerRestarted(3, { pid: 1, workerRestarts: 3, lastWorkerExit: exit })).toBeUndefined();
    expect(workerRestarted(2, { pid: 1, workerRestarts: 3, lastWorkerExit: exit })).toEqual({ count: 3, cause: 'worker 42 was killed by SIGKILL; started again by the agent' });
    expect(workerRestarted(0, { pid: 1, workerRestarts: 2, lastWorkerExit: null })?.cause).toBe('the agent worker exited; started again by the agent (2 worker restarts since the last look)');
  });

  it('makes agent.down a critical alert that opens an incident, and agent.restarted the news that resolves it', () => {
    const down = classifyEvent(event('agent.down', { target: 'prod-agent', environments: ['production'], cause: 'gone' }));
    expect(down).toMatchObject({ names: ['agent.down'], outcome: 'critical', opens: 'gantry-agent-prod-agent', resolves: null, environments: ['production'] });
    const up = classifyEvent(event('agent.restarted', { target: 'prod-agent', environments: ['production'], cause: 'back' }));
    expect(up).toMatchObject({ names: ['agent.restarted'], outcome: 'info', opens: null, resolves: 'gantry-agent-prod-agent' });
    // A stuck agent that answers again was not restarted: no message, only the incident resolved.
    expect(classifyEvent(event('agent.recovered', { target: 'prod-agent', environments: ['production'], cause: 'answers' }))).toMatchObject({ names: [], opens: null, resolves: 'gantry-agent-prod-agent' });
  });

  it('routes an agent event by the environments its agent serves', () => {
    const config = normalizeConfig(
      GantryConfigSpec.parse({
        version: 1,
        project: { name: 'p' },
        repository: { url: '.' },
        services: { api: { path: 'api' } },
        notifications: {
          channels: { ops: { kind: 'webhook', url: 'https://hooks.example.com/a' }, dev: { kind: 'webhook', url: 'https://hooks.example.com/b' } },
          routes: [
            { events: ['agent.down'], environments: ['production'], channels: ['ops'] },
            { events: ['agent.down'], environments: ['dev'], channels: ['dev'] },
          ],
        },
      }),
    );
    const c = classifyEvent(event('agent.down', { target: 'prod-agent', environments: ['production', 'staging'], cause: 'gone' }));
    expect(planDeliveries(config.notifications, { names: c?.names ?? [], environments: c?.environments ?? [], opensIncident: true, resolveOn: [] }).map((d) => d.channel)).toEqual(['ops']);
  });
});
