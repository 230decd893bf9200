import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/kernel/clock.js';
import { AuthThrottle, DEFAULT_AUTH_FAILURE_LIMIT, DEFAULT_AUTH_FAILURE_WINDOW_MS } from '../../src/server/auth-throttle.js';
import { fixtureRepo } from '../support/fixture-repo.js';
import { TempDirs } from '../support/temp.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { lintOnlyConfig } from '../support/ci-config.js';

const CONFIG = lintOnlyConfig('throttle-test');

/**
 * The policy: an address that sends DEFAULT_AUTH_FAILURE_LIMIT bad tokens within the window is
 * blocked for the window, and while blocked EVERY request from it is refused with 429 — a good token
 * too, since an address that is guessing tokens is not trusted with anything. Other addresses, and
 * requests without a token, are not counted.
 */
describe('throttling failed authentication per client address', () => {
  const temp = new TempDirs();
  let t: TestServer;

  const get = (remoteAddress: string, token: string | undefined, url = '/api/v1/whoami') =>
    t.server.app.inject({ method: 'GET', url, remoteAddress, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });

  beforeAll(async () => {
    const root = await temp.make();
    const repo = await fixtureRepo(root, { 'gantry.yaml': CONFIG, 'api/x.js': 'export {};\n' });
    t = await startTestServer(root, repo, CONFIG);
  });
  afterAll(async () => {
    await t.close();
    await temp.cleanup();
  });

  it('answers 429 TOO_MANY_FAILED_LOGINS with Retry-After after the limit, even to a good token from that address', async () => {
    for (let i = 0; i < DEFAULT_AUTH_FAILURE_LIMIT; i++) {
      const bad = await get('10.0.0.1', `gty_guess${i}`);
      expect(bad.statusCode).toBe(401);
      expect(bad.json()).toMatchObject({ code: 'AUTH_INVALID' });
    }
    const good = await get('10.0.0.1', t.token);
    expect(good.statusCode).toBe(429);
    expect(good.json()).toMatchObject({ code: 'TOO_MANY_FAILED_LOGINS', message: expect.stringMatching(/blocked/), hint: expect.any(String) });
    const retryAfter = Number(good.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(DEFAULT_AUTH_FAILURE_WINDOW_MS / 1000);
    expect((await get('10.0.0.1', 'gty_guess-more')).statusCode).toBe(429);
    expect((await get('10.0.0.1', undefined, '/healthz')).statusCode).toBe(200);
  });

  it('leaves another address alone', async () => {
    const good = await get('10.0.0.2', t.token);
    expect(good.statusCode).toBe(200);
    const bad = await get('10.0.0.2', 'gty_nope');
    expect(bad.json()).toMatchObject({ code: 'AUTH_INVALID' });
  });

  it('never limits successful requests, nor requests without a token', async () => {
    for (let i = 0; i < DEFAULT_AUTH_FAILURE_LIMIT * 2; i++) {
      expect((await get('10.0.0.3', t.token)).statusCode).toBe(200);
      expect((await get('10.0.0.4', undefined)).json()).toMatchObject({ code: 'AUTH_REQUIRED' });
    }
    expect((await get('10.0.0.4', t.token)).statusCode).toBe(200);
  });
});

describe('AuthThrottle', () => {
  const clock = { ...systemClock, at: 0, now() { return this.at; } };

  it('blocks for the window once the limit is reached, then lets the address try again', () => {
    const throttle = new AuthThrottle(clock, { limit: 3, windowMs: 60_000 });
    clock.at = 1_000;
    throttle.recordFailure('a');
    throttle.recordFailure('a');
    expect(throttle.blockedFor('a')).toBe(0);
    throttle.recordFailure('a');
    expect(throttle.blockedFor('a')).toBe(60_000);
    expect(throttle.blockedFor('b')).toBe(0);
    clock.at += 59_000;
    expect(throttle.blockedFor('a')).toBe(1_000);
    clock.at += 1_000;
    expect(throttle.blockedFor('a')).toBe(0);
    throttle.recordFailure('a');
    expect(throttle.blockedFor('a')).toBe(0);
  });

  it('forgets failures older than the window', () => {
    const throttle = new AuthThrottle(clock, { limit: 3, windowMs: 60_000 });
    clock.at = 500_000;
    throttle.recordFailure('a');
    throttle.recordFailure('a');
    clock.at += 60_001;
    throttle.recordFailure('a');
    expect(throttle.blockedFor('a')).toBe(0);
  });
});
