import { afterAll } from 'vitest';
import { freePort } from '../support/free-port.js';
import { routerConfig, routerSubject } from '../support/router-fixture.js';
import { routerSuite } from '../support/router-suite.js';
import { TempDirs } from '../support/temp.js';

/**
 * The built-in router (the agent's own, `router: builtin`, the default) against the router suite:
 * a real `gantry agent` (run the server build first: `npx tsc -p tsconfig.build.json`).
 */
const temp = new TempDirs();
afterAll(() => temp.cleanup());

routerSuite('builtin (the agent)', async () => routerSubject(temp, routerConfig(await freePort(), 'builtin')));
