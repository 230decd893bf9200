import { canaryScenario } from '../support/canary-scenario.js';

canaryScenario({ name: 'built-in', routerYaml: () => '', userUrl: (port) => `http://127.0.0.1:${port}/` });
