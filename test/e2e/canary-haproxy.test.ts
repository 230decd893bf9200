import { canaryScenario } from '../support/canary-scenario.js';
import { startHaproxy, type HaproxyProcess } from '../support/haproxy.js';

let proxy: HaproxyProcess | undefined;

// The same canary through a real HAProxy that Gantry drives through its runtime API; testers reach
// the canary through the match backend the frontend picks for `x-canary: always` (docs/routers.md).
canaryScenario({
  name: 'haproxy',
  start: async (_port, temp) => {
    proxy = await startHaproxy(temp, 'prod_api', 'prod_api_match');
    const routerYaml = `    router:\n      kind: haproxy\n      runtimeApi: ${proxy.runtimeApi}\n      url: ${proxy.url}\n      matchBackend: prod_api_match\n`;
    return { routerYaml, userUrl: `${proxy.url}/` };
  },
  stop: async () => proxy?.stop(),
});
