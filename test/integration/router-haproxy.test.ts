import { afterAll } from 'vitest';
import { freePort } from '../support/free-port.js';
import { startHaproxy, type HaproxyProcess } from '../support/haproxy.js';
import { routerConfig, routerSubject } from '../support/router-fixture.js';
import { routerSuite } from '../support/router-suite.js';
import { TempDirs } from '../support/temp.js';

/**
 * The `haproxy` router against the router suite: a real HAProxy (Debian's) started on 127.0.0.1
 * with the config docs/routers.md tells users to write, driven by Gantry through its runtime API
 * only, in front of a real `gantry agent` (run the server build first).
 */
const temp = new TempDirs();
let haproxy: HaproxyProcess | undefined;
afterAll(async () => {
  await haproxy?.stop();
  await temp.cleanup();
});

routerSuite('haproxy (runtime API)', async () => {
  haproxy = await startHaproxy(temp, 'dev_web');
  const yaml = `\n      kind: haproxy\n      runtimeApi: ${haproxy.runtimeApi}\n      url: ${haproxy.url}\n`;
  return routerSubject(temp, routerConfig(await freePort(), yaml), () => haproxy?.stop() ?? Promise.resolve());
});
