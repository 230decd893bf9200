import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

/**
 * A failed container demo removes its scratch folder (the engine's and the registry's storage are
 * large) but keeps what explains the failure: the server's, the agents', the engine's and the
 * registry's logs, copied to a folder of their own whose path it prints.
 */
export async function keepLogs(root: string, dataDir: string, more: readonly string[]): Promise<string> {
  const dest = await mkdtemp(join(tmpdir(), 'gantry-demo-logs-'));
  const files = [join(root, 'server.log'), ...more];
  const agents = join(dataDir, 'agents');
  if (existsSync(agents)) for (const name of await readdir(agents)) files.push(join(agents, name, 'agent.log'));
  for (const file of files.filter((f) => existsSync(f))) {
    const name = file.startsWith(agents) ? `agent-${basename(join(file, '..'))}.log` : basename(file);
    await copyFile(file, join(dest, name));
  }
  return dest;
}
