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
  // api / auth
  AUTH_REQUIRED: 'The request carries no token.',
  AUTH_INVALID: 'The token is unknown, expired or revoked.',
  FORBIDDEN: 'The token lacks the role for this action.',
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
  // gates
  GATE_FAILED: 'A CI gate command exited non-zero.',
  COVERAGE_TOO_LOW: 'Line coverage is below the configured minimum.',
  REPORT_UNREADABLE: 'A coverage or JUnit report is missing or cannot be parsed.',
  // sources
  GIT_FAILED: 'A git command failed.',
  // cli
  SERVER_UNREACHABLE: 'The CLI could not reach the Gantry server.',
  USAGE: 'The command line is not valid.',
  INTERNAL: 'A bug in Gantry.',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;
