import { request, type Dispatcher } from 'undici';
import { parseAuthChallenge } from './auth-challenge.js';
import { assertRepository } from './names.js';
import type { RegistryAuth } from './registry-auth.js';
import { answerError, RegistryError, type RegistryPlace } from './registry-error.js';

export interface RegistryRequest {
  readonly method: Dispatcher.HttpMethod;
  /** `/v2/…`, or an absolute URL the registry gave (an upload's Location). */
  readonly path: string | URL;
  readonly repository: string;
  /** What Gantry was doing, for the error message: `uploading blob sha256:…`. */
  readonly what: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Buffer;
  /** Statuses that are an answer, not an error (404 here makes "absent" an answer). */
  readonly expect: readonly number[];
}

export interface RegistryAnswer {
  readonly status: number;
  readonly body: Buffer;
  header(name: string): string | undefined;
}

/** One registry's transport: sends a request, answers a 401 challenge once, maps failures to RegistryErrors. */
export class RegistryHttp {
  readonly registry: string;

  constructor(
    readonly base: URL,
    private readonly auth: RegistryAuth,
    private readonly dispatcher: Dispatcher | undefined,
  ) {
    this.registry = base.host;
  }

  place(repository: string): RegistryPlace {
    return { registry: this.registry, repository };
  }

  async send(req: RegistryRequest): Promise<RegistryAnswer> {
    const place = this.place(req.repository);
    assertRepository(this.registry, req.repository);
    for (let attempt = 0; ; attempt++) {
      const answer = await this.once(req, place);
      if (answer.status === 401 && attempt === 0 && (await this.auth.answer(parseAuthChallenge(answer.header('www-authenticate')), place))) continue;
      if (req.expect.includes(answer.status)) return answer;
      throw this.failure(req, place, answer);
    }
  }

  private async once(req: RegistryRequest, place: RegistryPlace): Promise<RegistryAnswer> {
    const url = new URL(req.path, this.base);
    // Credentials go to the registry only, never to a host it redirects to (object storage, a CDN).
    const authorization = url.origin === this.base.origin ? this.auth.header(req.repository) : undefined;
    const headers: Record<string, string> = { ...req.headers, ...(authorization ? { authorization } : {}) };
    try {
      const answer = await request(url, {
        method: req.method,
        headers,
        ...(req.body === undefined ? {} : { body: req.body }),
        ...(this.dispatcher ? { dispatcher: this.dispatcher } : {}),
      });
      // HEAD has no body; reading it still frees the connection.
      const body = Buffer.from(await answer.body.arrayBuffer());
      const raw = answer.headers;
      return {
        status: answer.statusCode,
        body,
        header: (name) => {
          const value = raw[name.toLowerCase()];
          return Array.isArray(value) ? value[0] : value;
        },
      };
    } catch (error: unknown) {
      throw new RegistryError('REGISTRY_REQUEST_FAILED', `${req.what}: registry ${place.registry} could not be reached for repository ${place.repository} (${(error as Error).message})`, {
        cause: error,
        retryable: true,
        where: `${place.registry}/${place.repository}`,
        hint: `Check that the registry runs at ${this.base.origin} and answers GET /v2/.`,
        details: { registry: place.registry, repository: place.repository },
      });
    }
  }

  private failure(req: RegistryRequest, place: RegistryPlace, answer: RegistryAnswer): RegistryError {
    if (answer.status === 401 || answer.status === 403) {
      const who = this.auth.username === undefined ? 'without credentials' : `as user ${this.auth.username}`;
      return answerError('REGISTRY_UNAUTHORIZED', `${req.what} ${who}`, place, answer.status, answer.body);
    }
    if (answer.status === 404) return answerError('REGISTRY_NOT_FOUND', req.what, place, 404, answer.body);
    return answerError('REGISTRY_REQUEST_FAILED', req.what, place, answer.status, answer.body);
  }
}
