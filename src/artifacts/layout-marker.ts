import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { atomicWriteFile } from './atomic-write.js';
import { invalid } from './index-file.js';
import { LayoutMarkerSpec, OCI_LAYOUT_FILE, OCI_LAYOUT_VERSION } from './oci-types.js';

/** Creates the folders and the `oci-layout` file, or checks an existing one. Idempotent. */
export async function ensureLayoutMarker(root: string): Promise<void> {
  await mkdir(join(root, 'blobs', 'sha256'), { recursive: true });
  const found = await readMarker(root);
  if (found === undefined) await atomicWriteFile(join(root, OCI_LAYOUT_FILE), `${JSON.stringify({ imageLayoutVersion: OCI_LAYOUT_VERSION })}\n`);
}

/** Refuses a folder that is not a layout (yet), before anything is written into it. */
export async function assertLayout(root: string): Promise<void> {
  if ((await readMarker(root)) === undefined) {
    throw invalid(join(root, OCI_LAYOUT_FILE), `${root} is not an OCI image layout: the oci-layout file is missing`, 'Call init() on the layout first; it creates the folder structure.');
  }
}

/** The version found, or undefined when there is no marker; an unknown version is refused. */
async function readMarker(root: string): Promise<string | undefined> {
  const path = join(root, OCI_LAYOUT_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error: unknown) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error: unknown) {
    throw invalid(path, 'the oci-layout file is not JSON', `Its content must be {"imageLayoutVersion":"${OCI_LAYOUT_VERSION}"}.`, error);
  }
  const marker = LayoutMarkerSpec.safeParse(parsed);
  if (!marker.success || marker.data.imageLayoutVersion !== OCI_LAYOUT_VERSION) {
    throw invalid(path, `the oci-layout file does not declare imageLayoutVersion ${OCI_LAYOUT_VERSION}`, 'This folder was written by another tool or version; use a separate folder for Gantry artifacts.');
  }
  return marker.data.imageLayoutVersion;
}
