/** What every image Gantry makes says about itself, as OCI annotation keys used as labels. */
export interface ImageProvenance {
  /** The commit sha the image was built from. */
  readonly revision: string;
  /** The repository's URL. */
  readonly source: string;
  /** The commit's time: a rebuild of the same commit gets the same labels, so the same digest. */
  readonly created: Date;
  /** The service. */
  readonly title: string;
  readonly version: string;
}

export const OCI_LABEL = {
  revision: 'org.opencontainers.image.revision',
  source: 'org.opencontainers.image.source',
  created: 'org.opencontainers.image.created',
  title: 'org.opencontainers.image.title',
  version: 'org.opencontainers.image.version',
} as const;

/**
 * The OCI labels merged over the user's own (Gantry's win: they are what promotion and audits rely
 * on), with sorted keys so that the config's bytes do not depend on the order labels were given in.
 */
export function imageLabels(provenance: ImageProvenance, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  const merged: Record<string, string> = {
    ...extra,
    [OCI_LABEL.revision]: provenance.revision,
    [OCI_LABEL.source]: provenance.source,
    [OCI_LABEL.created]: isoSeconds(provenance.created),
    [OCI_LABEL.title]: provenance.title,
    [OCI_LABEL.version]: provenance.version,
  };
  return Object.fromEntries(Object.keys(merged).sort().map((key) => [key, merged[key] ?? '']));
}

/** RFC 3339 in whole seconds, UTC: `2026-12-04T23:10:24Z`. */
export const isoSeconds = (time: Date): string => new Date(Math.floor(time.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
