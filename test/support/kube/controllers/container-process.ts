import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** Lines kept per container instance; the oldest go first, as a rotated container log would. */
const KEPT_LINES = 10_000;

/** One run of a container: a real process in its own process group, and its output lines. */
export class ContainerProcess {
  readonly lines: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** True once the process runs, false when it could not be started. */
  readonly spawned: Promise<boolean>;
  private readonly child: ChildProcess;
  private readonly followers = new Set<(line: string | undefined) => void>();
  private done = false;
  /** Why the process could not start (the runtime's StartError), if it could not. */
  startError: string | undefined;

  constructor(argv: readonly string[], options: { cwd: string; env: Record<string, string> }) {
    const [file = '', ...args] = argv;
    // detached: its own process group, so a shell's children get the signal too.
    this.child = spawn(file, args, { cwd: options.cwd, env: options.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    this.spawned = new Promise((resolve) => {
      this.child.once('spawn', () => resolve(true));
      this.child.once('error', () => resolve(false));
    });
    let open = 2;
    const ended = new Promise<void>((resolve) => {
      for (const stream of [this.child.stdout, this.child.stderr]) {
        if (!stream) {
          open -= 1;
          continue;
        }
        const reader = createInterface({ input: stream, crlfDelay: Infinity });
        reader.on('line', (line) => this.push(line));
        reader.on('close', () => {
          open -= 1;
          if (open <= 0) resolve();
        });
      }
      if (open <= 0) resolve();
    });
    this.exited = new Promise((resolve) => {
      this.child.once('error', (error) => {
        this.startError = `failed to create containerd task: exec: "${file}": ${error.message}`;
        this.finish();
        resolve({ code: 128, signal: null });
      });
      this.child.once('exit', (code, signal) => {
        // Output written just before the exit is still in the pipes: read it before reporting.
        void Promise.race([ended, new Promise((r) => setTimeout(r, 200))]).then(() => {
          this.finish();
          resolve({ code, signal });
        });
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return !this.done;
  }

  /** Signals the whole process group (ESRCH when it is gone already is fine). */
  signal(signal: NodeJS.Signals): void {
    if (!this.done) this.signalGroup(signal);
  }

  private signalGroup(signal: NodeJS.Signals): void {
    const pid = this.child.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // Gone between the check and the signal.
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. */
  async stop(graceMs: number): Promise<void> {
    if (this.done) return;
    this.signal('SIGTERM');
    const killer = setTimeout(() => this.signal('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(killer);
    // Anything the group left behind (a shell's background child) goes too.
    this.signalGroup('SIGKILL');
  }

  /** Calls `listener` with each new line, then with undefined once the process has exited. */
  follow(listener: (line: string | undefined) => void): () => void {
    if (this.done) {
      listener(undefined);
      return () => undefined;
    }
    this.followers.add(listener);
    return () => this.followers.delete(listener);
  }

  private push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > KEPT_LINES) this.lines.splice(0, this.lines.length - KEPT_LINES);
    for (const follower of this.followers) follower(line);
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    for (const follower of this.followers) follower(undefined);
    this.followers.clear();
  }
}
