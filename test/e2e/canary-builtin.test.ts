import { canaryScenario } from '../support/canary-scenario.js';

canaryScenario({ name: 'built-in', start: async (port) => ({ routerYaml: '', userUrl: `http://127.0.0.1:${port}/` }) });
