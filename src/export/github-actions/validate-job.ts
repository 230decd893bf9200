import type { EnvironmentConfig } from '../../config/types.js';
import { RUNNER, SHELL, shellQuote, type Job, type Step } from './workflow.js';

export const VALIDATE_JOB = 'validate';
/** The workflow_dispatch input that carries the typed confirmation. */
export const CONFIRMATION_INPUT = 'confirmation';

function confirmationStep(phrase: string): Step {
  return {
    name: 'typed confirmation',
    env: { TYPED: `\${{ inputs.${CONFIRMATION_INPUT} }}` },
    run: [
      `if [ "$TYPED" != ${shellQuote(phrase)} ]; then`,
      `  echo ${shellQuote(`::error::Run this workflow by hand (Run workflow) and type exactly: ${phrase}`)}`,
      '  exit 1',
      'fi',
    ].join('\n'),
  };
}

/** Gantry's promotion policy: the commit must have been deployed successfully to `requires` first (GitHub records every job's environment as a deployment). */
function promotionStep(requires: string): Step {
  return {
    name: `deployed to ${requires} first`,
    env: { GH_TOKEN: '${{ github.token }}', REQUIRED: requires },
    run: [
      'for id in $(gh api "repos/$GITHUB_REPOSITORY/deployments?environment=$REQUIRED&sha=$GITHUB_SHA" --jq \'.[].id\'); do',
      '  if gh api "repos/$GITHUB_REPOSITORY/deployments/$id/statuses" --jq \'.[].state\' | grep -qx success; then exit 0; fi',
      'done',
      'echo "::error::$GITHUB_SHA has no successful deployment to $REQUIRED: deploy it there first"',
      'exit 1',
    ].join('\n'),
  };
}

/** The validation gate before the approvals: the typed confirmation and the promotion policy; undefined when the environment has neither. */
export function validateJob(env: EnvironmentConfig): Job | undefined {
  const steps = [...(env.confirmation === undefined ? [] : [confirmationStep(env.confirmation)]), ...(env.requires === undefined ? [] : [promotionStep(env.requires)])];
  if (steps.length === 0) return undefined;
  return { name: 'validation gate', 'runs-on': RUNNER, permissions: { contents: 'read', deployments: 'read' }, defaults: { run: { shell: SHELL } }, steps };
}
