import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ScratchRepo } from '../../src/cli/demo/scratch-repo.js';

export type FileTree = Record<string, string>;

export async function writeTree(root: string, files: FileTree): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
}

/**
 * A real git repository with a bare origin, seeded with `files` on main, develop and staging.
 * Tests push to it as a team would; the server under test watches the origin.
 */
export async function fixtureRepo(root: string, files: FileTree): Promise<ScratchRepo> {
  const repo = await ScratchRepo.create(join(root, 'work'), join(root, 'origin.git'));
  await writeTree(repo.workDir, files);
  await repo.commitAll('initial');
  await repo.git('branch', 'develop');
  await repo.git('branch', 'staging');
  await repo.push('main', 'develop', 'staging');
  return repo;
}

/** Commits changes on a branch (created from `from` when new) and pushes it. */
export async function pushChange(repo: ScratchRepo, branch: string, files: FileTree, message: string, from = 'develop'): Promise<string> {
  const exists = (await repo.git('branch', '--list', branch)) !== '';
  await repo.git('checkout', '--quiet', ...(exists ? [branch] : ['-b', branch, from]));
  await writeTree(repo.workDir, files);
  const sha = await repo.commitAll(message);
  await repo.push(branch);
  return sha;
}
