/**
 * Image builds for a small service, each ending with the image (and its SBOM) in a real registry:
 * a cold Dockerfile build (the engine's cache off: `nocache`), the same Dockerfile rebuilt unchanged
 * (the engine's layer cache, then a push where every layer is already there), an assembled build
 * of a changed bundle read from the artifact store, as the pipeline does (Gantry's own path: no
 * engine, base layers mounted, one new layer) and the same assembly unchanged (same digest; HEADs only).
 * Reproduce with: npx tsx bench/images.ts   (as root, with docker.io and docker-registry installed)
 * Knobs: BENCH_IMAGES_ROUNDS (default 3), BENCH_IMAGES_FILES (default 2000 generated dependency files of ~8 KB, a small service's node_modules).
 *
 * Second part, in the same run: a switch under load on the Docker target beside the local target
 * (bench/target-switch.ts: failed requests and time to 100 % on the new revision across 20 switches).
 * It runs the agents from dist/: run `npx tsc -p tsconfig.build.json` first.
 */
import { cpus, loadavg, totalmem } from 'node:os';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assembleImage, buildImageWithDocker, type ImageProvenance } from '../src/artifacts/images/index.js';
import { OciLayout, packBundle } from '../src/artifacts/index.js';
import { RegistryClient } from '../src/artifacts/registry/index.js';
import type { RevisionSpec } from '../src/targets/target.js';
import { freePorts, revisionSpec, SERVICE_JS, serviceArtifact, spawnAgent, type AgentProcess, type SpawnAgentOptions } from '../test/support/agent-process.js';
import { pushBaseImage, startDockerd } from '../test/support/dockerd.js';
import { startRegistry } from '../test/support/registry.js';
import { pushServiceImage } from '../test/support/service-image.js';
import { TempDirs } from '../test/support/temp.js';
import { machine } from './router.js';
import { measureSwitches, SWITCH_LOAD, switchTable, type SwitchFigures } from './target-switch.js';

const ROUNDS = Number(process.env.BENCH_IMAGES_ROUNDS ?? 3);
const FILES = Number(process.env.BENCH_IMAGES_FILES ?? 2000);

/** The service: a package.json, sources, and a Dockerfile whose steps stand in for `npm ci` and a build. */
async function writeService(dir: string, baseRef: string): Promise<void> {
  await mkdir(join(dir, 'src'), { recursive: true });
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'api', version: '1.0.0', type: 'module' }));
  await writeFile(join(dir, 'package-lock.json'), JSON.stringify({ lockfileVersion: 3, packages: { '': { name: 'api' }, 'node_modules/dep': { version: '1.0.0' } } }));
  for (let i = 0; i < 40; i++) await writeFile(join(dir, 'src', `module-${i}.mjs`), `export const value${i} = ${JSON.stringify('x'.repeat(2000))};\n`);
  await writeFile(join(dir, 'src', 'server.mjs'), "import { createServer } from 'node:http';\ncreateServer((q, s) => s.end('ok')).listen(Number(process.env.PORT));\n");
  // "install": FILES dependency files of ~8 KB of pseudo-random text; "build": the sources joined into dist/.
  const install = `const fs=require('fs');let s=1;const r=()=>(s=(s*48271)%2147483647);for(let i=0;i<${FILES};i++){fs.mkdirSync('node_modules/dep'+(i%40),{recursive:true});let t='';for(let j=0;j<1000;j++)t+=r().toString(36);fs.writeFileSync('node_modules/dep'+(i%40)+'/f'+i+'.js','module.exports='+JSON.stringify(t))}`;
  const build = "const fs=require('fs');fs.mkdirSync('dist');let out='';for(const f of fs.readdirSync('src').sort())out+=fs.readFileSync('src/'+f,'utf8');fs.writeFileSync('dist/bundle.mjs',out);fs.copyFileSync('src/server.mjs','dist/server.mjs')";
  await writeFile(
    join(dir, 'Dockerfile'),
    [`FROM ${baseRef}`, 'WORKDIR /app', 'COPY package.json package-lock.json ./', `RUN node -e "${install}"`, 'COPY src/ ./src/', `RUN node -e "${build}"`, 'CMD ["node", "dist/server.mjs"]', ''].join('\n'),
  );
  // The build output is not an input of the Dockerfile: ignored, as a real service ignores node_modules and dist.
  await writeFile(join(dir, '.dockerignore'), 'out\nlayout\n');
  // The assembled path packs the build output; give it the same files the Dockerfile produces.
  await mkdir(join(dir, 'out', 'dist'), { recursive: true });
  let seed = 1;
  const next = (): number => (seed = (seed * 48271) % 2147483647);
  for (let i = 0; i < FILES; i++) {
    await mkdir(join(dir, 'out', 'node_modules', `dep${i % 40}`), { recursive: true });
    let text = '';
    for (let j = 0; j < 1000; j++) text += next().toString(36);
    await writeFile(join(dir, 'out', 'node_modules', `dep${i % 40}`, `f${i}.js`), `module.exports=${JSON.stringify(text)}`);
  }
  await writeFile(join(dir, 'out', 'dist', 'server.mjs'), "import { createServer } from 'node:http';\ncreateServer((q, s) => s.end('ok')).listen(Number(process.env.PORT));\n");
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

const temp = new TempDirs();
const registry = await startRegistry();
const engine = await startDockerd(temp).catch(async (error: unknown) => {
  await registry.stop();
  throw error;
});
const stopAll = async (): Promise<void> => {
  await engine.stop();
  await registry.stop();
  await temp.cleanup();
};
const results: Record<string, number[]> = { 'Dockerfile, cold (nocache)': [], 'Dockerfile, unchanged (cache hit)': [], 'assembled, changed bundle': [], 'assembled, unchanged': [] };
try {
  const host = new URL(registry.url).host;
  const base = await pushBaseImage(engine, host);
  const client = new RegistryClient({ url: registry.url });
  const service = await temp.make('gantry-bench-images-');
  await writeService(service, base.tagRef);
  const provenance = (round: number): ImageProvenance => ({ revision: `${round}`.padStart(40, '0'), source: 'https://git.example/bench.git', created: new Date(Date.UTC(2026, 0, 1, 0, 0, round)), title: 'api', version: '1.0.0' });
  const docker = (round: number, noCache: boolean): Promise<unknown> =>
    buildImageWithDocker({ docker: engine.docker, context: service, registry: client, repository: 'bench/docker', provenance: provenance(round), lockfile: join(service, 'package-lock.json'), noCache });
  // As in the pipeline: the build step stores the bundle (not timed here), the image is assembled from the store.
  const layout = new OciLayout(join(service, 'layout'));
  await layout.init();
  const assembled = (round: number, digest: string): Promise<unknown> =>
    assembleImage({ registry: client, base: base.ref, bundle: { layout, digest }, repository: 'bench/assembled', provenance: provenance(round), lockfile: join(service, 'package-lock.json') });
  for (let round = 1; round <= ROUNDS; round++) {
    await writeFile(join(service, 'out', 'dist', 'version.txt'), `${round}\n`);
    const bundle = (await layout.put('api', await packBundle(join(service, 'out')))).manifestDigest;
    results['Dockerfile, cold (nocache)']?.push(await timed(() => docker(round, true)));
    results['Dockerfile, unchanged (cache hit)']?.push(await timed(() => docker(round, false)));
    results['assembled, changed bundle']?.push(await timed(() => assembled(round, bundle)));
    results['assembled, unchanged']?.push(await timed(() => assembled(round, bundle)));
  }
} catch (error: unknown) {
  // On success the engine and the registry serve the second part too; they are stopped after it.
  await stopAll();
  throw error;
}

const cold = median(results['Dockerfile, cold (nocache)'] ?? []);
console.log(`${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${Math.round(totalmem() / 2 ** 30)} GiB; ${FILES} dependency files, ${ROUNDS} rounds, medians:`);
console.log('| build | median | % of a cold Dockerfile build | rounds (ms) |\n| --- | --- | --- | --- |');
for (const [name, times] of Object.entries(results)) {
  const ms = median(times);
  console.log(`| ${name} | ${ms.toFixed(0)} ms | ${((ms / cold) * 100).toFixed(1)} % | ${times.map((t) => t.toFixed(0)).join(', ')} |`);
}

// ── Second part: a switch under load on the Docker target, beside the local target ──────────────
// Two agents on this machine, each driven over its HTTP API as the control plane drives a target:
// `gantry agent --runtime docker` on the engine above (revisions are images pulled by digest from
// the registry above) and `gantry agent` with the process runtime (revisions from an OCI layout).
// Needs the server build (npx tsc -p tsconfig.build.json): the agents run dist/cli/main.js.
const ENVIRONMENT = 'bench';
const SERVICE = 'api';
const switchConfig = (port: number): string =>
  `version: 1\nproject:\n  name: bench\nrepository:\n  url: .\nservices:\n  ${SERVICE}:\n    path: svc\n    run:\n      command: node server.mjs\n      port: ${port}\n    health:\n      path: /healthz\n` +
  `environments:\n  ${ENVIRONMENT}:\n    branch: main\n    strategy:\n      kind: blue-green\n      previewPortOffset: 100\n`;
const switchRows: SwitchFigures[] = [];
const agents: AgentProcess[] = [];
try {
  const artifact = await serviceArtifact(temp);
  const image = await pushServiceImage(engine, new URL(registry.url).host, 'bench/switch', { 'server.mjs': SERVICE_JS });
  const subjects: Array<[string, SpawnAgentOptions, (revision: 1 | 2) => RevisionSpec]> = [
    ['docker target', { docker: { dockerHost: engine.dockerHost } }, (r) => ({ ...revisionSpec(artifact, ENVIRONMENT, SERVICE, r), artifact: { digest: image.digest, ref: image.ref } })],
    ['local target (process runtime)', {}, (r) => revisionSpec(artifact, ENVIRONMENT, SERVICE, r)],
  ];
  for (const [name, options, spec] of subjects) {
    const agent = await spawnAgent(temp, switchConfig(await freePorts(27_000, 900, 101)), options);
    agents.push(agent);
    console.log(`  switches on the ${name} …`);
    switchRows.push(await measureSwitches({ name, target: agent.target, environment: ENVIRONMENT, service: SERVICE, spec }));
    // One agent at a time: the other's revisions would compete for the same two cores.
    await agent.stop();
  }
} finally {
  for (const agent of agents) await agent.stop();
  await stopAll();
}
const [l1, l5, l15] = loadavg();
console.log(`\n${new Date().toISOString()}, ${machine()}, load average ${l1?.toFixed(2)} ${l5?.toFixed(2)} ${l15?.toFixed(2)} at the end (shared machine)`);
console.log(`load: ${switchRows[0]?.load.command.replace(/http:\S+/, '<url>') ?? ''}; ${SWITCH_LOAD}\n`);
console.log(switchTable(switchRows));
