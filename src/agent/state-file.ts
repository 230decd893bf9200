import { existsSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import type { RevisionSpec, RouteName } from '../targets/target.js';

export interface PersistedRevision {
  readonly spec: RevisionSpec;
  readonly ports: number[];
  /** Process group ids when last written, so a restarted agent can stop what its predecessor left. */
  readonly pids: number[];
}

export interface PersistedService {
  readonly environment: string;
  readonly service: string;
  readonly revisions: PersistedRevision[];
  readonly weights: Record<RouteName, Record<string, number>>;
}

/** The agent's own memory across restarts: written whole, via a temp file and rename, so it is never half written. */
export class AgentStateFile {
  constructor(private readonly file: string) {}

  async read(): Promise<PersistedService[]> {
    if (!existsSync(this.file)) return [];
    const parsed = JSON.parse(await readFile(this.file, 'utf8')) as { services?: PersistedService[] };
    return parsed.services ?? [];
  }

  async write(services: PersistedService[]): Promise<void> {
    const temp = `${this.file}.${process.pid}.tmp`;
    await writeFile(temp, JSON.stringify({ version: 1, services }, null, 2), { mode: 0o600 });
    await rename(temp, this.file);
  }
}
