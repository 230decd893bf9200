/**
 * What a closed stdout or stderr (EPIPE) means depends on the command. One that prints and ends
 * (`gantry runs | head -1`) has nothing left to do: it ends quietly with what was read, as git and
 * ls do. A server's output is only for a person; its work is deployments. A reader that went away
 * (a demo that kept the server, a pager, a log shipper being restarted) must not stop it: a kept
 * demo server once ended silently at its next warning (issue 18). It keeps running, and what it
 * writes to the closed stream later is dropped.
 */
let keepRunning = false;

/** Called by long-running commands (`gantry server`) before they start their work. */
export function keepRunningWithoutOutput(): void {
  keepRunning = true;
}

export function keepsRunningWithoutOutput(): boolean {
  return keepRunning;
}
