import { describe, expect, it } from 'vitest';
import { TargetError } from '../../src/errors/index.js';
import { parseServersState, parseTraffic } from '../../src/targets/routers/haproxy/haproxy-state.js';
import { planServers, revisionOfServer } from '../../src/targets/routers/haproxy/server-plan.js';
import type { RevisionStatus } from '../../src/targets/target.js';

const revision = (n: number, ports: number[], phase: RevisionStatus['phase'] = 'ready'): RevisionStatus => ({ revision: n, release: `rel${n}`, digest: 'sha256:x', phase, restarts: 0, ports, lastError: null });

describe('haproxy server plan', () => {
  it("splits each revision's percentage over its replicas, never rounding a share above 0 down to 0", () => {
    const plan = planServers([revision(1, [4001]), revision(2, [4002, 4003, 4004]), revision(3, [4005], 'stopped')], { '1': 99, '2': 1 }, 'here');
    expect(plan.map((s) => `${s.name}:${s.port}=${s.weight}`)).toEqual(['r1-1:4001=198', 'r2-1:4002=1', 'r2-2:4003=1', 'r2-3:4004=1']);
    expect(revisionOfServer('r12-3')).toBe(12);
    expect(revisionOfServer('static1')).toBeUndefined();
  });

  it('refuses a weight for a revision with no running replica', () => {
    expect(() => planServers([revision(1, [4001])], { '2': 10 }, 'environments.dev.router (dev/web)')).toThrow(TargetError);
    expect(() => planServers([revision(1, [4001])], { '2': 10 }, 'environments.dev.router (dev/web)')).toThrow(/revision 2 has no running replica/);
  });
});

describe("parsing HAProxy's answers", () => {
  it('reads show servers state: name, address, port, user weight and whether an admin state is set', () => {
    const text = `1
# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port
3 dev_api 1 r1-1 127.0.0.1 2 0 200 0 0 1 0 0 6 0 0 0 - 19981 - 0 0 - - 0
3 dev_api 2 r2-1 127.0.0.1 2 8 0 0 0 1 0 0 6 0 0 0 - 19982 - 0 0 - - 0
`;
    expect(parseServersState(text)).toEqual([
      { name: 'r1-1', address: '127.0.0.1', port: 19981, weight: 200, ready: true },
      { name: 'r2-1', address: '127.0.0.1', port: 19982, weight: 0, ready: false },
    ]);
  });

  it('sums show stat per revision over its servers and backends, with no latency buckets', () => {
    const csv = `# pxname,svname,econ,eresp,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other
fe,FRONTEND,,,0,50,0,0,0,0
dev_api,r1-1,1,0,0,10,0,1,2,0
dev_api,r1-2,0,2,0,5,0,0,0,0
dev_api_match,r1-1,0,0,0,3,0,0,0,0
dev_api,static,0,0,0,99,0,0,0,0
other,r1-1,0,0,0,99,0,0,0,0
dev_api,BACKEND,0,0,0,20,0,1,2,0
`;
    expect(parseTraffic(csv, ['dev_api', 'dev_api_match'])).toEqual([
      { revision: 1, requests: 24, status: { '2xx': 18, '3xx': 0, '4xx': 1, '5xx': 2 }, errors: 3, latencyBuckets: {} },
    ]);
  });
});
