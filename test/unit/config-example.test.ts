import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../src/config/loader.js';
import { renderIssues } from '../../src/config/render.js';

const EXAMPLE = fileURLToPath(new URL('../../examples/volteryde/gantry.yaml', import.meta.url));

describe('the reference example', () => {
  it('examples/volteryde/gantry.yaml loads with no errors', async () => {
    const result = await loadConfigFile(EXAMPLE);
    if (!result.ok) throw new Error(`the example does not load:\n${renderIssues(result.errors, { color: false })}`);
    expect(Object.keys(result.config.environments)).toEqual(expect.arrayContaining(['dev', 'staging', 'production']));
  });
});
