import { InvalidArgumentError } from 'commander';
import { parseDuration } from '../../config/duration.js';
import { UsageError } from '../../errors/index.js';

export function parseRunId(text: string): number {
  const id = Number(text.replace(/^#/, ''));
  if (!Number.isInteger(id) || id <= 0) throw new UsageError('USAGE', `"${text}" is not a run id`, { hint: 'Run ids are whole numbers, as listed by `gantry runs`.' });
  return id;
}

/**
 * Option parsers for commander: a bad value is refused while the command line is read (exit 2, with
 * the flag named), before the command does anything, and never reaches the server as NaN.
 */
export function wholeNumber(min: number, max: number, what = `a whole number from ${min} to ${max}`): (value: string) => number {
  return (value) => {
    const n = /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new InvalidArgumentError(`It must be ${what}.`);
    return n;
  };
}

/** A TCP port to listen on; 0 asks the system for any free one. */
export const portNumber = wholeNumber(0, 65535, 'a port from 0 to 65535 (0: any free port)');

/** `host:port` (`[v6]:port` for IPv6) for a listener, e.g. `--listen 10.77.0.2:7443`. */
export function listenAddress(value: string): { host: string; port: number } {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(value.trim());
  const port = Number(match?.[3]);
  if (!match || !(port >= 1 && port <= 65535)) throw new InvalidArgumentError('It must be host:port, such as 10.77.0.2:7443 or [fd00::2]:7443.');
  return { host: match[1] ?? match[2] ?? '', port };
}

/** `gantry agent --runtime`: what runs the replicas. */
export function runtimeKind(value: string): 'process' | 'docker' {
  if (value !== 'process' && value !== 'docker') throw new InvalidArgumentError('It must be process or docker.');
  return value;
}

/** A duration flag (`--poll 5s`) in milliseconds. */
export function durationMs(value: string): number {
  if (!/^\d+(\.\d+)?(ms|s|m|h|d)$/.test(value)) throw new InvalidArgumentError('It must be a duration such as 500ms, 5s, 2m.');
  return parseDuration(value);
}
