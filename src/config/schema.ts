import { z } from 'zod';
import { parseMemorySize } from './memory-size.js';

/**
 * The gantry.yaml schema as the user writes it: optional fields, human units.
 * It is the single source of the TypeScript input types (below) and of the committed
 * schema/gantry.schema.json (scripts/generate-json-schema.ts; a test fails on drift).
 * Objects are strict so that a misspelt key is an error with a suggestion, not a silent no-op.
 */

const NAME_PATTERN = /^[a-z][a-z0-9-]{0,62}$/;
const DURATION_PATTERN = /^\d+(\.\d+)?(ms|s|m|h|d)$/;

export const Name = z.string().regex(NAME_PATTERN, 'must be lower-case letters, digits and dashes, starting with a letter');
export const Duration = z
  .union([z.number().nonnegative(), z.string().regex(DURATION_PATTERN, 'must be a duration such as 500ms, 30s, 5m, 2h or 90d')])
  .describe('A duration: a number of seconds, or a string such as 500ms, 30s, 5m, 2h, 90d.');
export const Port = z.number().int().min(1).max(65535);
const EnvMap = z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name'), z.string());
const SecretName = z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'must be an upper-case secret name such as DATABASE_URL');
const RelativePath = z.string().min(1).refine((p) => !p.startsWith('/') && !p.split('/').includes('..'), 'must be a path inside the repository');

export const CoverageSpec = z.strictObject({
  file: RelativePath.describe('Report path, relative to the service path.'),
  format: z.enum(['istanbul', 'lcov', 'cobertura', 'jacoco']).optional().describe('Report format; guessed from the file name when left out.'),
  minimum: z.number().min(0).max(100).optional().describe('Lowest line coverage in percent that passes (default 70).'),
});

export const GateSpec = z.strictObject({
  name: Name.describe('Gate name, unique within the service: lint, test, build, coverage …'),
  run: z.string().min(1).describe('Shell command, run in the service path of a clean worktree at the commit.'),
  timeout: Duration.optional().describe('Longest the gate may run (default 10m).'),
  retries: z.number().int().min(0).max(5).optional().describe('How often to retry after a failure that is marked retryable (default 0).'),
  env: EnvMap.optional(),
  junit: RelativePath.optional().describe('JUnit XML written by the command; its counts are shown on the step.'),
  coverage: CoverageSpec.optional().describe('Coverage report written by the command; the gate fails below the minimum.'),
});

export const HealthSpec = z.strictObject({
  path: z.string().startsWith('/').default('/healthz'),
  expectStatus: z.number().int().min(100).max(599).optional(),
  interval: Duration.optional(),
  timeout: Duration.optional(),
  deadline: Duration.optional(),
  readiness: z
    .strictObject({
      failureThreshold: z.number().int().min(1).max(100).optional().describe("Failed probes in a row that take a ready replica out of the router's rotation (default 3)."),
      successThreshold: z.number().int().min(1).max(100).optional().describe('Passed probes in a row that put it back (default 1).'),
    })
    .optional()
    .describe('Readiness, as Kubernetes has it: whether a replica gets traffic. Probes `path` every `interval`.'),
  liveness: z
    .strictObject({
      path: z.string().startsWith('/').optional().describe('Probed for liveness (default: `path`).'),
      failureThreshold: z.number().int().min(0).max(1000).optional().describe('Failed probes in a row after which the replica is restarted (default: as many as fill 30 s at `interval`, at least 3; 0: never).'),
    })
    .optional()
    .describe('Liveness, as Kubernetes has it: whether a replica must be restarted. Counts once the replica has been ready since it started.'),
});

export const SmokeSpec = z.strictObject({
  name: z.string().min(1),
  method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'DELETE']).optional(),
  path: z.string().startsWith('/'),
  body: z.string().optional(),
  expectStatus: z.number().int().min(100).max(599).optional(),
  expectBody: z.string().optional().describe('Text the response body must contain.'),
  expectJson: z.strictObject({ field: z.string().min(1), equals: z.union([z.string(), z.number(), z.boolean(), z.null()]) }).optional(),
});

/** `host[:port]`, the way image references name a registry (no scheme). */
const RegistryHost = z.string().regex(/^[A-Za-z0-9.-]+(:\d{1,5})?$/, 'must be a registry host such as registry.example.com or 127.0.0.1:5000 (no scheme)');
const Repository = z.string().regex(/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/, 'must be a repository name such as volteryde/nest-api (lower case)');
const MemorySize = z
  .union([z.number().int().positive(), z.string().regex(/^\d+(\.\d+)?\s*(b|k|kb|ki|kib|m|mb|mi|mib|g|gb|gi|gib)?$/i, 'must be a size such as 256m, 512Mi or 1g')])
  .describe('Bytes, or a size such as 256m, 512Mi, 1g.');

export const ImageSpec = z
  .strictObject({
    registry: Name.optional().describe('The registry in `registries` the image is pushed to (default: images.registry, or the only registry).'),
    repository: Repository.optional().describe('Repository in the registry (default: <project>/<service>).'),
    base: z.string().min(1).optional().describe('Base image reference (host/repo:tag or host/repo@sha256:…): Gantry adds one layer holding the build output, without a Docker engine.'),
    workdir: z.string().startsWith('/').optional().describe('Where the build output goes in an image assembled on `base`, and where the command runs (default /app).'),
    dockerfile: RelativePath.optional().describe('Dockerfile, relative to the service path, built by the Docker engine instead of assembling on `base`.'),
    context: RelativePath.optional().describe('Build context of the Dockerfile, relative to the service path (default: the service path).'),
    target: z.string().min(1).optional().describe('Stage of a multi-stage Dockerfile to build.'),
    buildArgs: EnvMap.optional().describe('Build arguments of the Dockerfile.'),
  })
  .superRefine((image, ctx) => {
    if ((image.base === undefined) === (image.dockerfile === undefined)) ctx.addIssue({ code: 'custom', message: 'needs exactly one of base (an image Gantry assembles) or dockerfile (built by the Docker engine)' });
    if (image.base !== undefined && (image.context !== undefined || image.target !== undefined || image.buildArgs !== undefined)) ctx.addIssue({ code: 'custom', message: 'context, target and buildArgs belong to a dockerfile build, not to base' });
  });

/** The Docker engine refuses a memory limit below 6 MiB. */
const MIN_MEMORY_BYTES = 6 * 1024 * 1024;

export const LimitsSpec = z.strictObject({
  cpus: z.number().positive().max(1024).optional().describe('CPUs a replica may use (0.5 = half a core); enforced by the docker target.'),
  memory: MemorySize.optional()
    .refine((size) => size === undefined || parseMemorySize(size) >= MIN_MEMORY_BYTES, 'must be at least 6m: the Docker engine refuses a smaller memory limit')
    .describe('Memory a replica may use before it is killed (OOMKilled); enforced by the docker target.'),
});

export const ServiceSpec = z.strictObject({
  path: RelativePath.describe('Folder of the service in the repository.'),
  watch: z.array(RelativePath).optional().describe('More paths whose changes count as changes of this service.'),
  gates: z.array(GateSpec).optional().describe('CI quality gates, run in the declared order.'),
  build: z.strictObject({ run: z.string().min(1), output: RelativePath.describe('Folder, relative to the service path, that becomes the artifact.'), timeout: Duration.optional() }).optional(),
  run: z
    .strictObject({
      command: z.string().min(1),
      port: Port.describe('Listener port of the service in an environment with portOffset 0.'),
      maxConnections: z
        .number()
        .int()
        .min(1)
        .max(1_000_000)
        .optional()
        .describe("Most open client connections each of the service's routes (local target) takes; beyond it the agent answers 503 ROUTE_BUSY and closes (default: the agent's file limit, less a reserve, shared by its routes)."),
      limits: LimitsSpec.optional().describe('Resource limits of each replica (docker target).'),
    })
    .optional(),
  replicas: z.number().int().min(1).max(20).optional(),
  health: HealthSpec.optional(),
  smoke: z.array(SmokeSpec).optional(),
  secrets: z.array(SecretName).optional().describe('Secrets this service reads; only these reach its gates and revisions.'),
  env: EnvMap.optional(),
  image: ImageSpec.optional().describe('The container image of the service, built once per release beside its bundle; deployed by docker targets by digest.'),
});

// Settings described `Not supported yet` are refused by src/config/rules/unsupported.ts until the runtime honours them.
export const StrategySpec = z.union([
  z.enum(['rolling', 'blue-green']),
  z.strictObject({ kind: z.literal('rolling'), maxSurge: z.number().int().min(0).optional(), maxUnavailable: z.number().int().min(0).optional().describe('Kubernetes: the Deployment\'s maxUnavailable. Not supported on a local target (CONFIG_UNSUPPORTED).') }),
  z.strictObject({ kind: z.literal('blue-green'), scaleDownDelay: Duration.optional(), previewPortOffset: z.number().int().min(1).optional() }),
  z.strictObject({
    kind: z.literal('canary'),
    steps: z.array(z.lazy(() => CanaryStepSpec)).min(1).describe('What the canary does, in order: setWeight, pause and analysis steps; after the last one it takes all traffic.'),
    match: z
      .union([
        z.strictObject({ header: z.string().regex(/^[A-Za-z0-9-]+$/, 'must be an HTTP header name').describe('Requests with this header…'), value: z.string().min(1).describe('…set to this value reach the canary, whatever the weights.') }),
        z.strictObject({ cookie: z.string().regex(/^[A-Za-z0-9_-]+$/, 'must be a cookie name').describe('Requests with this cookie…'), value: z.string().min(1).describe('…set to this value reach the canary, whatever the weights.') }),
      ])
      .optional()
      .describe("Testers reach the canary by a header or a cookie while it runs (routers that can: the built-in one, HAProxy with a match backend)."),
    scaleDownDelay: Duration.optional().describe('How long the previous revision keeps running after the canary passed monitoring (default 30s).'),
  }),
]);

/** One canary step; each is an object with exactly one key, as in Argo Rollouts. */
const CanaryStepSpec = z.union([
  z.strictObject({ setWeight: z.number().int().min(0).max(100).describe("Share of the main route's traffic (per cent) the canary gets.") }),
  z.strictObject({
    pause: z
      .strictObject({ duration: Duration.optional().describe('How long to wait; without it the canary waits for `gantry promote <run>` (or the dashboard\'s Promote button).') })
      .describe('Wait before the next step.'),
  }),
  z.strictObject({
    analysis: z
      .strictObject({ metrics: z.array(z.lazy(() => AnalysisMetricSpec)).min(1).optional().describe("The metrics to measure on the canary's traffic (default: the environment's watch.analysis).") })
      .describe('Measure the canary before going on; a failed analysis aborts it (weight 0 at once) and rolls back.'),
  }),
]);

const FaultShare = z.number().min(0).max(1).describe('The fraction of requests hit: 0.05 is 5 %.');
/** A chaos check (docs/verification.md): only on an environment with `chaos: { allowed: true }` (rules/chaos-allowed.ts). */
const ChaosVerifySpec = z.strictObject({
  kind: z.literal('chaos'),
  duration: Duration.optional().describe('How long the faults stay on while the check drives load (default 20s).'),
  faults: z
    .strictObject({
      latency: z.strictObject({ ms: z.number().int().min(1).max(60_000), share: FaultShare }).optional().describe('Delay this share of requests by ms.'),
      abort: z.strictObject({ status: z.number().int().min(400).max(599), share: FaultShare }).optional().describe('Answer this share of requests with status, without forwarding them.'),
      reset: z.strictObject({ share: FaultShare }).optional().describe("Reset this share of requests' connections."),
      killReplica: z.boolean().optional().describe('Kill one replica of the new revision (SIGKILL) when the faults go on; the target restarts it.'),
    })
    .describe("Faults injected at the router of load.service's main route (targets whose capabilities say faults)."),
  load: z
    .strictObject({
      service: Name,
      path: z.string().startsWith('/').optional(),
      rate: z.number().int().min(1).optional().describe('Requests per second in all (default: as fast as the connections go).'),
      connections: z.number().int().min(1).max(1000).optional(),
    })
    .describe('The traffic the check drives through the router while the faults are on.'),
  maxErrorRate: z.number().min(0).max(1).optional().describe('The service holds when at most this share of requests failed (a status of 500 or more, a reset, a timeout).'),
  maxP99: Duration.optional(),
  expect: z.enum(['hold', 'rollback']).optional().describe('hold (default): the thresholds must hold. rollback: the thresholds are expected to break, the verification fails and the run rolls back.'),
});

export const VerifySpec = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('health') }),
  z.strictObject({ kind: z.literal('smoke') }),
  z.strictObject({ kind: z.literal('integration'), run: z.string().min(1), timeout: Duration.optional().describe('Not supported yet (CONFIG_UNSUPPORTED).') }),
  z.strictObject({
    kind: z.literal('load'),
    service: Name,
    path: z.string().startsWith('/').optional(),
    duration: Duration.optional(),
    connections: z.number().int().min(1).max(1000).optional(),
    rate: z.number().int().min(1).optional(),
    maxP95: Duration.optional(),
    maxP99: Duration.optional(),
    maxErrorRate: z.number().min(0).max(1).optional(),
    minRps: z.number().min(0).optional(),
    maxP99Increase: z.number().min(0).optional().describe('Fail when p99 is worse than the last successful release in this environment by more than this fraction (0.2 = 20 %).'),
    maxRpsDecrease: z.number().min(0).max(1).optional().describe('Fail when throughput is lower than the last successful release in this environment by more than this fraction.'),
  }),
  ChaosVerifySpec,
]);

export const AnalysisMetricSpec = z.strictObject({
  name: Name.describe('Metric name, unique within the analysis; shown with every measurement.'),
  provider: z.enum(['router', 'prometheus']).describe("Where the numbers come from: the router's own counters, or the top-level `prometheus` server."),
  query: z
    .string()
    .min(1)
    .describe('router: error-rate, p99-latency-ms or request-rate. prometheus: a PromQL instant query; {{revision}}, {{previous}}, {{service}}, {{environment}} and {{window}} are filled in.'),
  interval: Duration.describe('Time between measurements; each one measures the interval that just ended.'),
  count: z.number().int().min(1).max(1000).describe('How many measurements to take.'),
  successCondition: z.string().min(1).describe('When a measurement passes, e.g. result < 0.01 or result <= baseline * 1.2: numbers, result, baseline, + - * /, comparisons, && || and parentheses.'),
  failureLimit: z.number().int().min(0).optional().describe('Failed measurements tolerated; one more fails the metric (default 0).'),
  inconclusiveLimit: z.number().int().min(0).optional().describe('Measurements without data (or in error) tolerated; one more makes the metric inconclusive (default 0).'),
  compare: z.literal('previous').optional().describe('Also measure the previous revision with the same query, as `baseline`.'),
});

export const WatchServiceSpec = z.strictObject({
  basis: z
    .enum(['traffic', 'health'])
    .describe("traffic (default): the router's counters of the service's own traffic; a window without traffic is inconclusive. health: for a service users never call (workers): passes when the revision stayed healthy through the window and never restarted."),
});

export const WatchSpec = z.strictObject({
  duration: Duration.describe('How long to watch the new revision after the switch.'),
  maxErrorRate: z.number().min(0).max(1).optional(),
  maxP99: Duration.optional(),
  onInconclusive: z.enum(['fail', 'pause']).optional().describe('What a window without traffic does (default fail).'),
  analysis: z.array(AnalysisMetricSpec).min(1).optional().describe('Metrics measured during the watch, Argo Rollouts style; no data is inconclusive, never a pass.'),
  services: z.record(Name, WatchServiceSpec).optional().describe('Per-service rules, by service name: how each one is judged (default: by its traffic).'),
});

export const ApprovalSpec = z.strictObject({
  required: z.number().int().min(0).max(10),
  approvers: z.array(z.string().min(1)).optional().describe('Users, or @groups declared in `groups`, allowed to approve; default: anyone with the approver role.'),
  timeout: Duration.optional().describe('How long a run waits for its approvals before it ends (default 24h).'),
});

export const GroupSpec = z
  .union([
    z.array(z.string().min(1)).min(1).describe('The Gantry user names (token users) in the group.'),
    z.strictObject({
      githubTeam: z
        .string()
        .regex(/^([A-Za-z0-9-]+\/)?[a-z0-9][a-z0-9_-]*$/, 'must be a team slug such as release-managers, or org/slug')
        .describe("A GitHub team (slug, or org/slug; the org defaults to the owner of `github.repo`); its members' logins are Gantry user names."),
    }),
  ])
  .describe('The members of an @group that `approvals.approvers` may name.');

/** What applies the main route's weights (docs/routers.md). */
export const RouterSpec = z
  .union([
    z.literal('builtin'),
    z.strictObject({ kind: z.literal('builtin') }),
    z.strictObject({
      kind: z.literal('haproxy'),
      runtimeApi: z
        .string()
        .regex(/^(\/\S+|[A-Za-z0-9.-]+:\d{1,5}|\[[0-9A-Fa-f:]+\]:\d{1,5})$/, 'must be host:port or an absolute unix socket path, as in HAProxy\'s `stats socket … level admin`')
        .describe("Where HAProxy's runtime API listens: host:port or a unix socket path (its `stats socket … level admin`)."),
      backend: z.string().min(1).regex(/^[A-Za-z0-9_.:{}-]+$/, 'must be a backend name, with {environment} and {service}').optional().describe('The HAProxy backend of a service, with {environment} and {service} replaced (default {environment}_{service}); Gantry adds its servers.'),
      url: z.string().regex(/^https?:\/\/\S+$/, 'must be an http(s) URL template such as http://127.0.0.1:8080').describe("Where the control plane reaches HAProxy's frontend of a service for its checks, with {environment} and {service} replaced."),
      matchBackend: z.string().min(1).regex(/^[A-Za-z0-9_.:{}-]+$/, 'must be a backend name, with {environment} and {service}').optional().describe("A second backend for header-routed requests (the frontend's ACL picks it); enables a canary's `match`."),
    }),
  ])
  .describe('What applies the weights of the main route: builtin (the agent\'s router, the default) or haproxy (a real HAProxy through its runtime API).');

export const EnvironmentSpec = z.strictObject({
  branch: z.string().min(1).describe('The branch whose new heads deploy here.'),
  target: Name.optional().describe('Name of a target in `targets` (default: local).'),
  strategy: StrategySpec.optional(),
  autoDeploy: z.boolean().optional(),
  portOffset: z.number().int().min(0).max(60000).optional().describe('Added to every service port for this environment.'),
  services: z.array(Name).optional().describe('Services deployed here, in deploy order (default: all with a run command).'),
  requires: Name.optional().describe('An environment a release must have succeeded in first (promotion policy).'),
  approvals: ApprovalSpec.optional(),
  confirmation: z.string().min(1).optional().describe('Phrase the person dispatching must type, e.g. DEPLOY TO PRODUCTION.'),
  backup: z.strictObject({ retention: Duration }).optional(),
  verify: z.array(VerifySpec).optional(),
  watch: WatchSpec.optional(),
  secrets: z.array(SecretName).optional().describe('Secrets available to this environment.'),
  env: EnvMap.optional(),
  tag: z.boolean().optional().describe('Tag the commit after a successful deployment.'),
  registry: Name.optional().describe("The registry this environment's targets pull images from (default: the registry images are built into); promotion copies the image there by digest."),
  router: RouterSpec.optional(),
  chaos: z
    .strictObject({ allowed: z.boolean().describe('Chaos checks may inject faults here. Production (or an environment with approvals or a confirmation) needs it set explicitly.') })
    .optional()
    .describe('Whether `verify` may hold `kind: chaos` checks in this environment (default: not allowed).'),
  imageScan: z
    .strictObject({
      failOn: z.enum(['low', 'medium', 'high', 'critical']).describe('Lowest vulnerability severity that blocks the deploy.'),
      ignore: z.array(z.string().min(1)).optional().describe('Vulnerability ids accepted on purpose (shown as ignored).'),
    })
    .optional()
    .describe('Scan each image with images.scanner before it may deploy here.'),
  regions: z
    .record(
      Name,
      z.strictObject({
        target: Name.describe('Name of a target in `targets`: where this region runs.'),
        portOffset: z.number().int().min(0).max(60000).optional().describe("Added to the environment's ports in this region (regions on one machine must not share a port)."),
      }),
    )
    .optional()
    .describe('Deploy to several targets as regions, in waves (instead of one `target`).'),
  waves: z
    .array(z.array(Name).min(1))
    .min(1)
    .optional()
    .describe('Regions deployed together, wave after wave; each wave is deployed, verified and watched before the next starts (default: one wave per region, in order).'),
  onFailure: z
    .enum(['rollback-all', 'stop'])
    .optional()
    .describe('When a wave fails: roll back every region this run changed (rollback-all, the default), or only the failed wave\'s regions, earlier waves keeping the new release (stop).'),
});

export const TargetSpec = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('local'), socket: z.string().optional().describe('Not supported yet (CONFIG_UNSUPPORTED).'), port: Port.optional(), tokenSecret: SecretName.optional() }),
  z.strictObject({
    kind: z.literal('kubernetes'),
    namespace: z
      .string()
      .max(63, 'must be at most 63 characters (a Kubernetes namespace is a DNS label)')
      .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a DNS label: lower-case letters, digits and dashes, starting and ending with a letter or digit')
      .describe('The namespace the services run in, e.g. volteryde-dev; one per environment.'),
    kubeconfigSecret: SecretName.optional().describe("A secret holding a kubeconfig (YAML), read in the environment's secret scope."),
    context: z.string().min(1).optional().describe("With kubeconfigSecret: the kubeconfig's context to use (default: its current-context)."),
    server: z.string().url().optional().describe('Without kubeconfigSecret: the API server URL, used with tokenSecret (a service account token) and caSecret.'),
    tokenSecret: SecretName.optional().describe('A secret holding a service-account token for `server`.'),
    caSecret: SecretName.optional().describe("A secret holding the API server's CA certificate (PEM) for `server`; without it the system's CAs are trusted."),
    serviceType: z.enum(['ClusterIP', 'NodePort', 'LoadBalancer']).optional().describe("The type of each service's Services (default ClusterIP: reachable only inside the cluster)."),
    endpoint: z
      .string()
      .regex(/^https?:\/\/\S+$/, 'must be an http(s) URL template such as https://{service}.dev.example.com')
      .optional()
      .describe('Where the control plane reaches a route (an ingress), with {service}, {route} (main or preview) and {environment} replaced; default: a LoadBalancer Service\'s address, else inside the cluster only.'),
    progressDeadline: Duration.optional().describe("A Deployment's progressDeadlineSeconds: how long a rollout may make no progress before it fails (default 10m)."),
  }),
  z.strictObject({
    kind: z.literal('docker'),
    engine: z.string().min(1).optional().describe('The Docker engine of a target on this machine, e.g. unix:///var/run/docker.sock (default: DOCKER_HOST, else that socket).'),
    network: z.enum(['auto', 'host', 'bridge']).optional().describe('host: containers share the host network on an assigned port; bridge: a published port; auto (default): bridge when the engine has one.'),
    port: Port.optional().describe("Control API port of the agent Gantry starts on this machine (default: any free port)."),
    hosts: z
      .array(
        z.strictObject({
          name: Name,
          address: z.string().regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, 'must be host:port of the agent\'s control API').describe("The agent's control API, host:port (TLS)."),
          tokenSecret: SecretName.describe("The agent's own token, in Gantry's secret store (`gantry hosts issue` puts it there)."),
        }),
      )
      .min(1)
      .optional()
      .describe('Remote hosts, each running `gantry agent --runtime docker` beside its engine; without hosts, Gantry starts one agent on this machine.'),
    boot: z.number().int().min(1).optional().describe('Hosts a deploy starts at a time, waiting for each group to be ready (default 1).'),
    bootTimeout: Duration.optional().describe("Longest one host's start may take to be ready (default: the services' health deadline)."),
    endpoint: z.string().url().optional().describe("Where users reach the routes (a load balancer in front of the hosts); default: the first host's routes."),
  }),
]);

export const RegistrySpec = z.strictObject({
  url: RegistryHost.describe('The registry, host[:port]; HTTPS unless it is on loopback or `insecure`.'),
  insecure: z.boolean().optional().describe('Talk plain HTTP to a registry that is not on loopback (default false).'),
  username: z.string().min(1).optional().describe('Registry account name.'),
  passwordSecret: SecretName.optional().describe("Secret holding the account's password or token, read in each environment's scope (one account per environment)."),
});

export const ProtectionSpec = z.strictObject({
  requiredApprovals: z.number().int().min(0).max(10).optional(),
  requiredChecks: z.array(z.string().min(1)).optional(),
  upToDate: z.boolean().optional(),
  conversationsResolved: z.boolean().optional(),
  signedCommits: z.boolean().optional(),
  allowDirectPush: z.boolean().optional(),
  allowForcePush: z.boolean().optional(),
});

const SecretRef = z.strictObject({ secret: SecretName });

export const ChannelSpec = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('slack'), webhook: SecretRef }),
  z.strictObject({ kind: z.literal('webhook'), url: z.string().url(), signingSecret: SecretRef.optional() }),
  z
    .strictObject({
      kind: z.literal('email'),
      to: z.array(z.string().email()).min(1).describe('Who gets the mail.'),
      smtp: z
        .string()
        .regex(/^smtps?:\/\/[^/@\s:]+(:\d{1,5})?\/?$/, 'must be smtp://host[:port] or smtps://host[:port], without credentials (use user and password)')
        .describe('The mail server: smtp://host[:port] (STARTTLS when offered, port 587 by default) or smtps://host[:port] (TLS from the start, 465).'),
      from: z.string().email().optional().describe('The sender address (default gantry@<the server host>).'),
      requireTls: z.boolean().optional().describe('Refuse to send over an unencrypted connection: STARTTLS is required on smtp:// (default false).'),
      user: z.string().min(1).optional().describe('SMTP account name; with it, the server logs in with `password`.'),
      password: SecretRef.optional().describe("Secret holding the SMTP account's password."),
    })
    .refine((c) => c.password === undefined || c.user !== undefined, { message: 'password needs user', path: ['password'] })
    .describe('Plain-text mail over SMTP.'),
  z.strictObject({
    kind: z.literal('pagerduty'),
    routingKey: SecretRef,
    url: z.string().url().optional().describe('Events API v2 endpoint (default https://events.pagerduty.com/v2/enqueue).'),
  }),
  z.strictObject({
    kind: z.literal('github-issue'),
    repo: z.string().regex(/^[^/]+\/[^/]+$/),
    token: SecretRef,
    apiUrl: z.string().url().optional().describe('GitHub REST API base URL (default https://api.github.com; GitHub Enterprise: https://HOST/api/v3).'),
  }),
]);

export const GitHubSpec = z.strictObject({
  repo: z.string().regex(/^[^/]+\/[^/]+$/, 'must be owner/name').describe('The GitHub repository, owner/name.'),
  webhookSecret: SecretRef.describe('The secret GitHub signs webhook deliveries with (X-Hub-Signature-256).'),
  apiUrl: z.string().url().optional().describe('GitHub REST API base URL (default https://api.github.com; GitHub Enterprise: https://HOST/api/v3).'),
  token: SecretRef.optional().describe('A token for the REST API: the server posts commit statuses with it (repo:status, or fine-grained Commit statuses: write); `gantry github protect` reads GITHUB_TOKEN first when run from the CLI.'),
});

export const NOTIFY_EVENTS = ['run.succeeded', 'run.failed', 'deployment.succeeded', 'deployment.failed', 'deployment.rolled-back', 'approval.requested', 'incident.opened', 'agent.restarted', 'agent.down'] as const;

export const NotificationsSpec = z.strictObject({
  channels: z.record(Name, ChannelSpec),
  routes: z.array(
    z.strictObject({
      events: z.array(z.enum(NOTIFY_EVENTS)).min(1),
      environments: z.array(Name).optional(),
      channels: z.array(Name).min(1),
    }),
  ),
});

export const AUDIT_SEVERITIES = ['low', 'moderate', 'high', 'critical'] as const;

export const ScanSpec = z.strictObject({
  secrets: z.boolean().optional().describe("Scan the commit's changed files for secrets with secretlint's recommended rules (default true)."),
  audit: z
    .strictObject({
      severity: z.enum(AUDIT_SEVERITIES).optional().describe('Lowest vulnerability severity that blocks the run (default critical).'),
      command: z
        .string()
        .min(1)
        .optional()
        .describe('Audit command for services without a package-lock.json, run in the service path: a non-zero exit blocks; `npm audit --json` style output is counted by severity.'),
    })
    .optional()
    .describe('Dependency audit of each changed service (`npm audit --omit=dev` for Node services).'),
});

export const GantryConfigSpec = z.strictObject({
  version: z.literal(1).describe('Schema version; always 1 for now.'),
  project: z.strictObject({ name: Name, description: z.string().optional() }),
  repository: z.strictObject({
    url: z.string().min(1).describe('A local path (relative to this file) or any URL git can fetch.'),
    defaultBranch: z.string().min(1).optional().describe('Base for the merge base of a new branch (default main).'),
    poll: Duration.optional().describe('How often to poll branch heads (default 5s).'),
    sharedPaths: z.array(RelativePath).optional().describe('Paths whose changes affect every service.'),
  }),
  ci: z.strictObject({ concurrency: z.number().int().min(1).max(64).optional(), coverageMinimum: z.number().min(0).max(100).optional() }).optional(),
  services: z.record(Name, ServiceSpec).refine((s) => Object.keys(s).length > 0, 'must declare at least one service'),
  environments: z.record(Name, EnvironmentSpec).optional(),
  groups: z.record(Name, GroupSpec).optional().describe('Approver groups, named as @name in `approvals.approvers`; a guarded rule, read from the pinned copy.'),
  targets: z.record(Name, TargetSpec).optional(),
  registries: z.record(Name, RegistrySpec).optional().describe('OCI registries images are pushed to and pulled from, by name.'),
  images: z
    .strictObject({
      registry: Name.optional().describe('The registry builds push to (default: the only one in registries).'),
      engine: z.string().regex(/^(unix|tcp):\/\/\S+$/, 'must be unix:///path/to/docker.sock or tcp://host:port').optional().describe('The Docker engine Dockerfile builds use (default: DOCKER_HOST, else unix:///var/run/docker.sock).'),
      scanner: z
        .strictObject({
          command: z.string().min(1).describe('Shell command printing a Trivy JSON report of $GANTRY_IMAGE (or writing it to $GANTRY_SCAN_REPORT).'),
          timeout: Duration.optional().describe('default 10m.'),
        })
        .optional(),
    })
    .optional()
    .describe('Where images are built to, and how they are scanned.'),
  branches: z.record(z.string().min(1), z.strictObject({ protection: ProtectionSpec })).optional(),
  signing: z
    .strictObject({
      trustedKeys: z.strictObject({
        gpg: z.array(z.string().min(1)).optional().describe('Armored GPG public keys (or fingerprints of keys also given armored) whose signatures count.'),
        ssh: z.array(z.string().min(1)).optional().describe('allowed_signers lines ("principal key-type key") whose SSH signatures count.'),
      }),
    })
    .optional()
    .describe('The keys a signature must come from where a branch protection sets signedCommits (self-hosted repositories, `gantry hook install`).'),
  notifications: NotificationsSpec.optional(),
  github: GitHubSpec.optional().describe('The GitHub repository: its webhook (`POST /api/v1/github/webhook`) and `gantry github protect`.'),
  scan: ScanSpec.optional().describe('The security scan that runs first in every run with gates: secrets in changed files, dependency audit.'),
  prometheus: z
    .strictObject({ url: z.string().url().describe('Base URL of the Prometheus HTTP API, e.g. http://127.0.0.1:9090.'), timeout: Duration.optional().describe('Longest one query may take (default 10s).') })
    .optional()
    .describe('The Prometheus server that `provider: prometheus` analysis metrics query.'),
});

export type GantryConfigInput = z.input<typeof GantryConfigSpec>;
export type GantryConfigParsed = z.output<typeof GantryConfigSpec>;
export type GateInput = z.output<typeof GateSpec>;
export type ServiceInput = z.output<typeof ServiceSpec>;
export type EnvironmentInput = z.output<typeof EnvironmentSpec>;
