import type { Finding } from '../issues.js';
import type { GantryConfigParsed } from '../schema.js';
import { analysisCondition } from './analysis-condition.js';
import { analysisMetric } from './analysis-metric.js';
import { approvals } from './approvals.js';
import { branchConflict } from './branch-conflict.js';
import { canary } from './canary.js';
import { chaosAllowed } from './chaos-allowed.js';
import { duplicateGate } from './duplicate-gate.js';
import { images } from './images.js';
import { kubernetes } from './kubernetes.js';
import { portConflict } from './port-conflict.js';
import { portRange } from './port-range.js';
import { promotionCycle } from './promotion-cycle.js';
import { protectionEnforceable } from './protection-enforceable.js';
import { regions } from './regions.js';
import type { ConfigRule } from './rule.js';
import { router } from './router.js';
import { serviceList } from './service-list.js';
import { undeclaredSecret } from './undeclared-secret.js';
import { unknownChannel } from './unknown-channel.js';
import { unknownEnvironment } from './unknown-environment.js';
import { unknownGroup } from './unknown-group.js';
import { unknownService } from './unknown-service.js';
import { unknownTarget } from './unknown-target.js';
import { unsupported } from './unsupported.js';
import { unusedChannel } from './unused-channel.js';

/** Every semantic rule, in the order their findings are reported when two share a position. */
export const CONFIG_RULES: readonly ConfigRule[] = [
  branchConflict,
  unknownService,
  serviceList,
  unknownEnvironment,
  promotionCycle,
  unknownTarget,
  regions,
  images,
  kubernetes,
  router,
  unknownChannel,
  portConflict,
  portRange,
  duplicateGate,
  undeclaredSecret,
  approvals,
  unknownGroup,
  protectionEnforceable,
  unusedChannel,
  analysisMetric,
  analysisCondition,
  canary,
  chaosAllowed,
  unsupported,
];

/** Runs every rule on a structurally valid config. Pure. */
export function runRules(config: GantryConfigParsed, rules: readonly ConfigRule[] = CONFIG_RULES): Finding[] {
  return rules.flatMap((rule) => rule.check(config));
}
