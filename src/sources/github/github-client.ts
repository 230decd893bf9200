import type { GitHubConfig } from '../../config/types.js';
import type { SecretSource } from '../../secrets/source.js';
import { Octokit, type OctokitOptions } from '@octokit/core';
import { retry } from '@octokit/plugin-retry';
import type { Logger } from '../../kernel/logger.js';
import { GantryError } from '../../errors/index.js';

export const DEFAULT_GITHUB_API_URL = 'https://api.github.com';
/** The REST API version Gantry was written against (docs.github.com/rest/about-the-rest-api/api-versions). */
export const GITHUB_API_VERSION = '2022-11-28';
/** plugin-retry's default: three more tries after 1 s, 4 s and 9 s. */
export const DEFAULT_GITHUB_RETRIES = 3;

/** One call of GitHub's REST API, with a literal path (`/repos/o/r/statuses/sha`). */
export interface GitHubCall {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly path: string;
  readonly body?: Record<string, unknown>;
  /** Aborts the call (and its retries) when the server stops. */
  readonly signal?: AbortSignal;
}

export interface GitHubResponse {
  readonly status: number;
  readonly data: unknown;
}

/** The slice of GitHub's API Gantry uses: send a call; 5xx, 429 and network failures are retried first. */
export interface GitHubClient {
  send(call: GitHubCall): Promise<GitHubResponse>;
}

export interface GitHubClientOptions {
  readonly apiUrl?: string;
  readonly token: string;
  readonly logger?: Logger;
  readonly retries?: number;
}

/** What GitHub answered after the retries, with its own message; never the token. */
export class GitHubApiError extends GantryError {
  constructor(
    readonly call: Pick<GitHubCall, 'method' | 'path'>,
    readonly status: number,
    githubMessage: string,
    cause: unknown,
  ) {
    super('GITHUB_API_FAILED', `${call.method} ${call.path} answered ${status}: ${githubMessage}`, {
      cause,
      // 4xx will answer the same again, but a rate limit (429, or 403 saying so); 5xx and network failures may not.
      retryable: status >= 500 || status === 429 || (status === 403 && /rate limit/i.test(githubMessage)),
      hint: status === 401 || status === 403 ? 'Check the token: it needs write access to commit statuses (and admin rights for `gantry github protect`).' : 'Check `github.repo` and `github.apiUrl` (GitHub Enterprise: https://HOST/api/v3).',
    });
  }
}

interface RequestErrorLike {
  readonly status?: number;
  readonly message: string;
  readonly response?: { readonly data?: unknown };
}

/** A plugin registered before plugin-retry, so that its error hook sees every failed attempt. */
function logAttempts(octokit: Octokit, options: OctokitOptions): void {
  const logger = (options as { gantryLogger?: Logger }).gantryLogger;
  octokit.hook.error('request', (error: unknown, request) => {
    const e = error as RequestErrorLike;
    logger?.warn({ method: request.method, url: request.url, status: e.status ?? null, attempt: Number(request.request?.retryCount ?? 0) + 1 }, `GitHub API: ${request.method} ${request.url} failed (${e.status ?? 'no answer'})`);
    throw error;
  });
}

const RetryingOctokit = Octokit.plugin(logAttempts, retry);

/** GitHub's own message: a JSON body's `message`, else the error's. */
function githubMessage(error: RequestErrorLike): string {
  const data = error.response?.data;
  if (data !== null && typeof data === 'object' && typeof (data as { message?: unknown }).message === 'string') return (data as { message: string }).message;
  return typeof data === 'string' && data.length > 0 ? data.slice(0, 300) : error.message;
}

/** The value of the secret `github.token` names; undefined when there is none or it is not set. */
export function githubToken(github: GitHubConfig | undefined, secrets: SecretSource): string | undefined {
  const name = github?.token?.secret;
  return name ? secrets.values([name])[name] : undefined;
}

/** @octokit/core with plugin-retry, speaking to api.github.com or `github.apiUrl`. */
export function createGitHubClient(o: GitHubClientOptions): GitHubClient {
  const octokit = new RetryingOctokit({
    auth: o.token,
    baseUrl: (o.apiUrl ?? DEFAULT_GITHUB_API_URL).replace(/\/+$/, ''),
    userAgent: 'gantry',
    retry: { retries: o.retries ?? DEFAULT_GITHUB_RETRIES },
    gantryLogger: o.logger,
  });
  return {
    async send(call) {
      try {
        const res = await octokit.request(`${call.method} ${call.path}`, {
          headers: { accept: 'application/vnd.github+json', 'x-github-api-version': GITHUB_API_VERSION },
          ...(call.body ? { data: call.body } : {}),
          ...(call.signal ? { request: { signal: call.signal } } : {}),
        });
        return { status: res.status, data: res.data };
      } catch (error: unknown) {
        const e = error as RequestErrorLike;
        throw new GitHubApiError(call, e.status ?? 0, githubMessage(e), error);
      }
    },
  };
}
