/**
 * What reading step specs with their kinds' schemas costs the executor: every step of the reference
 * pipeline's production plan (examples/volteryde) is parsed as the executor parses it before a
 * handler runs, from the JSON the store holds. Peer in the same run: JSON.parse of the same spec
 * (what reading it from the store already costs). Run: npx tsx bench/step-spec-parse.ts
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseConfigText } from '../src/config/loader.js';
import { planRun } from '../src/engine/planner.js';
import { isStepKind, parseStepSpec } from '../src/engine/step-specs/index.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20_000);
const loaded = parseConfigText(readFileSync(new URL('../examples/volteryde/gantry.yaml', import.meta.url), 'utf8'), 'gantry.yaml');
if (!loaded.ok) throw new Error('examples/volteryde/gantry.yaml does not parse');
const config = loaded.config;
const env = config.environments.production;
if (!env) throw new Error('the example has no production environment');
const plan = planRun({ config, services: Object.keys(config.services), serviceTrees: {}, environment: env, changeNote: 'bench' });
const stored = plan.steps.map((s) => ({ kind: s.kind, key: s.key, json: JSON.stringify(s.spec) }));

function perStepUs(work: (s: (typeof stored)[number]) => void): number {
  for (let i = 0; i < 1_000; i++) for (const s of stored) work(s);
  const start = performance.now();
  for (let i = 0; i < ROUNDS; i++) for (const s of stored) work(s);
  return ((performance.now() - start) / (ROUNDS * stored.length)) * 1000;
}

const specs = stored.map((s) => ({ ...s, spec: JSON.parse(s.json) as unknown }));
let i = 0;
const jsonUs = perStepUs(() => {
  const s = stored[i++ % stored.length];
  if (s) JSON.parse(s.json);
});
i = 0;
const parseUs = perStepUs(() => {
  const s = specs[i++ % specs.length];
  if (s && isStepKind(s.kind)) parseStepSpec(s.kind, s.key, s.spec);
});
const deploy = specs.find((s) => s.kind === 'deploy');
const deployUs = perStepUs(() => {
  if (deploy) parseStepSpec('deploy', deploy.key, deploy.spec);
});

console.log(`Gantry step spec parse benchmark — ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`);
console.log(`command: npx tsx bench/step-spec-parse.ts   (${stored.length} steps of the example's production plan, ${ROUNDS} rounds)\n`);
console.log('| work per step | µs |\n| --- | --- |');
console.log(`| JSON.parse of the stored spec (peer) | ${jsonUs.toFixed(2)} |`);
console.log(`| schema parse, mean over the plan's kinds | ${parseUs.toFixed(2)} |`);
console.log(`| schema parse of a deploy spec (the largest) | ${deployUs.toFixed(2)} |`);
