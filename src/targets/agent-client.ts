import { request, type Dispatcher } from 'undici';
import { GantryError, TargetError } from '../errors/index.js';
import type { ServedRoute } from './local/route-layout.js';
import type { RevisionSpec } from './target.js';

/** POST only for what is not idempotent (a chaos check's replica kill): a retry after a lost answer may repeat it. */
export type AgentMethod = 'GET' | 'PUT' | 'DELETE' | 'POST';

export interface AgentClientOptions {
  /** How messages name the agent: `the agent of target web`, `host web-1 of target web`. */
  readonly label: string;
  /** Where the agent's control API answers now (a local agent may move when it restarts). */
  readonly baseUrl: () => Promise<string>;
  readonly token: string;
  /** TLS settings for a remote agent (tls-dispatcher.ts); absent: undici's global dispatcher. */
  readonly dispatcher?: Dispatcher;
  /** Told when the agent did not answer, so the next call looks for it (or starts it) again. */
  readonly onUnreachable?: () => void;
  /** How long an unanswered call is tried again; observers pass 0 to report a down agent at once. */
  readonly retryMs: number;
  /** What to do when the agent stays unreachable. */
  readonly unreachableHint: string;
  /** The routes gantry.yaml gives this agent, told to each agent (by its address) before its first call. */
  readonly routes?: readonly ServedRoute[];
}

interface ErrorBody {
  code?: string;
  message?: string;
  hint?: string;
}

/** Node's codes for a peer certificate it refused, and ours for a pin that does not match: retrying cannot help. */
const TLS_REFUSALS = /^(ERR_TLS_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|CERT_|ERR_GANTRY_PIN|ERR_SSL_)/;

function tlsRefusal(cause: unknown): string | undefined {
  for (let e = cause; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && TLS_REFUSALS.test(code)) return e.message;
  }
  return undefined;
}

/**
 * The control API of one `gantry agent`, spoken over HTTP (loopback, the local target) or HTTPS
 * with a pinned certificate (a remote host): the calls every agent-backed target makes. Every call
 * of the contract is idempotent, so one that found no agent (its worker restarting, a connection
 * cut by its crash) is sent again for a few seconds before the step hears of it.
 */
export class AgentClient {
  /** The agent (by its address) last told the routes: a new one is told again before anything else. */
  private configured: string | undefined;

  constructor(private readonly o: AgentClientOptions) {}

  get label(): string {
    return this.o.label;
  }

  async call<T>(method: AgentMethod, path: string, body?: unknown): Promise<T> {
    await this.configure();
    return this.exchange<T>(method, path, body);
  }

  /** One PUT /v1/routes at a time: concurrent first calls (a status page beside a deploy) share it. */
  private configuring: Promise<void> | undefined;

  private async configure(): Promise<void> {
    if (this.o.routes === undefined) return;
    const base = await this.o.baseUrl();
    if (this.configured === base) return;
    this.configuring ??= this.tell(base).finally(() => (this.configuring = undefined));
    await this.configuring;
  }

  private async tell(base: string): Promise<void> {
    if (this.configured === base) return;
    await this.exchange('PUT', '/v1/routes', { routes: this.o.routes }).catch((cause: unknown) => {
      // Unreachable, a refused certificate or token: said as such; anything else is the routes' fault.
      if ((cause instanceof TargetError && cause.code !== 'TARGET_ERROR') || (cause instanceof GantryError && cause.code.startsWith('AUTH_'))) throw cause;
      throw new GantryError('TARGET_ERROR', `${this.o.label} refused its routes: ${cause instanceof Error ? cause.message : String(cause)}`, { cause, hint: 'Read the agent log in its data dir.' });
    });
    this.configured = base;
  }

  private async exchange<T>(method: AgentMethod, path: string, body?: unknown): Promise<T> {
    const response = await this.send(method, path, body);
    const text = await response.body.text();
    const parsed = text === '' ? {} : (JSON.parse(text) as unknown);
    if (response.statusCode >= 400) {
      const e = parsed as ErrorBody;
      // The agent's own codes (REVISION_CRASH_LOOP, AUTH_INVALID …) pass through: the steps act on them.
      throw new GantryError((e.code as never) ?? 'TARGET_ERROR', `${this.o.label}: ${e.message ?? `HTTP ${response.statusCode}`}`, e.hint ? { hint: e.hint } : {});
    }
    return parsed as T;
  }

  private async send(method: AgentMethod, path: string, body?: unknown): Promise<Dispatcher.ResponseData> {
    const deadline = Date.now() + this.o.retryMs;
    for (let pause = 50; ; pause = Math.min(pause * 2, 500)) {
      const base = await this.o.baseUrl();
      try {
        return await request(`${base}${path}`, {
          method,
          headers: { authorization: `Bearer ${this.o.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          ...(this.o.dispatcher ? { dispatcher: this.o.dispatcher } : {}),
          signal: AbortSignal.timeout(30_000),
        });
      } catch (cause: unknown) {
        const refused = tlsRefusal(cause);
        if (refused !== undefined) {
          throw new TargetError('TARGET_TLS_REFUSED', `${this.o.label} at ${base} showed a certificate Gantry does not trust: ${refused}`, {
            cause,
            where: base,
            hint: 'The agent must serve the certificate `gantry hosts issue` made for this host (signed by this Gantry\'s CA, the fingerprint it recorded); issue it again and restart the agent with it.',
          });
        }
        this.o.onUnreachable?.();
        if (Date.now() + pause > deadline) {
          throw new TargetError('AGENT_UNREACHABLE', `${this.o.label} at ${base} did not answer`, { cause, retryable: true, hint: this.o.unreachableHint });
        }
        await new Promise((resolve) => setTimeout(resolve, pause));
      }
    }
  }
}

/** A RevisionSpec as an agent's PUT …/revisions/:n takes it: without the run, which only the control plane's records need. */
export function agentRevisionBody(spec: RevisionSpec): Omit<RevisionSpec, 'run'> {
  const { run: _run, ...body } = spec;
  return body;
}
