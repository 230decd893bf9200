import { connect, type Socket } from 'node:net';
import { TargetError } from '../../../errors/index.js';

/** How long one runtime-API exchange may take: HAProxy answers in microseconds unless it is gone. */
const EXCHANGE_TIMEOUT_MS = 5_000;

/** Answers HAProxy gives to a command that worked; any other line of a mutating command is its refusal. */
const SUCCESS = [/^$/, /^New server registered\.$/, /^Server deleted\.$/, /^IP changed from/, /^no need to change the addr/, /^port changed from/];

/**
 * HAProxy's runtime API (`stats socket … level admin`), at `host:port` or a unix socket path.
 * Each call is one connection in HAProxy's non-interactive mode: the commands go on one line
 * separated by `;`, HAProxy runs them one after another without serving anything in between on
 * that connection, answers, and closes. That is as close to one atomic change as HAProxy offers.
 */
export class RuntimeApi {
  constructor(
    readonly address: string,
    /** Names the router in errors: "the haproxy router of environment dev". */
    private readonly label: string,
  ) {}

  /** Runs read-only commands (show …) and returns HAProxy's whole answer. */
  async query(commands: readonly string[]): Promise<string> {
    return this.exchange(commands);
  }

  /** Runs changes in one connection; rejects with ROUTER_REFUSED quoting HAProxy when any of them was refused. */
  async apply(commands: readonly string[]): Promise<void> {
    if (commands.length === 0) return;
    const answer = await this.exchange(commands);
    const refusals = answer
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => !SUCCESS.some((ok) => ok.test(line)));
    if (refusals.length > 0) {
      throw new TargetError('ROUTER_REFUSED', `HAProxy at ${this.address} refused a command of ${this.label}: ${refusals.join(' / ')}`, {
        where: this.label,
        hint: 'Check that the backends router.backend and router.matchBackend name exist in HAProxy’s config (see docs/routers.md).',
        details: { commands },
      });
    }
  }

  private exchange(commands: readonly string[]): Promise<string> {
    for (const c of commands) {
      // A `;` or newline inside one command would run as a command of its own.
      if (/[;\n\r]/.test(c)) throw new TargetError('ROUTER_REFUSED', `a runtime-API command of ${this.label} holds ';' or a newline: ${JSON.stringify(c)}`, { where: this.label });
    }
    return new Promise((resolve, reject) => {
      const socket: Socket = this.address.startsWith('/') ? connect(this.address) : connect(...hostPort(this.address));
      let answer = '';
      socket.setEncoding('utf8');
      socket.setTimeout(EXCHANGE_TIMEOUT_MS, () => socket.destroy(new Error(`no answer within ${EXCHANGE_TIMEOUT_MS} ms`)));
      socket.on('data', (chunk: string) => (answer += chunk));
      socket.on('end', () => resolve(answer));
      socket.on('error', (error) =>
        reject(
          new TargetError('ROUTER_UNREACHABLE', `HAProxy's runtime API at ${this.address} did not answer for ${this.label}: ${error.message}`, {
            where: this.label,
            hint: 'Start HAProxy with `stats socket <address> level admin` in its global section, the address router.runtimeApi names.',
            retryable: true,
            cause: error,
          }),
        ),
      );
      // HAProxy closes the connection once it has answered the line.
      socket.on('connect', () => socket.write(`${commands.join('; ')}\n`));
    });
  }
}

/** `127.0.0.1:9999` or `[::1]:9999` → [port, host]. */
function hostPort(address: string): [number, string] {
  const at = address.lastIndexOf(':');
  const host = address.slice(0, at).replace(/^\[(.*)\]$/, '$1');
  return [Number(address.slice(at + 1)), host];
}
