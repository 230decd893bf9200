import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfigFile, parseConfigText } from '../../src/config/loader.js';
import { renderIssues } from '../../src/config/render.js';

const EXAMPLE = fileURLToPath(new URL('../../examples/volteryde/gantry.yaml', import.meta.url));

/**
 * The example's kubernetes variant switched on as its comments say: each environment's
 * `# target: cluster-<env>` line takes the place of its `target:`, and the cluster-* targets are
 * uncommented (the `# ` after their indent removed, down to the blank line that ends them).
 */
function kubernetesVariant(text: string): string {
  const lines = text
    .replace(/^( +)target: \S+\n(?=\1# target: cluster-)/gm, '')
    .replace(/^( +)# (target: cluster-[a-z]+).*$/gm, '$1$2')
    .split('\n');
  const start = lines.findIndex((l) => l === '  # cluster-dev:');
  if (start < 0) throw new Error('the example has no commented cluster-dev target');
  for (let i = start; i < lines.length && (lines[i] ?? '').startsWith('  # '); i++) lines[i] = `  ${(lines[i] ?? '').slice(4)}`;
  return lines.join('\n');
}

describe('the reference example', () => {
  it('examples/volteryde/gantry.yaml loads with no errors', async () => {
    const result = await loadConfigFile(EXAMPLE);
    if (!result.ok) throw new Error(`the example does not load:\n${renderIssues(result.errors, { color: false })}`);
    expect(Object.keys(result.config.environments)).toEqual(expect.arrayContaining(['dev', 'staging', 'production']));
  });

  it('its kubernetes variant, uncommented as its comments say, validates clean: one cluster and namespace per environment', async () => {
    const original = await readFile(EXAMPLE, 'utf8');
    const text = kubernetesVariant(original);
    expect(text).not.toBe(original);
    const result = parseConfigText(text, EXAMPLE);
    if (!result.ok) throw new Error(`the kubernetes variant does not load:\n${renderIssues(result.errors, { color: false })}`);
    const before = parseConfigText(original, EXAMPLE);
    expect(result.warnings.map((w) => w.code)).toEqual(before.warnings.map((w) => w.code));
    const { config } = result;
    expect(Object.fromEntries(Object.entries(config.environments).map(([name, env]) => [name, env.target]))).toEqual({ dev: 'cluster-dev', staging: 'cluster-staging', production: 'cluster-production' });
    for (const env of ['dev', 'staging', 'production']) {
      expect(config.targets[`cluster-${env}`]).toMatchObject({ kind: 'kubernetes', namespace: `volteryde-${env}`, credentials: { kind: 'kubeconfig', secret: `KUBECONFIG_${env.toUpperCase()}` } });
    }
    expect(config.targets['cluster-dev']).toMatchObject({ serviceType: 'ClusterIP', endpoint: 'https://{service}-{route}.{environment}.volteryde.example' });
    expect(config.targets['cluster-production']).toMatchObject({ serviceType: 'LoadBalancer', endpoint: undefined });
  });
});
