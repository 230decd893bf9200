import type { BackupResources } from '../../domain/backup.js';
import { TargetError } from '../../errors/index.js';
import { Redactor } from '../../secrets/redactor.js';
import type { SecretSource } from '../../secrets/source.js';
import type { Target } from '../../targets/target.js';

/**
 * What a backup keeps of the objects a target manages: resources() when the target has it (a
 * Kubernetes target), nothing for the targets whose backups are Gantry's own records (local,
 * docker). The target promises Secrets by name and version only; this holds it to that (invariant
 * 6) before anything reaches the store: a known secret value in the manifests, as is or in the
 * encoded forms the redactor knows (base64, as a Secret's `data` holds it), refuses the backup.
 */
/**
 * What counts as a leak here: each secret whole, and of a multi-line secret (a kubeconfig, a PEM)
 * only its long lines (keys, tokens, certificate data). Its short lines (`apiVersion: v1`,
 * `kind: Config`) are in every manifest: the log redactor masks them too, but here they would
 * refuse every backup of a target whose credentials are a kubeconfig.
 */
const LEAK_LINE_LENGTH = 32;
function holdsSecret(yaml: string, values: readonly string[]): boolean {
  const needles: string[] = [];
  for (const value of values) {
    const lines = value.split(/\r\n|\r|\n/).map((l) => l.trim());
    if (lines.filter((l) => l !== '').length <= 1) needles.push(value);
    else {
      // The redactor splits a multi-line value into all its lines again: give it only the long ones.
      if (yaml.includes(value.trim())) return true;
      needles.push(...lines.filter((l) => l.length >= LEAK_LINE_LENGTH));
    }
  }
  return new Redactor(needles).redact(yaml) !== yaml;
}

export async function managedResources(target: Target, environment: string, secrets: SecretSource | undefined): Promise<BackupResources | undefined> {
  if (!target.resources) return undefined;
  const resources = await target.resources(environment);
  if (secrets && holdsSecret(resources.yaml, secrets.allValues())) {
    throw new TargetError('BACKUP_RESOURCES_HOLD_SECRET', `the objects target ${target.name} manages for ${environment} hold a secret value; the backup was not stored`, {
      hint: 'A backup keeps Secrets by name and version only. Report this: the target must leave secret values out of resources().',
    });
  }
  return { format: resources.format, yaml: resources.yaml, objects: [...resources.objects] };
}
