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

/** The example's production canary variant switched on as its comments say: its commented `strategy:` block takes the place of the blue-green one. */
function canaryVariant(text: string): string {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l === '    # strategy:');
  if (start < 0) throw new Error('the example has no commented canary strategy');
  let end = start;
  while ((lines[end + 1] ?? '').startsWith('    #   ')) end++;
  const canary = lines.slice(start, end + 1).map((l) => `    ${l.slice(6)}`);
  const blueGreen = lines.findIndex((l, i) => i < start && l === '    strategy:' && (lines[i + 1] ?? '').includes('kind: blue-green'));
  let blueGreenEnd = blueGreen;
  while ((lines[blueGreenEnd + 1] ?? '').startsWith('      ')) blueGreenEnd++;
  return [...lines.slice(0, blueGreen), ...canary, ...lines.slice(blueGreenEnd + 1, start), ...lines.slice(end + 1)].join('\n');
}

describe('the reference example', () => {
  it('its production canary variant, uncommented as its comments say, validates clean: 10 → 25 → 50 → 100 % with the analysis between', async () => {
    const text = canaryVariant(await readFile(EXAMPLE, 'utf8'));
    const result = parseConfigText(text, EXAMPLE);
    if (!result.ok) throw new Error(`the canary variant does not load:\n${renderIssues(result.errors, { color: false })}`);
    const strategy = result.config.environments.production?.strategy;
    if (strategy?.kind !== 'canary') throw new Error(`production's strategy is ${strategy?.kind ?? 'none'}`);
    expect(strategy.steps.map((s) => ('setWeight' in s ? s.setWeight : 'analysis' in s ? s.analysis.metrics.map((m) => m.name).join('+') : 'pause'))).toEqual([10, 'canary-error-rate+canary-p99', 25, 'canary-error-rate+canary-p99', 50, 'canary-error-rate+canary-p99']);
    expect(strategy.match).toEqual({ header: 'x-canary', value: 'always' });
    expect(result.config.environments.staging?.strategy.kind).not.toBe('canary');
  });


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
