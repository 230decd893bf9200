import Docker from 'dockerode';
import { GantryError } from '../../errors/index.js';

/**
 * The Docker engine the agent drives: `--docker-host` (unix:///path or tcp://host:port), else
 * DOCKER_HOST, else the engine's default socket. The address is the only thing read from here; the
 * engine's API is spoken by dockerode, never by a `docker` process.
 */
export function dockerClient(dockerHost: string | null | undefined): Docker {
  const address = dockerHost ?? process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
  if (address.startsWith('unix://')) return new Docker({ socketPath: address.slice('unix://'.length) });
  const tcp = /^(?:tcp|http):\/\/([^:/]+):(\d+)\/?$/.exec(address);
  if (tcp?.[1] && tcp[2]) return new Docker({ host: tcp[1], port: Number(tcp[2]), protocol: 'http' });
  throw new GantryError('BAD_REQUEST', `docker host "${address}" is neither unix:///<socket> nor tcp://<host>:<port>`, {
    where: dockerHost ? '--docker-host' : 'DOCKER_HOST',
    hint: 'Give the engine\'s socket, e.g. --docker-host unix:///var/run/docker.sock.',
  });
}

/** The engine answers /_ping; a clear error naming the address otherwise (the agent refuses to start without its engine). */
export async function checkEngine(docker: Docker, dockerHost: string | null | undefined): Promise<void> {
  try {
    await docker.ping();
  } catch (cause: unknown) {
    throw new GantryError('TARGET_ERROR', `the Docker engine at ${dockerHost ?? process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock'} does not answer: ${messageOf(cause)}`, {
      where: '--docker-host',
      hint: 'Start dockerd, or point --docker-host (or DOCKER_HOST) at its socket; the agent needs permission to use it.',
    });
  }
}

/** An engine error's own message (dockerode wraps the engine's JSON `{ message }`), without a stack. */
export function messageOf(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const json = (error as { json?: { message?: unknown } }).json;
    if (json && typeof json.message === 'string') return json.message;
    if (error instanceof Error) return error.message.replace(/^\(HTTP code \d+\) [^-]*- /, '').trim();
  }
  return String(error);
}

/** The engine answered 404 (no such container or image). */
export const isNotFound = (error: unknown): boolean => typeof error === 'object' && error !== null && (error as { statusCode?: unknown }).statusCode === 404;
