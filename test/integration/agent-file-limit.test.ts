import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { freePorts, serveRevisionOne, serviceArtifact, spawnAgent, type AgentProcess } from '../support/agent-process.js';
import { TempDirs } from '../support/temp.js';

/**
 * The agent's file limit. Node raises its own soft RLIMIT_NOFILE to the hard limit when it starts
 * (node.cc, PlatformInit), so an agent started with a low soft limit (a shell's default 1024, a
 * systemd unit without LimitNOFILE=) still gets every descriptor its hard limit allows, and the
 * routes' default connection limits (src/agent/router/open-file-budget.ts) are derived from that.
 * No wrapper is needed to raise it; this pins the behaviour, so a Node that stopped doing it is noticed.
 */

const temp = new TempDirs();
const agents: AgentProcess[] = [];

afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.stop()));
});
afterAll(() => temp.cleanup());

async function fileLimits(pid: number | 'self'): Promise<{ soft: string; hard: string }> {
  const text = await readFile(`/proc/${pid}/limits`, 'utf8');
  const match = /^Max open files\s+(\S+)\s+(\S+)/m.exec(text);
  if (!match?.[1] || !match[2]) throw new Error(`no "Max open files" in /proc/${pid}/limits`);
  return { soft: match[1], hard: match[2] };
}

describe("the agent's file limit", () => {
  it.skipIf(process.platform !== 'linux')('is raised to the hard limit in the agent and its worker when started with a soft limit of 256', async () => {
    const { hard } = await fileLimits('self');
    expect(Number(hard)).toBeGreaterThan(1024); // else there is nothing to raise on this machine
    const port = await freePorts(26_000, 990, 1);
    const agent = await spawnAgent(temp, `version: 1\nproject:\n  name: file-limit\nrepository:\n  url: .\nservices:\n  api:\n    path: api\n    run:\n      command: node server.mjs\n      port: ${port}\nenvironments:\n  production:\n    branch: main\n`, { ulimit: '-S -n 256' });
    agents.push(agent);
    await serveRevisionOne(agent, await serviceArtifact(temp), 'production', ['api']);

    const { workerPid } = JSON.parse(await readFile(join(agent.dataDir, 'agent.json'), 'utf8')) as { workerPid: number };
    expect(await fileLimits(agent.child.pid ?? 0)).toEqual({ soft: hard, hard });
    expect(await fileLimits(workerPid)).toEqual({ soft: hard, hard });
    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(200);
  }, 60_000);
});
