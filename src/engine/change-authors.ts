import type { EnvironmentConfig } from '../config/types.js';
import type { Store } from '../store/store.js';
import type { RepositoryReader } from './repository-reader.js';

export interface ChangeAuthorsInput {
  readonly sha: string;
  /** Where the run's change starts: the branch's last green commit or merge base; null when unknown. */
  readonly base: string | null;
  readonly environment: EnvironmentConfig | undefined;
  /** The head commit's author, always counted. */
  readonly headAuthor: string;
}

/**
 * Who wrote the change a run brings in, for "never the author" (DESIGN invariant 5): every author
 * of base..sha, not only whoever made the head (often a merge commit by someone else). A dispatch
 * has no base of its own; what it changes is measured from what its environment runs now, when
 * that is an ancestor of the commit.
 */
export async function changeAuthors(store: Store, reader: RepositoryReader, input: ChangeAuthorsInput): Promise<string[]> {
  const from = input.base ?? (await liveAncestor(store, reader, input));
  const others = from !== null && from !== input.sha ? await reader.authors(from, input.sha) : [];
  return [...new Set([input.headAuthor, ...others])];
}

async function liveAncestor(store: Store, reader: RepositoryReader, input: ChangeAuthorsInput): Promise<string | null> {
  for (const service of input.environment?.services ?? []) {
    const live = await store.deployments.live(input.environment?.name ?? '', service);
    if (live && live.release !== input.sha && (await reader.isAncestor(live.release, input.sha))) return live.release;
  }
  return null;
}
