import type { ServedRoute } from '../targets/local/route-layout.js';

/** One service of one environment as this agent serves it, as the control plane told it (targets/local/route-layout.ts). */
export type ServedService = ServedRoute;

export { routeId } from '../targets/local/route-layout.js';
