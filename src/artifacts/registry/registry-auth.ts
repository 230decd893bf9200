import { request, type Dispatcher } from 'undici';
import type { AuthChallenge } from './auth-challenge.js';
import { tokenUrl } from './auth-challenge.js';
import { answerError, RegistryError, type RegistryPlace } from './registry-error.js';

export interface RegistryCredentials {
  readonly username: string;
  readonly password: string;
}

/**
 * Answers a registry's challenges: Basic with the credentials, or the Bearer token flow (ask the
 * challenge's realm for a token for its service and scope, with the credentials when there are
 * any, anonymously otherwise). Tokens are kept per repository, since their scope names one.
 * Credentials and tokens only ever go into request headers, never into a message.
 */
export class RegistryAuth {
  private basic = false;
  private readonly tokens = new Map<string, string>();

  constructor(
    private readonly credentials: RegistryCredentials | undefined,
    private readonly dispatcher: Dispatcher | undefined,
  ) {}

  get username(): string | undefined {
    return this.credentials?.username;
  }

  /** The Authorization header to send for a repository, once a challenge said which kind. */
  header(repository: string): string | undefined {
    const token = this.tokens.get(repository);
    if (token !== undefined) return `Bearer ${token}`;
    return this.basic ? this.basicHeader() : undefined;
  }

  /** Prepares an answer to a challenge; false when Gantry has nothing that could answer it. */
  async answer(challenge: AuthChallenge | undefined, place: RegistryPlace): Promise<boolean> {
    if (challenge?.scheme === 'basic') {
      this.basic = this.credentials !== undefined;
      return this.basic;
    }
    if (challenge?.scheme !== 'bearer') return false;
    this.tokens.set(place.repository, await this.fetchToken(challenge, place));
    return true;
  }

  private basicHeader(): string | undefined {
    if (!this.credentials) return undefined;
    return `Basic ${Buffer.from(`${this.credentials.username}:${this.credentials.password}`).toString('base64')}`;
  }

  private async fetchToken(challenge: AuthChallenge, place: RegistryPlace): Promise<string> {
    const url = tokenUrl(challenge);
    if (!url) {
      throw new RegistryError('REGISTRY_RESPONSE_INVALID', `registry ${place.registry} asked for a Bearer token without a usable realm`, {
        hint: 'The registry\'s WWW-Authenticate header must name its token service as realm="https://…".',
        details: { registry: place.registry, repository: place.repository },
      });
    }
    const authorization = this.basicHeader();
    const answer = await request(url, { method: 'GET', headers: authorization ? { authorization } : {}, ...(this.dispatcher ? { dispatcher: this.dispatcher } : {}) });
    const body = Buffer.from(await answer.body.arrayBuffer());
    if (answer.statusCode === 401 || answer.statusCode === 403) {
      throw answerError('REGISTRY_UNAUTHORIZED', `the token service of ${place.registry} (${url.host}) refused ${this.who()}`, place, answer.statusCode, body);
    }
    if (answer.statusCode !== 200) throw answerError('REGISTRY_REQUEST_FAILED', `asking ${url.host} for a registry token`, place, answer.statusCode, body);
    const token = readToken(body);
    if (token === undefined) {
      throw new RegistryError('REGISTRY_RESPONSE_INVALID', `the token service of ${place.registry} (${url.host}) answered without a token`, {
        hint: 'A token service answers {"token": "…"} or {"access_token": "…"}; check the realm the registry names.',
        details: { registry: place.registry, repository: place.repository },
      });
    }
    return token;
  }

  private who(): string {
    return this.credentials ? `the credentials of user ${this.credentials.username}` : 'an anonymous request';
  }
}

function readToken(body: Buffer): string | undefined {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { token?: unknown; access_token?: unknown };
    const token = parsed.token ?? parsed.access_token;
    return typeof token === 'string' && token !== '' ? token : undefined;
  } catch {
    return undefined;
  }
}
