import { ArtifactError } from './artifact-error.js';

/** The same rule as service names in gantry.yaml (config/schema.ts `Name`), kept here so artifacts do not depend on config. */
const SERVICE_PATTERN = /^[a-z][a-z0-9-]{0,62}$/;
/** The OCI distribution spec's tag grammar, so that a tag can be pushed to any registry unchanged. */
const TAG_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

export interface ArtifactRef {
  readonly service: string;
  readonly tag: string;
}

/** Splits `<service>:<tag>` (`nest-api:3f1c2d4`, `nest-api:production-latest`), refusing anything else. */
export function parseArtifactRef(ref: string): ArtifactRef {
  const colon = ref.indexOf(':');
  const service = colon < 0 ? ref : ref.slice(0, colon);
  const tag = colon < 0 ? '' : ref.slice(colon + 1);
  if (!SERVICE_PATTERN.test(service) || !TAG_PATTERN.test(tag)) {
    throw new ArtifactError('ARTIFACT_REF_INVALID', `"${ref}" is not an artifact reference`, {
      hint: 'Write <service>:<tag>, e.g. nest-api:3f1c2d4 or nest-api:staging-latest: a service name from gantry.yaml, then letters, digits, ".", "_" or "-" (at most 128, not starting with "." or "-").',
    });
  }
  return { service, tag };
}

/** Refuses a service name that could not appear in a reference. */
export function assertServiceName(service: string): void {
  if (!SERVICE_PATTERN.test(service)) {
    throw new ArtifactError('ARTIFACT_REF_INVALID', `"${service}" is not a service name`, {
      hint: 'Service names are lower-case letters, digits and dashes, starting with a letter, as declared in gantry.yaml.',
    });
  }
}
