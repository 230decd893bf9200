import { runPageUrl } from '../domain/run.js';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { environmentTargets } from '../config/environment-placements.js';
import { loadConfigOrThrow } from '../config/loader.js';
import type { GantryConfig } from '../config/types.js';
import { isTerminalRun } from '../domain/phases.js';
import { ApproverGroups } from '../engine/approver-groups.js';
import { systemClock, type Clock } from '../kernel/clock.js';
import { ConfigAcceptance } from '../engine/config-acceptance.js';
import { Engine } from '../engine/engine.js';
import { EngineBus } from '../engine/events.js';
import { DEFAULT_LEASE_MS, DEFAULT_POLL_MS, Executor } from '../engine/executor.js';
import type { Logger } from '../kernel/logger.js';
import { PinnedConfig } from '../engine/pinned-config.js';
import { RunFactory } from '../engine/run-factory.js';
import type { StepHandler } from '../engine/step-handler.js';
import type { ServiceTraffic } from '../metrics/router-metrics.js';
import { NotificationDispatcher } from '../notify/dispatcher.js';
import { Redactor } from '../secrets/redactor.js';
import { MasterKey } from '../secrets/master-key.js';
import { SecretStore, StoreSecretSource } from '../secrets/secret-store.js';
import type { SecretSource } from '../secrets/source.js';
import { MirrorRepository } from '../sources/git/repository.js';
import { GitWatcher } from '../sources/git/watcher.js';
import { PullRequestCi } from '../sources/github/pull-request-ci.js';
import { StatusReporter } from '../sources/github/status-reporter.js';
import { githubTeamMembers } from '../sources/github/team-members.js';
import { atomicWriteFile } from '../artifacts/atomic-write.js';
import { OciLayout } from '../artifacts/oci-layout.js';
import { ApprovalStep } from '../steps/approval.js';
import { BackupStep } from '../steps/backup.js';
import { RestoreResourcesStep } from '../steps/restore-resources.js';
import { BuildStep } from '../steps/build.js';
import { DeployStep } from '../steps/deploy.js';
import { EnvironmentLockStep } from '../steps/environment-lock.js';
import { FinalizeStep } from '../steps/finalize.js';
import { GateStep } from '../steps/gate.js';
import { ImageScanStep } from '../steps/image-scan.js';
import { ImageStep } from '../steps/image.js';
import { PromotionStep } from '../steps/promotion.js';
import { ProtectionStep } from '../steps/protection.js';
import { RollbackStep } from '../steps/rollback.js';
import { ScanStep } from '../steps/scan.js';
import { VerifyStep } from '../steps/verify.js';
import { WatchStep } from '../steps/watch.js';
import { defaultWorkDir, Workspaces } from '../steps/workspace.js';
import { resolveRunAs, type RunAsUser } from '../secrets/run-as.js';
import { AgentWatch } from '../targets/local/agent-watch.js';
import type { LeftoverStopper } from '../targets/local/stop-agents.js';
import { LocalTargets } from '../targets/local/local-targets.js';
import { ConfiguredTargets } from '../targets/configured-targets.js';
import { RoutedTargets } from '../targets/routers/routed-targets.js';
import { DockerTargets } from '../targets/docker/docker-targets.js';
import { KubernetesTargets } from '../targets/kubernetes/kubernetes-targets.js';
import type { TargetKind } from '../targets/target-kind.js';
import type { TargetRegistry } from '../targets/registry.js';
import type { ServiceStatus, Target } from '../targets/target.js';
import { agentViews } from './agent-views.js';
import { serverRoles } from './server-roles.js';
import { defaultWebRoot } from './dashboard.js';
import { sqliteDialect } from '../store/sqlite/sqlite-dialect.js';
import { postgresDialect } from '../store/postgres/postgres-dialect.js';
import { openStore } from './open-store.js';
import { ChangeFeed } from './change-feed.js';
import type { Store } from '../store/store.js';
import { buildApp } from './app.js';
import { bootstrapAdminToken } from './auth.js';
import { DataDirLock } from './data-dir-lock.js';
import { VERSION } from './version.js';
import { startTracing } from '../telemetry/index.js';

export interface ServerOptions {
  readonly configPath: string;
  readonly dataDir: string;
  /** A PostgreSQL URL: the store several servers share. Without it, SQLite in the data folder. */
  readonly database?: string;
  /**
   * What every server of one database must see alike: artifacts, local agents, the PKI, the master
   * key. Default: the data folder (one server).
   */
  readonly sharedDir?: string;
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly leaseMs?: number;
  readonly executorPollMs?: number;
  /** Overrides the config's poll interval (tests use a long one and the notify endpoint). */
  readonly sourcePollMs?: number;
  /** Replaces the encrypted secret store (tests); without it, secrets come from the store, then GANTRY_SECRET_<NAME>. */
  readonly secrets?: SecretSource;
  /** The URL people reach the server at, for links in notifications (default: the listen address). */
  readonly publicUrl?: string;
  /** The built dashboard to serve at `/`; null serves none; default: the one built beside the server. */
  readonly webRoot?: string | null;
  /** Called once with the bootstrap admin token on the very first start. */
  readonly onBootstrapToken?: (token: string, file: string) => void;
  /** The user gates, builds and other commands run as when the server is root (default `nobody`). */
  readonly runAs?: string;
  /** Where worktrees go: outside the data folder (default: steps/workspace.ts `defaultWorkDir`). */
  readonly workDir?: string;
  /** How often every started agent is looked at (default DEFAULT_AGENT_WATCH_MS, 2 s). */
  readonly agentWatchMs?: number;
  /**
   * Stops the revisions an agent that is gone left running, when close() stops every agent. The
   * agent package's (agent/leftover-revisions.ts), given by the caller so the server imports no agent code.
   */
  readonly stopLeftovers?: LeftoverStopper;
  /**
   * For tests: the target kinds the server uses, given the built-in ones (e.g. one that wraps the
   * local kind to add what only another kind has). Default: the built-in kinds as they are.
   */
  readonly targetKinds?: (builtIn: readonly TargetKind[]) => readonly TargetKind[];
  /** Which reverse proxies to believe about the client's address (ServerContext.trustProxy). */
  readonly trustProxy?: boolean | string | number;
}

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly store: Store;
  readonly engine: Engine;
  readonly executor: Executor;
  readonly app: FastifyInstance;
  readonly watcher: GitWatcher;
  readonly config: GantryConfig;
  /** Every target of gantry.yaml, by its kind. */
  readonly targets: TargetRegistry;
  /** The `local` kind's agents (their logs, the agent watch, stopping them). */
  readonly localTargets: LocalTargets;
  /** Looks at every started agent and starts a gone one again. */
  readonly agentWatch: AgentWatch;
  /** Where steps get secret values (the encrypted store unless `secrets` was given). */
  readonly secrets: SecretSource;
  /** Stops the control plane; agents keep serving unless `stopAgents`. */
  close(options?: { stopAgents?: boolean }): Promise<void>;
}

/** How often a server on a shared database looks for guard rules another server accepted. */
const PINNED_REFRESH_MS = 2_000;

/** A path or anything git can fetch; a plain path is taken relative to gantry.yaml. */
export function resolveRepositoryUrl(url: string, configPath: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url) || /^[^/\\]+@[^/\\]+:/.test(url) || isAbsolute(url)) return url;
  return resolve(dirname(resolve(configPath)), url);
}

/** The composition root: store, engine, steps, source watcher and HTTP API, started in that order. */
export async function startServer(o: ServerOptions): Promise<RunningServer> {
  const config = await loadConfigOrThrow(o.configPath);
  const runAs = resolveRunAs(o.runAs);
  await mkdir(o.dataDir, { recursive: true, mode: 0o700 });
  // Only the server's user may enter it: master.key, gantry.db and the agents' keys are in it.
  await chmod(o.dataDir, 0o700);
  // Before anything in the folder is opened: a second server on it stops here, having changed nothing.
  const lock = await DataDirLock.acquire(o.dataDir);
  try {
    return await startLocked(o, config, lock, runAs);
  } catch (error: unknown) {
    await lock.release();
    throw error;
  }
}

async function startLocked(o: ServerOptions, config: GantryConfig, lock: DataDirLock, runAs: RunAsUser | null): Promise<RunningServer> {
  const clock = o.clock ?? systemClock;
  const sharedDir = o.sharedDir ?? o.dataDir;
  if (sharedDir !== o.dataDir) await mkdir(sharedDir, { recursive: true, mode: 0o700 });
  const store = await openStore(o.database ? postgresDialect(o.database) : sqliteDialect(join(o.dataDir, 'gantry.db')));
  // Guard rules come from here (the file, or a commit an admin accepted); `config` keeps the file's
  // own settings for what the server connects to (repository, targets, notifications).
  const pinned = await PinnedConfig.load({ store, configPath: o.configPath, config, clock, logger: o.logger }).catch(async (error: unknown) => {
    await store.close();
    throw error;
  });
  const token = await bootstrapAdminToken(store, clock.now());
  if (token) {
    const file = join(o.dataDir, 'admin.token');
    await writeFile(file, `${token}\n`, { mode: 0o600 });
    await chmod(file, 0o600);
    o.onBootstrapToken?.(token, file);
  }

  const { secrets, secretStore } = await openSecrets(o, sharedDir, store, clock);
  const mirror = new MirrorRepository(resolveRepositoryUrl(config.repository.url, o.configPath), join(o.dataDir, 'repos', `${config.project.name}.git`));
  await mirror.fetch();
  const workspaces = new Workspaces(mirror, o.workDir ?? defaultWorkDir(o.dataDir), runAs);
  await workspaces.prepare().catch(async (error: unknown) => {
    await store.close();
    throw error;
  });
  await removeLeftoverWorkspaces(store, workspaces, workspaces.root);
  o.logger.info({ workDir: workspaces.root, runAs: runAs?.name ?? null }, runAs ? `gates and builds run as ${runAs.name} in ${workspaces.root}` : `gates and builds run as this server's user in ${workspaces.root}`);

  const bus = new EngineBus();
  const layoutPath = join(sharedDir, 'artifacts');
  const layout = new OciLayout(layoutPath);
  await layout.init();
  const configPath = resolve(o.configPath);
  const localTargets = new LocalTargets({ config, configPath, dataDir: join(sharedDir, 'agents'), secrets, logger: o.logger, runAs: runAs?.name ?? null, revisionsDir: (target) => workspaces.revisionsDir(target), ...(o.stopLeftovers ? { stopLeftovers: o.stopLeftovers } : {}) });
  // The docker kind: remote hosts over pinned TLS (pki/ in the data folder), or one agent here with --runtime docker.
  const dockerTargets = new DockerTargets({ config, configPath, dataDir: sharedDir, secrets, logger: o.logger, runAs: runAs?.name ?? null, revisionsDir: (target) => workspaces.revisionsDir(target) });
  // One registry of target kinds, chosen by each target's `kind`.
  // The kubernetes kind: a cluster per target, reached with the credentials in the environment's secrets.
  const kubernetesTargets = new KubernetesTargets({ config, secrets, logger: o.logger });
  const builtInKinds: readonly TargetKind[] = [localTargets, dockerTargets, kubernetesTargets];
  // An environment whose `router:` is haproxy has its main route's weights applied by HAProxy, in front of its target.
  const targets = new RoutedTargets(new ConfiguredTargets(config.targets, o.targetKinds ? o.targetKinds(builtInKinds) : builtInKinds), config.environments);
  const deployDeps = { store, targets, layoutPath, secrets };
  const tagCommit = async (sha: string, tag: string, message: string): Promise<void> => mirror.tag(sha, tag, message);
  const handlers = new Map<string, StepHandler>(
    [
      new ScanStep(workspaces),
      new GateStep(store, workspaces, secrets),
      new EnvironmentLockStep(store),
      new BuildStep(store, layout, workspaces),
      new ImageStep(store, layout, workspaces, secrets),
      new ImageScanStep({ store, secrets, runAs: workspaces }),
      new PromotionStep(store),
      new ProtectionStep(store),
      new BackupStep(store, targets, secrets),
      new RestoreResourcesStep(store, targets),
      new ApprovalStep(store),
      new DeployStep(deployDeps),
      new VerifyStep(store, targets, workspaces, () => pinned.config),
      new WatchStep(store, targets),
      new FinalizeStep({ ...deployDeps, layout, tagCommit }),
      new RollbackStep(deployDeps),
    ].map((h) => [h.kind, h]),
  );
  const executor = new Executor({
    store,
    handlers,
    bus,
    clock,
    logger: o.logger,
    redactor: () => new Redactor(secrets.allValues()),
    concurrency: config.ci.concurrency,
    leaseMs: o.leaseMs ?? DEFAULT_LEASE_MS,
    pollMs: o.executorPollMs ?? DEFAULT_POLL_MS,
  });
  const factory = new RunFactory({ store, reader: mirror, pinned: () => pinned.config, configPath: 'gantry.yaml', clock });
  const groups = new ApproverGroups({ clock, logger: o.logger, teamMembers: () => githubTeamMembers(pinned.config.github, secrets, o.logger) });
  const engine = new Engine({ store, executor, factory, bus, reader: mirror, clock, pinned: () => pinned.config, refresh: () => mirror.fetch(), groups });
  const configAcceptance = new ConfigAcceptance({ pinned, store, reader: mirror, refresh: () => mirror.fetch(), clock, configPath: 'gantry.yaml' });
  const watcher = new GitWatcher({
    mirror,
    store,
    clock,
    logger: o.logger,
    intervalMs: o.sourcePollMs ?? config.repository.pollMs,
    // Called only once the roles exist: the watcher runs as their lease says.
    mayPush: () => roles.watcher.held,
    onPush: async (push) => {
      const run = await engine.push(push.branch, push.sha, push.previousSha);
      o.logger.info({ runId: run.id, branch: push.branch, sha: push.sha }, `run #${run.id}: push to ${push.branch}`);
    },
  });

  // With several servers on one database, one at a time polls, notifies and posts statuses (server-roles.ts).
  const roles = serverRoles({ store, clock, logger: o.logger, sourcePollMs: o.sourcePollMs ?? config.repository.pollMs, watcher, notifications: { start: () => notifier.start(), stop: () => notifier.stop() }, statuses: { start: () => statuses.start(), stop: () => statuses.stop() } });
  // A nudge to a server that does not hold the watcher's lease is dropped: the holder sees the push at its next poll.
  const lookNow = (): Promise<void> => (roles.watcher.held ? watcher.poll() : Promise.resolve());
  const routerTraffic = async (): Promise<ServiceTraffic[]> => {
    const out: ServiceTraffic[] = [];
    for (const env of Object.values(config.environments)) {
      const source = await targets.observeTraffic(env.target).catch(() => undefined);
      if (!source) continue;
      for (const service of env.services) {
        // An agent that is down simply has nothing to report; a scrape never fails for it.
        const revisions = await source.traffic(env.name, service).catch(() => undefined);
        if (revisions) out.push({ environment: env.name, service, revisions });
      }
    }
    return out;
  };
  const describeEnvironment = async (name: string): Promise<ServiceStatus[] | undefined> => {
    const env = config.environments[name];
    const target = env ? await targets.observe(env.target).catch(() => undefined) : undefined;
    return target?.describe(name);
  };
  const revisionLogs = async (name: string, service: string, revision: number, lines: number): Promise<string[] | undefined> => {
    const env = config.environments[name];
    const target = env ? await targets.observe(env.target).catch(() => undefined) : undefined;
    return target?.logs(name, service, revision, lines);
  };
  const observeTarget = async (name: string, target?: string): Promise<Target | undefined> => {
    const env = config.environments[name];
    // A region's target, only one the environment deploys to.
    if (env && target !== undefined && !environmentTargets(env).includes(target)) return undefined;
    return env ? await targets.observe(target ?? env.target).catch(() => undefined) : undefined;
  };
  const pullRequestCi = new PullRequestCi({
    store,
    lookNow,
    refresh: () => mirror.fetch(),
    has: async (sha) => (await mirror.resolve(sha)) === sha,
    create: (trigger) => factory.create(trigger),
    started: (run) => {
      bus.emit({ type: 'run', runId: run.id, state: run.state });
      executor.wake();
    },
  });
  // Agents are looked at all the time, not only when a deployment needs one: a gone one is started again.
  const agentWatch = new AgentWatch({
    agentsDir: join(sharedDir, 'agents'),
    targets: () => localTargets.localTargets(),
    token: (name) => localTargets.agentToken(name),
    revive: (name) => localTargets.reviveAgent(name),
    record: async (e) => {
      await store.events.append(e.kind, 'gantry', null, e.data, clock.now());
      o.logger.warn({ ...e.data }, `${e.kind}: ${e.data.target}: ${e.data.cause}`);
      notifierRef.current?.wake();
    },
    logger: o.logger,
    now: () => clock.now(),
    ...(o.agentWatchMs ? { intervalMs: o.agentWatchMs } : {}),
    mayAct: () => roles.agentWatch.held,
  });
  const notifierRef: { current?: NotificationDispatcher } = {};
  const agents = () => agentViews(agentWatch.statuses(), store);
  const webRoot = o.webRoot === undefined ? defaultWebRoot() : (o.webRoot ?? undefined);
  const app = buildApp({ store, engine, clock, logger: o.logger, version: VERSION, config: () => pinned.config, configAcceptance, routerTraffic, describeEnvironment, revisionLogs, observeTarget, agents, ...(webRoot ? { webRoot } : {}), ...(secretStore ? { secrets: secretStore } : {}), notifySource: () => void lookNow(), pullRequestCi: (pr) => pullRequestCi.check(pr), ...(o.trustProxy !== undefined ? { trustProxy: o.trustProxy } : {}) });
  await app.listen({ host: o.host ?? '127.0.0.1', port: o.port ?? 7400 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : (o.port ?? 7400);
  const url = `http://${o.host && o.host !== '0.0.0.0' ? o.host : '127.0.0.1'}:${port}`;
  // Rewritten at every start, whole or not at all: the CLI and the git hooks read the current address here.
  await atomicWriteFile(join(o.dataDir, 'server.json'), JSON.stringify({ url, pid: process.pid }, null, 2));

  // Gate results reach GitHub as commit statuses on their own queue: GitHub down never holds up a run.
  const statuses = new StatusReporter({ store, bus, logger: o.logger, github: config.github, secrets, redactor: () => new Redactor(secrets.allValues()), runUrl: (id) => runPageUrl(o.publicUrl ?? url, id), pinned: () => pinned.config });
  // Spans of runs and steps over OTLP, only when the OTEL_EXPORTER_OTLP_* variables ask (docs/observability.md).
  const tracing = await startTracing({ store, bus, logger: o.logger, pipeline: config.project.name, runUrl: (id) => runPageUrl(o.publicUrl ?? url, id), version: VERSION });
  executor.start();
  // Several servers on one Postgres database: each one's changes reach the others' live views and executors.
  const changeFeed = o.database
    ? new ChangeFeed(o.database, bus, o.logger, (e) => {
        if (e.type !== 'log') executor.wake();
      })
    : undefined;
  await changeFeed?.start();
  // An admin's acceptance of guard rules on another server reaches this one within the interval.
  const pinnedRefresh = o.database
    ? setInterval(() => void pinned.refresh(o.logger).catch((error: unknown) => o.logger.warn({ err: error }, 'could not look for guard rules accepted on another server')), PINNED_REFRESH_MS)
    : undefined;
  // Notifications run on their own loop: an outage of a receiver never blocks or fails a deployment.
  const notifier = new NotificationDispatcher({ store, config, secrets, redactor: () => new Redactor(secrets.allValues()), logger: o.logger, clock, publicUrl: o.publicUrl ?? url, bus });
  notifierRef.current = notifier;
  await roles.start();
  agentWatch.start();

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    store,
    engine,
    executor,
    app,
    watcher,
    get config() {
      return pinned.config;
    },
    targets,
    localTargets,
    agentWatch,
    secrets,
    close(options = {}) {
      closing ??= (async () => {
        // First: an agent the watch started after this would outlive the server and its stopAgents.
        await agentWatch.stop();
        await roles.agentWatch.close();
        await roles.watcher.close();
        await app.close();
        await executor.stop({ abort: true });
        await workspaces.removeIfIdle();
        await roles.notifications.close();
        await roles.statuses.close();
        if (pinnedRefresh) clearInterval(pinnedRefresh);
        await changeFeed?.stop();
        await tracing?.stop();
        await store.close();
        if (options.stopAgents) {
          await localTargets.stopAgents();
          // A stopped agent unpacks its revisions again when it starts.
          await workspaces.removeIfIdle({ agentsStopped: true });
        }
        await lock.release();
      })();
      return closing;
    },
  };
}

/** The encrypted store behind the secret source, unless one was given; a bad master key stops the start. */
async function openSecrets(o: ServerOptions, sharedDir: string, store: Store, clock: Clock): Promise<{ secrets: SecretSource; secretStore?: SecretStore }> {
  if (o.secrets) return { secrets: o.secrets };
  try {
    const secretStore = await SecretStore.open(store, await MasterKey.load(sharedDir), clock);
    return { secrets: new StoreSecretSource(secretStore), secretStore };
  } catch (error: unknown) {
    await store.close();
    throw error;
  }
}

/** A crash can leave worktrees behind; those of finished runs are removed at start. */
async function removeLeftoverWorkspaces(store: Store, workspaces: Workspaces, root: string): Promise<void> {
  if (!existsSync(root)) return;
  for (const entry of await readdir(root)) {
    const id = Number(/^run-(\d+)$/.exec(entry)?.[1]);
    if (!id) continue;
    const run = await store.runs.get(id);
    if (!run || isTerminalRun(run.state)) await workspaces.removeRun(id);
  }
}
