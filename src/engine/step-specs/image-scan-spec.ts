import { z } from 'zod';
import { RegistryAccessSchema } from './image-spec.js';
import { specVersion } from './version.js';

/**
 * The spec of an `image-scan` step: one service's image, scanned before it may reach an environment
 * whose `imageScan` asks for it. The planner resolves the scanner command, its timeout, the
 * environment's policy and the registry; the digest is the one the release's image step recorded
 * (known only once it ran), so the scan is of the bytes that will run, never of a tag that may move.
 */
export const ImageScanStepSchema = z.object({
  v: specVersion,
  environment: z.string(),
  service: z.string(),
  /** The key of the step that builds (or reuses) the image; this step needs it. */
  imageStep: z.string(),
  scanner: z.object({
    /** Run with /bin/sh; GANTRY_IMAGE holds the image by digest, GANTRY_SCAN_REPORT a path it may write the report to. */
    command: z.string().min(1),
    timeoutMs: z.number().positive(),
  }),
  failOn: z.enum(['low', 'medium', 'high', 'critical']),
  ignore: z.array(z.string()).readonly(),
  /** Where the scanner pulls the image from, by `registry.url/repository@digest`: the build registry, where the image step pushed it; its password secret is a shared one, as for that step. */
  registry: RegistryAccessSchema,
  repository: z.string(),
  /** The step's own limit: the scanner's plus a margin, so that the scanner's timeout answers first with its own error. */
  timeoutMs: z.number().nonnegative(),
});
export type ImageScanStepSpec = Readonly<z.output<typeof ImageScanStepSchema>>;

/** How much longer the step may take than its scanner: reading and judging the report, and stopping a scanner that overran. */
export const IMAGE_SCAN_STEP_MARGIN_MS = 30_000;
