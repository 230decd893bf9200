import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { scopeOf } from '../agent-scope.js';
import { dockerClient } from './docker-client.js';

const run = promisify(execFile);
/** As long as the runtime's own stop grace: a container gets the same time to finish. */
const GRACE_SECONDS = 10;

/**
 * Stops and removes the containers an agent that is no longer running left behind (containers
 * outlive their agent on purpose: the next one adopts them), found by the gantry.agent label of its
 * data folder on the engine its agent.json names, and unmounts its secrets tmpfs. An agent of the
 * process runtime, or an engine that does not answer, leaves nothing to do here.
 */
export async function stopLeftoverContainers(agentDataDir: string): Promise<number> {
  const text = await readFile(join(agentDataDir, 'agent.json'), 'utf8').catch(() => '');
  const record = (text === '' ? {} : JSON.parse(text)) as { runtime?: string; dockerHost?: string | null };
  if (record.runtime !== 'docker') return 0;
  const docker = dockerClient(record.dockerHost ?? null);
  const left = await docker.listContainers({ all: true, filters: { label: [`gantry.agent=${scopeOf(agentDataDir)}`] } }).catch(() => []);
  await Promise.all(
    left.map(async (c) => {
      const container = docker.getContainer(c.Id);
      await container.stop({ t: GRACE_SECONDS }).catch(() => undefined);
      await container.remove({ force: true }).catch(() => undefined);
    }),
  );
  // Not mounted (a process agent, or unmounted already) is no error.
  await run('umount', [join(agentDataDir, 'secrets')]).catch(() => undefined);
  return left.length;
}
