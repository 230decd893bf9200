import { describe, expect, it } from 'vitest';
import { agentEnvironment } from '../../src/targets/local/agent-launcher.js';

describe('the environment an agent is started with', () => {
  it('keeps what a process needs and drops the master key, secrets, the database URL and the API token', () => {
    const env = agentEnvironment({ PATH: '/usr/bin', HOME: '/root', GANTRY_MASTER_KEY: 'k'.repeat(44), GANTRY_SECRET_DB_PASSWORD: 'hunter2', GANTRY_TOKEN: 'gty_x', GANTRY_DATABASE_URL: 'postgres://gantry:pw@db/gantry', GANTRY_SERVER: 'http://127.0.0.1:7400', NODE_OPTIONS: '--max-old-space-size=512' });
    expect(env).toEqual({ PATH: '/usr/bin', HOME: '/root', GANTRY_SERVER: 'http://127.0.0.1:7400', NODE_OPTIONS: '--max-old-space-size=512' });
  });
});
