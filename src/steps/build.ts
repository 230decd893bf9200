import { join } from 'node:path';
import { packBundle } from '../artifacts/bundle.js';
import type { OciLayout } from '../artifacts/oci-layout.js';
import type { Run } from '../domain/run.js';
import { specOf, type BuildStepSpec } from '../engine/step-specs/index.js';
import type { StepContext, StepHandler, StepOutcome } from '../engine/step-handler.js';
import { GantryError, GateError } from '../errors/index.js';
import { childEnvironment } from '../secrets/source.js';
import type { Store } from '../store/store.js';
import { traceEnvironment } from '../telemetry/index.js';
import { runCommand } from './command.js';
import type { Workspaces } from './workspace.js';

/**
 * Build once: a service's artifact is made from the commit the first time its content is seen and
 * reused by every later release with the same content (a merge, a promotion). Stored content-addressed
 * in the OCI image layout, tagged with the release's commit.
 */
export class BuildStep implements StepHandler {
  readonly kind = 'build';

  constructor(private readonly store: Store, private readonly layout: OciLayout, private readonly workspaces: Workspaces) {}

  async run(ctx: StepContext): Promise<StepOutcome> {
    const spec = specOf(ctx, 'build');
    const now = ctx.clock.now();
    const releaseId = await this.store.releases.ensure(ctx.run.sha, ctx.run.id, now, ctx.run.commitTime);
    const own = (await this.store.releases.forRelease(ctx.run.sha)).find((a) => a.service === spec.service);
    if (own) {
      ctx.log.info(`release ${ctx.run.sha.slice(0, 7)} already has ${spec.service} ${own.digest}`);
      return { kind: 'done', cached: true, summary: { digest: own.digest, size: own.size }, message: `artifact ${own.digest.slice(7, 19)}` };
    }
    const same = await this.store.releases.byTree(spec.service, spec.treeKey);
    if (same) {
      await this.layout.verify(same.digest);
      await this.record(releaseId, spec, same.digest, same.layerDigest, same.size, ctx);
      ctx.log.info(`unchanged since release ${same.release.slice(0, 7)}: reusing its artifact ${same.digest} (not rebuilt)`);
      return { kind: 'done', cached: true, summary: { digest: same.digest, size: same.size, reusedFrom: same.release }, message: `reused from ${same.release.slice(0, 7)}` };
    }
    if (spec.mustExist) {
      throw new GantryError('RELEASE_NOT_FOUND', `release ${ctx.run.sha.slice(0, 7)} has no artifact for ${spec.service}`, { hint: 'Only releases built by an earlier run can be redeployed; dispatch the commit with --ref to build it.' });
    }
    const root = await this.workspaces.checkout(ctx.run.id, spec.service, ctx.run.sha);
    const cwd = join(root, spec.servicePath);
    let outputDir = cwd;
    if (spec.build) {
      ctx.log.info(`$ ${spec.build.run}   (in ${spec.servicePath} at ${ctx.run.sha.slice(0, 7)})`);
      const env = { ...this.workspaces.environment(childEnvironment()), CI: 'true', GANTRY_SHA: ctx.run.sha, GANTRY_SERVICE: spec.service, ...traceEnvironment(ctx.run, ctx.step.id) };
      const { exitCode } = await runCommand(spec.build.run, { cwd, env, signal: ctx.signal, user: this.workspaces.user, onOutput: (s, c) => ctx.log.write(s, c), onSpawn: (pid) => void ctx.trackProcess(pid) }).finally(() => ctx.trackProcess(null));
      if (exitCode !== 0) {
        throw new GateError('BUILD_FAILED', `build of ${spec.service} failed with exit code ${exitCode}`, { hint: `Run \`${spec.build.run}\` in ${spec.servicePath} to reproduce.`, details: { exitCode } });
      }
      outputDir = join(cwd, spec.build.output);
    }
    const bundle = await packBundle(outputDir);
    const stored = await this.layout.put(spec.service, bundle, { 'org.opencontainers.image.revision': ctx.run.sha });
    await this.record(releaseId, spec, stored.manifestDigest, stored.layerDigest, stored.size, ctx);
    ctx.log.info(`built ${spec.service}: ${stored.manifestDigest} (${stored.size} bytes)`);
    return { kind: 'done', summary: { digest: stored.manifestDigest, size: stored.size }, message: `artifact ${stored.manifestDigest.slice(7, 19)}` };
  }

  private async record(releaseId: number, spec: BuildStepSpec, digest: string, layerDigest: string, size: number, ctx: StepContext): Promise<void> {
    await this.layout.tag(`${spec.service}:${ctx.run.sha}`, digest, { immutable: true });
    await this.store.releases.addArtifact({ releaseId, service: spec.service, digest, layerDigest, treeKey: spec.treeKey, size, createdAt: ctx.clock.now() });
  }

  async cleanup(run: Run): Promise<void> {
    await this.workspaces.removeRun(run.id);
  }
}
