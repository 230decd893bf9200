import { agentApi } from '../routes/agents.js';
import { annotationApi } from '../routes/annotations.js';
import { approvalApi } from '../routes/approvals.js';
import { auditApi } from '../routes/audit.js';
import { backupApi } from '../routes/backups.js';
import { canaryApi } from '../routes/canary.js';
import { configApi } from '../routes/config.js';
import { doraApi } from '../routes/dora.js';
import { environmentStatusApi } from '../routes/environment-status.js';
import { environmentApi } from '../routes/environments.js';
import { githubApi } from '../routes/github.js';
import { metaApi } from '../routes/meta.js';
import { metricsApi } from '../routes/metrics.js';
import { notificationApi } from '../routes/notifications.js';
import { pushCheckApi } from '../routes/push-check.js';
import { runApi } from '../routes/runs.js';
import { secretApi } from '../routes/secrets.js';
import { tokenApi } from '../routes/tokens.js';
import type { ApiRoute } from './api-route.js';
import { sseApi } from './sse-routes.js';

/**
 * Every route of the API, in the order the document lists them. A function, not a constant: the
 * route modules import the document (meta.ts serves it), so the lists are read once all are loaded.
 */
export function apiRoutes(): readonly ApiRoute[] {
  return [
    ...metaApi,
    ...runApi,
    ...canaryApi,
    ...notificationApi,
    ...approvalApi,
    ...environmentApi,
    ...environmentStatusApi,
    ...annotationApi,
    ...doraApi,
    ...agentApi,
    ...backupApi,
    ...tokenApi,
    ...secretApi,
    ...configApi,
    ...auditApi,
    ...pushCheckApi,
    ...githubApi,
    ...metricsApi,
    ...sseApi,
  ];
}
