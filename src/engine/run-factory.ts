import { parseConfigText, parseConfigTextIn } from '../config/loader.js';
import { commitTreeProbe } from '../config/rules/service-path.js';
import type { EnvironmentConfig, GantryConfig } from '../config/types.js';
import { branchMatches, servicesTouched } from '../domain/branch.js';
import { diffGuardRules } from '../config/guard-rules.js';
import { changeAuthors } from './change-authors.js';
import { TriggerKind } from '../domain/phases.js';
import type { Run, StepError } from '../domain/run.js';
import { GantryError } from '../errors/index.js';
import type { Store } from '../store/store.js';
import type { Clock } from '../kernel/clock.js';
import { planRun } from './planner.js';
import type { RepositoryReader } from './repository-reader.js';
import { STEP_SPEC_VERSION, type ProtectionStepSpec } from './step-specs/index.js';

export interface Trigger {
  readonly kind: TriggerKind;
  readonly ref: string;
  /** The branch the commit came from; null for a dispatch of a tag or a bare commit. */
  readonly branch: string | null;
  readonly sha: string;
  /** Dispatch only: the environment asked for. */
  readonly environment?: string;
  /** Push only: the head this branch had before, if the watcher knew it. */
  readonly previousSha?: string | null;
  readonly triggeredBy: string;
  /** Redeploy of an existing release: its artifacts must exist; its gates passed when it was built. */
  readonly redeploy?: boolean;
  readonly overridePromotion?: { readonly by: string; readonly reason: string };
  /** Kind of run shown to people; defaults to the trigger kind. */
  readonly label?: string;
}

const PROTECTION_WAIT_MS = 10 * 60_000;

export interface RunFactoryOptions {
  readonly store: Store;
  readonly reader: RepositoryReader;
  /** The server's pinned copy: it decides which environment a branch deploys to (DESIGN invariant 9). */
  readonly pinned: () => GantryConfig;
  readonly configPath: string;
  readonly clock: Clock;
}

interface ChangeSet {
  readonly base: string | null;
  readonly services: readonly string[];
  readonly note: string;
  /** Files changed since `base`; left out when there is no base. */
  readonly files?: readonly string[];
}

/** Read (git, store) → plan (pure) → persist. Nothing runs until the executor picks the stored plan up. */
export class RunFactory {
  constructor(private readonly o: RunFactoryOptions) {}

  environmentFor(trigger: Pick<Trigger, 'kind' | 'branch' | 'environment'>): EnvironmentConfig | undefined {
    const environments = Object.values(this.o.pinned().environments);
    if (trigger.kind === TriggerKind.Dispatch) {
      const env = environments.find((e) => e.name === trigger.environment);
      if (!env) {
        throw new GantryError('UNKNOWN_ENVIRONMENT', `environment "${trigger.environment ?? ''}" is not declared in gantry.yaml`, {
          hint: `Known environments: ${environments.map((e) => e.name).join(', ') || 'none'}.`,
        });
      }
      return env;
    }
    return trigger.branch === null ? undefined : environments.find((e) => branchMatches(e.branch, trigger.branch ?? '') && e.autoDeploy);
  }

  async create(trigger: Trigger): Promise<Run> {
    const { store, reader, clock } = this.o;
    const environment = this.environmentFor(trigger);
    const commit = await reader.commit(trigger.sha);
    const base = {
      trigger: trigger.kind,
      branch: trigger.branch,
      ref: trigger.ref,
      sha: trigger.sha,
      environment: environment?.name ?? null,
      author: commit.authorEmail ? `${commit.author} <${commit.authorEmail}>` : commit.author,
      triggeredBy: trigger.triggeredBy,
      commitMessage: commit.message.split('\n')[0] ?? null,
      commitTime: commit.time,
    };
    const loaded = await this.commitConfig(trigger.sha);
    if (!loaded.ok) {
      return store.runs.create({ ...base, baseSha: null, configJson: null }, { steps: [], notes: [] }, clock.now(), loaded.error);
    }
    const config = loaded.config;
    const changes = trigger.redeploy ? { base: null, services: [], note: `Redeploy of release ${trigger.sha.slice(0, 7)}: its gates passed when it was built.` } : await this.changes(trigger, config);
    const serviceTrees: Record<string, string> = {};
    for (const name of changes.services) serviceTrees[name] = await this.serviceTree(config, name, trigger.sha);
    const deployTrees: Record<string, string> = {};
    for (const name of environment?.services ?? []) deployTrees[name] = serviceTrees[name] ?? (await this.serviceTree(config, name, trigger.sha));
    const plan = planRun({
      config,
      services: changes.services,
      serviceTrees,
      // Guard rules (approvals, confirmation, promotion) from the pinned copy (invariant 9); services from the commit.
      environment,
      changeNote: changes.note,
      deployTrees,
      mustExist: trigger.redeploy ?? false,
      overridePromotion: trigger.overridePromotion ?? null,
      protection: this.protectionFor(trigger),
      changedFiles: changes.files ?? null,
    });
    const notes = loaded.note ? [loaded.note, ...plan.notes] : [...plan.notes];
    const guardChanges = diffGuardRules(this.o.pinned(), config);
    if (guardChanges.length > 0) {
      notes.push(`This commit's gantry.yaml changes rules that guard environments; the server keeps its own until an admin accepts the change: ${guardChanges.join('; ')} (an admin accepts it with \`gantry config accept ${trigger.sha.slice(0, 7)}\`)`);
      await store.events.append('config.guard-change-proposed', trigger.triggeredBy, null, { sha: trigger.sha, ref: trigger.ref, changes: guardChanges }, clock.now());
    }
    const authors = await changeAuthors(store, reader, { sha: trigger.sha, base: changes.base, environment, headAuthor: base.author });
    return store.runs.create({ ...base, authors, baseSha: changes.base, configJson: JSON.stringify(config) }, { steps: plan.steps, notes }, clock.now());
  }

  /**
   * A push to a protected branch of a GitHub repository deploys only with the webhook's verdict:
   * the poll may see the push before the webhook arrives, so the run waits for it (a guard rule,
   * read from the pinned config).
   */
  private protectionFor(trigger: Trigger): ProtectionStepSpec | null {
    const pinned = this.o.pinned();
    if (trigger.kind !== TriggerKind.Push || !trigger.branch || !pinned.github) return null;
    // As the webhook reads them (src/sources/github/push-verdicts.ts): any matching rule that protects the branch.
    const rules = Object.entries(pinned.branches).filter(([pattern]) => branchMatches(pattern, trigger.branch ?? '')).map(([, r]) => r.protection);
    if (!rules.some((p) => p.requiredApprovals > 0 || !p.allowDirectPush)) return null;
    return { v: STEP_SPEC_VERSION, branch: trigger.branch, waitMs: PROTECTION_WAIT_MS, timeoutMs: PROTECTION_WAIT_MS + 60_000 };
  }

  /** Gates and commands come from the commit being checked, not from the server's copy. */
  private async commitConfig(sha: string): Promise<{ ok: true; config: GantryConfig; note?: string } | { ok: false; error: StepError }> {
    const text = await this.o.reader.showFile(sha, this.o.configPath);
    if (text === undefined) return { ok: true, config: this.o.pinned(), note: `The commit has no ${this.o.configPath}; the server's copy was used.` };
    // Paths checked in the commit's tree: a missing service folder is a config error, not a gate that cannot start.
    const result = await parseConfigTextIn(text, this.o.configPath, () => commitTreeProbe(sha, (path) => this.o.reader.treeHash(sha, path)));
    if (result.ok) return { ok: true, config: result.config };
    const lines = result.errors.map((e) => `${e.file}:${e.line}:${e.col} ${e.code} ${e.message}`);
    return {
      ok: false,
      error: { code: result.errors[0]?.code ?? 'CONFIG_INVALID_VALUE', message: `${this.o.configPath} at ${sha.slice(0, 7)} is not valid (${result.errors.length} error(s))`, hint: 'Run `gantry validate` locally and push a fix.', logTail: lines },
    };
  }

  private async changes(trigger: Trigger, config: GantryConfig): Promise<ChangeSet> {
    const all = Object.keys(config.services);
    if (trigger.kind === TriggerKind.Dispatch) return { base: null, services: all, note: `Dispatched: every service's gates run (passes are reused from the cache).` };
    const base = await this.baseFor(trigger, config);
    if (!base) return { base: null, services: all, note: 'No earlier green commit or merge base is known: every service is checked.' };
    if (base === trigger.sha) return { base, services: [], files: [], note: `Nothing changed since ${base.slice(0, 7)}.` };
    const files = await this.o.reader.changedFiles(base, trigger.sha);
    const touched = new Set(servicesTouched(files, Object.values(config.services), config.repository.sharedPaths));
    if (files.includes(this.o.configPath)) for (const name of await this.servicesWithNewConfig(base, config)) touched.add(name);
    const services = all.filter((s) => touched.has(s));
    const list = services.length > 0 ? services.join(', ') : 'none';
    return { base, services, files, note: `Changed since ${base.slice(0, 7)}: ${files.length} file(s); services to check: ${list}.` };
  }

  /** The last green commit of the branch; for a new branch, its merge base with the default branch. */
  private async baseFor(trigger: Trigger, config: GantryConfig): Promise<string | null> {
    const { store, reader } = this.o;
    const branch = trigger.branch ?? '';
    const known = await store.branches.get(branch);
    if (known?.lastGreenSha && (await reader.isAncestor(known.lastGreenSha, trigger.sha))) return known.lastGreenSha;
    const defaultBranch = config.repository.defaultBranch;
    if (branch !== defaultBranch) {
      const defaultHead = await reader.resolve(`refs/heads/${defaultBranch}`);
      const mergeBase = defaultHead ? await reader.mergeBase(defaultHead, trigger.sha) : undefined;
      if (mergeBase) return mergeBase;
    }
    if (trigger.previousSha && (await reader.isAncestor(trigger.previousSha, trigger.sha))) return trigger.previousSha;
    return null;
  }

  /** A gantry.yaml change counts for the services whose own section changed. */
  private async servicesWithNewConfig(base: string, config: GantryConfig): Promise<string[]> {
    const text = await this.o.reader.showFile(base, this.o.configPath);
    const before = text === undefined ? undefined : parseConfigText(text, this.o.configPath);
    if (!before?.ok) return Object.keys(config.services);
    return Object.keys(config.services).filter((s) => JSON.stringify(before.config.services[s]) !== JSON.stringify(config.services[s]));
  }

  private async serviceTree(config: GantryConfig, name: string, sha: string): Promise<string> {
    const service = config.services[name];
    if (!service) return 'unknown';
    const paths = [service.path, ...service.watch, ...config.repository.sharedPaths];
    const ids = await Promise.all(paths.map(async (p) => `${p}=${(await this.o.reader.treeHash(sha, p)) ?? 'absent'}`));
    return ids.join(';');
  }
}
