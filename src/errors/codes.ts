/**
 * Every error code Gantry can report, in one registry. docs/errors.md documents each one with how
 * to solve it; test/unit/error-codes.test.ts fails when the two disagree.
 */
export const ERROR_CODES = {
  // config
  CONFIG_NOT_FOUND: 'The gantry.yaml file could not be read.',
  CONFIG_YAML_SYNTAX: 'The file is not valid YAML.',
  CONFIG_DUPLICATE_KEY: 'A mapping has the same key twice.',
  CONFIG_UNKNOWN_KEY: 'A key is not part of the schema.',
  CONFIG_MISSING_KEY: 'A required key is missing.',
  CONFIG_INVALID_TYPE: 'A value has the wrong type.',
  CONFIG_INVALID_VALUE: 'A value has the right type but is not allowed.',
  CONFIG_BRANCH_CONFLICT: 'One branch is mapped to two environments.',
  CONFIG_UNKNOWN_SERVICE: 'A reference names a service that is not declared.',
  CONFIG_UNKNOWN_ENVIRONMENT: 'A reference names an environment that is not declared.',
  CONFIG_UNKNOWN_TARGET: 'An environment names a target that is not declared.',
  CONFIG_UNKNOWN_CHANNEL: 'A notification route names a channel that is not declared.',
  CONFIG_PORT_CONFLICT: 'Two listeners would bind the same port.',
  CONFIG_DUPLICATE_GATE: 'A service declares two gates with one name.',
  CONFIG_PROMOTION_CYCLE: 'Environments require each other in a cycle.',
  CONFIG_SERVICE_NOT_RUNNABLE: 'An environment deploys a service that has no run command.',
  CONFIG_UNDECLARED_SECRET: 'A service uses a secret that an environment it deploys to does not provide.',
  CONFIG_PORT_OUT_OF_RANGE: 'A service port plus the offsets of an environment is above 65535.',
  CONFIG_APPROVALS_UNSATISFIABLE: 'An environment requires more approvals than it lists approvers.',
  CONFIG_UNUSED_CHANNEL: 'A notification channel is declared but no route uses it.',
  CONFIG_UNKNOWN_GROUP: 'An approvers list names an @group that `groups` does not declare.',
  CONFIG_NEEDS_GITHUB: 'A setting only GitHub can enforce or answer is used without `github:`.',
  CONFIG_UNKNOWN_CHECK: 'A required check is not a declared <service>/<gate>.',
  CONFIG_PATH_NOT_FOUND: 'A service path (or a watched or shared path) does not exist in the repository.',
  // api / auth
  AUTH_REQUIRED: 'The request carries no token.',
  AUTH_INVALID: 'The token is unknown, expired or revoked.',
  FORBIDDEN: 'The token lacks the role for this action.',
  TOO_MANY_FAILED_LOGINS: 'The client address sent too many bad tokens and is blocked for a while.',
  BAD_REQUEST: 'The request body, query or parameters are not valid.',
  NOT_FOUND: 'The resource does not exist.',
  CONFLICT: 'The resource is in a state that does not allow this action.',
  // engine
  RUN_NOT_FOUND: 'No run has that id.',
  RUN_ALREADY_FINISHED: 'The run has finished and cannot be changed.',
  UNKNOWN_ENVIRONMENT: 'The environment is not declared in gantry.yaml.',
  UNKNOWN_REF: 'The branch, tag or commit does not exist in the repository.',
  STEP_TIMEOUT: 'A step ran longer than its timeout.',
  STEP_CANCELLED: 'A step was cancelled.',
  LOCK_HELD: 'Another run holds the environment lock.',
  DATA_DIR_LOCKED: 'Another gantry server is running on the same data folder.',
  // gates
  GATE_FAILED: 'A CI gate command exited non-zero.',
  COVERAGE_TOO_LOW: 'Line coverage is below the configured minimum.',
  REPORT_UNREADABLE: 'A coverage or JUnit report is missing or cannot be parsed.',
  // sources
  GIT_FAILED: 'A git command failed.',
  // artifacts
  ARTIFACT_EMPTY: 'The build output folder is missing or holds no file.',
  ARTIFACT_UNSAFE_ENTRY: 'An artifact holds a path or link that leaves its folder, or a file type it cannot hold.',
  ARTIFACT_NOT_FOUND: 'A blob or manifest is not in the artifact store.',
  ARTIFACT_DIGEST_MISMATCH: 'A stored blob, or a bundle being stored, does not match its digest.',
  ARTIFACT_TAG_IMMUTABLE: 'An immutable artifact tag would point at another artifact.',
  ARTIFACT_REF_INVALID: 'An artifact reference or digest is malformed, or names another service.',
  ARTIFACT_LAYOUT_INVALID: 'The artifact store folder is not a valid OCI image layout of Gantry bundles.',
  // strategies
  REVISION_NOT_READY: 'A new revision did not become ready within its health deadline.',
  // (a crash-looping revision is REVISION_CRASH_LOOP, under agent)
  REVISION_UNHEALTHY: 'A revision that was ready turned unhealthy while traffic moved to it.',
  REVISION_GONE: 'A revision the strategy needs is stopped or missing on the target.',
  PRE_SWITCH_CHECK_FAILED: 'The checks run on the preview route failed before the switch.',
  REVISION_STILL_SERVING: 'Retire was asked to stop a revision that still gets main-route traffic.',
  // agent (supervisor)
  REVISION_CRASH_LOOP: 'A revision crashed so often that the target stopped restarting it.',
  HEALTH_CHECK_FAILED: 'A revision process answers its health check, but not with the expected status.',
  // cli
  SERVER_UNREACHABLE: 'The CLI could not reach the Gantry server.',
  USAGE: 'The command line is not valid.',
  INTERNAL: 'A bug in Gantry.',
  // deploy
  ENVIRONMENT_NOT_SERVED: 'An agent was asked about an environment whose target is another agent.',
  AGENT_UNREACHABLE: 'The control plane could not reach the agent of a local target.',
  TARGET_ERROR: 'A target refused or failed an operation.',
  BUILD_FAILED: 'A service\'s build command exited non-zero.',
  RELEASE_NOT_FOUND: 'A release (commit) has no built artifacts for a service.',
  PROMOTION_BLOCKED: 'A release would reach an environment before succeeding in the environment it requires.',
  CONFIRMATION_REQUIRED: 'The environment requires a typed confirmation phrase and none was given.',
  CONFIRMATION_MISMATCH: 'The typed confirmation phrase does not match the environment\'s.',
  APPROVAL_ROLE_MISSING: 'The user does not hold the approver role for the environment.',
  APPROVAL_SELF: 'The author of the change, or the user who started the run, tried to approve it.',
  APPROVAL_DUPLICATE: 'The same user approved the run twice.',
  APPROVAL_NOT_LISTED: 'The user is not among the approvers gantry.yaml lists for the environment.',
  APPROVAL_GROUP_UNRESOLVED: "The members of an approver group (a GitHub team) could not be read, so the approval was refused.",
  APPROVAL_NOT_PENDING: 'The run is not waiting for an approval.',
  APPROVAL_REJECTED: 'An approver rejected the deployment.',
  APPROVAL_TIMEOUT: 'Nobody approved the deployment in time.',
  SMOKE_TEST_FAILED: 'A smoke test got an unexpected status, body or JSON field.',
  INTEGRATION_TESTS_FAILED: 'The environment\'s integration test command exited non-zero.',
  WATCH_FAILED: 'During the watch window the new revision\'s error rate or p99 latency crossed its threshold, or it crashed.',
  WATCH_INCONCLUSIVE: 'The watch window saw no traffic, so nothing was proven.',
  ROLLBACK_UNAVAILABLE: 'There is no earlier revision to roll back to.',
  LOAD_TEST_FAILED: 'A load check missed a threshold, or fell behind the baseline of the last successful release.',
  BACKUP_NOT_FOUND: 'No backup has that id (it may have expired).',
  // notifications
  NOTIFY_DELIVERY_FAILED: 'A notification or incident receiver was unreachable or refused the request.',
  NOTIFY_SECRET_MISSING: 'A notification channel names a secret that the server does not have.',
  NOTIFY_CHANNEL_UNSUPPORTED: 'A notification channel kind cannot deliver yet.',
  // analysis (src/metrics)
  CONFIG_INVALID_CONDITION: 'An analysis metric\'s successCondition is not a valid condition.',
  CONFIG_PROMETHEUS_MISSING: 'An analysis metric uses the prometheus provider but no prometheus server is configured.',
  CONFIG_DUPLICATE_METRIC: 'An analysis declares two metrics with one name.',
  ANALYSIS_FAILED: 'An analysis metric failed more measurements than its failureLimit allows.',
  ANALYSIS_INCONCLUSIVE: 'An analysis proved nothing: its measurements had no data or were in error.',
  // audit
  AUDIT_CHAIN_BROKEN: 'The audit log\'s hash chain does not hold: an event row was edited, deleted, inserted or re-ordered.',
  // security scan (src/steps/scan.ts)
  SECRET_FOUND: 'The security scan found a secret (key, token, private key) in a file the commit changed.',
  VULNERABILITIES_FOUND: 'The dependency audit found vulnerabilities at or above the configured severity.',
  // GitHub (src/sources/github, gantry github)
  WEBHOOK_SIGNATURE_INVALID: 'A GitHub webhook delivery has no X-Hub-Signature-256, or it does not match the body and the configured secret.',
  WEBHOOK_NOT_CONFIGURED: 'The GitHub webhook was called but gantry.yaml has no `github:` section, or its webhook secret is not set.',
  WEBHOOK_PAYLOAD_INVALID: 'A signed GitHub webhook delivery lacks its event or delivery header, has an empty body, its body is not a JSON object, or its payload lacks a field Gantry reads.',
  WEBHOOK_EVENT_STALE: 'A signed GitHub webhook delivery shows a pull request or review older than what Gantry recorded (a replayed or out-of-order event); nothing changed.',
  GITHUB_TOKEN_MISSING: '`gantry github protect` found no GitHub token (GITHUB_TOKEN).',
  GITHUB_API_FAILED: "GitHub's REST API refused a branch protection request.",
  PROTECTION_REFUSED: "A push to a protected branch was not a merge of an approved pull request (GitHub's webhook said so, or never answered).",
  // pinned config (src/engine/config-acceptance.ts, gantry config accept)
  COMMIT_NOT_FOUND: 'The repository has no commit with that sha, even after a fetch.',
  CONFIG_GUARD_CHANGE_UNAPPLIED: "A commit's guard-rule change cannot be accepted while the server runs (an environment added or removed, a target the server lacks).",
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;
