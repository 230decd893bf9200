import { createServer, type Server } from 'node:http';

export interface Received {
  readonly path: string;
  readonly body: unknown;
  readonly at: number;
}

/**
 * Stand-ins for Slack's incoming webhooks and PagerDuty's Events API that the demo starts on loopback:
 * they accept what the real services accept (JSON POSTs) and keep what arrived, so the demo can show it.
 */
export class DemoReceivers {
  readonly received: Received[] = [];
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        let body: unknown = null;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          body = Buffer.concat(chunks).toString('utf8');
        }
        this.received.push({ path: req.url ?? '/', body, at: Date.now() });
        // Slack answers "ok"; PagerDuty answers 202 with a dedup key.
        if ((req.url ?? '').startsWith('/pagerduty')) {
          res.writeHead(202, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ status: 'success', message: 'Event processed', dedup_key: (body as { dedup_key?: string } | null)?.dedup_key ?? null }));
        } else {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end('ok');
        }
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  }

  slack(): Received[] {
    return this.received.filter((r) => r.path.startsWith('/slack'));
  }

  pagerduty(): Received[] {
    return this.received.filter((r) => r.path.startsWith('/pagerduty'));
  }

  /** Slack messages of a production emergency: red and headed 🚨 (a failed run is red too, but not an emergency). */
  critical(): Received[] {
    return this.slack().filter((r) => {
      const body = JSON.stringify(r.body);
      return body.includes('"color":"danger"') && body.includes('🚨');
    });
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
