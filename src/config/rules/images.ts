import { finding, formatPath } from '../issues.js';
import type { ConfigPath, Finding } from '../issues.js';
import type { GantryConfigParsed } from '../schema.js';
import { suggestionHint } from '../suggest.js';
import { deployedServices, environmentsOf } from './context.js';
import type { ConfigRule } from './rule.js';

function unknownRegistry(config: GantryConfigParsed, name: string | undefined, path: ConfigPath): Finding[] {
  const declared = Object.keys(config.registries ?? {});
  if (name === undefined || declared.includes(name)) return [];
  return [finding('CONFIG_UNKNOWN_REGISTRY', path, `${formatPath(path)} names the undeclared registry "${name}"`, { hint: declared.length > 0 ? suggestionHint(name, declared, 'registry') : 'Declare it under `registries:` (url, and username/passwordSecret when it asks for a login).' })];
}

/**
 * Images need somewhere to go, a docker or kubernetes target needs an image of every service it runs, and a scan
 * needs a scanner: each caught here rather than halfway through a release.
 */
export const images: ConfigRule = {
  name: 'images',
  check(config) {
    const found: Finding[] = [];
    const registries = Object.keys(config.registries ?? {});
    found.push(...unknownRegistry(config, config.images?.registry, ['images', 'registry']));
    for (const [name, service] of Object.entries(config.services)) {
      if (!service.image) continue;
      found.push(...unknownRegistry(config, service.image.registry, ['services', name, 'image', 'registry']));
      if (service.image.registry === undefined && config.images?.registry === undefined && registries.length !== 1) {
        const path = ['services', name, 'image'];
        found.push(finding('CONFIG_MISSING_KEY', path, `${formatPath(path)} has no registry to be pushed to`, { hint: registries.length === 0 ? 'Declare one under `registries:`.' : `Several registries are declared: set images.registry or ${formatPath(path)}.registry to one of ${registries.join(', ')}.` }));
      }
      if (!service.build) {
        const path = ['services', name, 'image'];
        found.push(finding('CONFIG_MISSING_KEY', path, `${formatPath(path)} needs services.${name}.build: the image holds the build output, built once per release`, { hint: 'Add build: { run, output } to the service.' }));
      }
    }
    for (const [envName, env] of environmentsOf(config)) {
      found.push(...unknownRegistry(config, env.registry, ['environments', envName, 'registry']));
      if (env.imageScan && !config.images?.scanner) {
        const path = ['environments', envName, 'imageScan'];
        found.push(finding('CONFIG_MISSING_KEY', path, `${formatPath(path)} needs images.scanner, the command that scans an image`, { hint: 'Set images.scanner.command, e.g. trivy image --format json --quiet "$GANTRY_IMAGE".' }));
      }
      const target = env.target === undefined ? undefined : config.targets?.[env.target];
      if (target?.kind !== 'docker' && target?.kind !== 'kubernetes') continue;
      for (const deployed of deployedServices(config, envName, env)) {
        if (config.services[deployed.name]?.image) continue;
        found.push(finding('CONFIG_IMAGE_MISSING', deployed.path, `${envName} deploys ${deployed.name} through the ${target.kind} target ${env.target ?? ''}, but services.${deployed.name} has no image`, { hint: `Give services.${deployed.name} an image: (base: … or dockerfile: …), or deploy ${envName} through a local target.` }));
      }
    }
    return found;
  },
};
