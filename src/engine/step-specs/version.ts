import { z } from 'zod';

/**
 * Every persisted spec carries `v`; a spec stored before specs were versioned has none and reads
 * as version 1. A later change to a kind's fields adds a version and a reader for the old one.
 */
export const STEP_SPEC_VERSION = 1 as const;

export const specVersion = z.literal(STEP_SPEC_VERSION).default(STEP_SPEC_VERSION);
