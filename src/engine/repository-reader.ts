/** What the engine reads from the watched repository; the git mirror in sources/git implements it. */
export interface CommitInfo {
  readonly sha: string;
  readonly author: string;
  readonly authorEmail: string;
  readonly time: number;
  readonly message: string;
}

export interface RepositoryReader {
  resolve(ref: string): Promise<string | undefined>;
  showFile(sha: string, path: string): Promise<string | undefined>;
  treeHash(sha: string, path: string): Promise<string | undefined>;
  changedFiles(base: string, sha: string): Promise<string[]>;
  mergeBase(a: string, b: string): Promise<string | undefined>;
  isAncestor(ancestor: string, sha: string): Promise<boolean>;
  commit(sha: string): Promise<CommitInfo>;
  /** Every distinct author ("Name <email>") of the commits in base..sha, co-authors included. */
  authors(base: string, sha: string): Promise<string[]>;
}
