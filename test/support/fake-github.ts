import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as it reached the stand-in, and what it answered. */
export interface GitHubHit {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Record<string, unknown> | null;
  readonly status: number;
}

export interface CommitStatusRecord {
  readonly sha: string;
  readonly state: string;
  readonly context: string;
  readonly description: string | null;
  readonly target_url: string | null;
}

export interface FakeGitHubOptions {
  readonly repo: string;
  readonly token: string;
  /** Whether the repository has this commit (GitHub answers 422 "No commit found for SHA" otherwise). */
  readonly commitExists?: (sha: string) => Promise<boolean>;
}

const STATES = new Set(['pending', 'success', 'failure', 'error']);

/**
 * A local stand-in for api.github.com, following its documented REST protocol for the calls Gantry
 * makes (docs.github.com/rest/commits/statuses, /rest/branches/branch-protection): the paths, the
 * `Authorization: token|Bearer` header, JSON bodies, the status codes and error bodies
 * (`{message, documentation_url}`), 422 for a bad state, description or unknown commit.
 * `failNext(n)` answers the next n requests 500; `down` answers every request 503.
 */
export class FakeGitHub {
  readonly hits: GitHubHit[] = [];
  readonly statuses: CommitStatusRecord[] = [];
  down = false;
  /** How long each answer takes (a slow GitHub, for the bench). */
  latencyMs = 0;
  private failures = 0;
  private nextId = 1;
  private readonly server: Server;

  private constructor(private readonly o: FakeGitHubOptions) {
    this.server = createServer((req, res) => {
      let text = '';
      req.on('data', (c: Buffer) => (text += c.toString('utf8')));
      req.on('end', () => {
        void this.answer(req.method ?? '', req.url ?? '', req.headers, text).then(({ status, body }) => {
          this.hits.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: parse(text), status });
          res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'x-github-api-version-selected': '2022-11-28' });
          res.end(status === 204 ? undefined : JSON.stringify(body));
        });
      });
    });
  }

  static async start(o: FakeGitHubOptions): Promise<FakeGitHub> {
    const fake = new FakeGitHub(o);
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  failNext(n: number): void {
    this.failures = n;
  }

  statusesFor(sha: string): CommitStatusRecord[] {
    return this.statuses.filter((s) => s.sha === sha);
  }

  /** The latest status of each context on a commit, as GitHub's combined status shows it. */
  latest(sha: string): Map<string, CommitStatusRecord> {
    return new Map(this.statusesFor(sha).map((s) => [s.context, s]));
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async answer(method: string, path: string, headers: IncomingHttpHeaders, text: string): Promise<{ status: number; body: unknown }> {
    const error = (status: number, message: string, extra: Record<string, unknown> = {}) => ({ status, body: { message, documentation_url: 'https://docs.github.com/rest', status: String(status), ...extra } });
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
    if (this.down) return error(503, 'Service Unavailable');
    if (this.failures > 0) {
      this.failures -= 1;
      return error(500, 'Server Error');
    }
    const auth = headers.authorization ?? '';
    if (auth !== `token ${this.o.token}` && auth !== `Bearer ${this.o.token}`) return error(401, 'Bad credentials');
    const m = /^\/repos\/([^/]+)\/([^/]+)\/(.*)$/.exec(path);
    if (!m || `${decodeURIComponent(m[1] ?? '')}/${decodeURIComponent(m[2] ?? '')}` !== this.o.repo) return error(404, 'Not Found');
    const rest = m[3] ?? '';
    const body = parse(text);
    const status = /^statuses\/([0-9a-f]{40})$/.exec(rest);
    if (status && method === 'POST') return this.createStatus(status[1] ?? '', body, error);
    if (/^branches\/[^/]+\/protection$/.test(rest) && method === 'PUT') {
      for (const key of ['required_status_checks', 'enforce_admins', 'required_pull_request_reviews', 'restrictions']) if (!body || !(key in body)) return error(422, 'Invalid request.', { errors: [`"${key}" wasn't supplied.`] });
      return { status: 200, body: { url: `https://api.github.com/${path}`, ...body } };
    }
    if (/^branches\/[^/]+\/protection\/required_signatures$/.test(rest)) return method === 'DELETE' ? { status: 204, body: null } : { status: 200, body: { enabled: true } };
    return error(404, 'Not Found');
  }

  private async createStatus(sha: string, body: Record<string, unknown> | null, error: (s: number, m: string, e?: Record<string, unknown>) => { status: number; body: unknown }): Promise<{ status: number; body: unknown }> {
    if (!body || typeof body.state !== 'string' || !STATES.has(body.state)) return error(422, 'Validation Failed', { errors: [{ resource: 'Status', code: 'custom', field: 'state', message: 'state is not included in the list' }] });
    if (typeof body.description === 'string' && body.description.length > 140) return error(422, 'Validation Failed', { errors: [{ resource: 'Status', code: 'custom', field: 'description', message: 'description is too long (maximum is 140 characters)' }] });
    if (this.o.commitExists && !(await this.o.commitExists(sha))) return error(422, `No commit found for SHA: ${sha}`);
    const record: CommitStatusRecord = {
      sha,
      state: body.state,
      context: typeof body.context === 'string' ? body.context : 'default',
      description: typeof body.description === 'string' ? body.description : null,
      target_url: typeof body.target_url === 'string' ? body.target_url : null,
    };
    this.statuses.push(record);
    const now = new Date().toISOString();
    const id = this.nextId++;
    return { status: 201, body: { url: `https://api.github.com/repos/${this.o.repo}/statuses/${sha}`, id, node_id: `SC_${id}`, state: record.state, description: record.description, target_url: record.target_url, context: record.context, created_at: now, updated_at: now, creator: { login: 'gantry-bot', id: 1, type: 'User' } } };
  }
}

function parse(text: string): Record<string, unknown> | null {
  try {
    const v = JSON.parse(text) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
