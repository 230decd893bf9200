import { existsSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * Where a global option's value came from, as commander says (`program.getOptionValueSource`):
 * only a value nobody gave (`default`) is looked for up the repository; an unknown source is taken as given.
 */
export type OptionSource = 'default' | 'env' | 'cli' | 'config' | 'implied' | undefined;

/** The folders from `start` up to the repository root (the first holding `.git`, a folder or a worktree's file); just `start` outside a repository. */
export function foldersToRepoRoot(start: string): string[] {
  const folders: string[] = [];
  for (let dir = resolve(start); ; dir = dirname(dir)) {
    folders.push(dir);
    if (existsSync(join(dir, '.git'))) return folders;
    // No repository above: walking to / would pick up a stray gantry.yaml in $HOME or /tmp.
    if (dirname(dir) === dir) return [resolve(start)];
  }
}

const isFile = (path: string): boolean => existsSync(path) && statSync(path).isFile();
const isFolder = (path: string): boolean => existsSync(path) && statSync(path).isDirectory();

/**
 * The path to use for a default-valued option: `name` itself when it is here (so messages keep
 * naming it as the user knows it), else the nearest one up to the repository root, else `name`
 * unchanged (so a missing config is reported as today, under its usual name).
 */
function findUp(name: string, present: (path: string) => boolean, cwd: string): string {
  if (present(resolve(cwd, name))) return name;
  for (const dir of foldersToRepoRoot(cwd).slice(1)) {
    const candidate = join(dir, name);
    // Relative to where the user stands: `../../gantry.yaml` reads better in messages than /home/….
    if (present(candidate)) return relative(cwd, candidate) || name;
  }
  return name;
}

/** The config file: a given `-c` or GANTRY_CONFIG as is; the default `gantry.yaml` looked for up to the repository root. */
export function discoverConfig(config: string, source: OptionSource, cwd = process.cwd()): string {
  return source === 'default' ? findUp(config, isFile, cwd) : config;
}

/** The data folder (server.json, admin.token): a given `--data-dir` or GANTRY_DATA_DIR as is; the default looked for up to the repository root. */
export function discoverDataDir(dataDir: string, source: OptionSource, cwd = process.cwd()): string {
  return source === 'default' ? findUp(dataDir, isFolder, cwd) : dataDir;
}
