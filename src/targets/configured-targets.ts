import { TargetError } from '../errors/index.js';
import type { TargetRegistry } from './registry.js';
import type { Target, TrafficSource } from './target.js';
import type { TargetKind } from './target-kind.js';

/**
 * The targets gantry.yaml declares, each served by the kind it names: the one registry the steps,
 * the metric providers and the status pages ask. A kind with no implementation here is refused
 * when a deployment first needs it (validation refuses it earlier, in gantry.yaml itself).
 */
export class ConfiguredTargets implements TargetRegistry {
  private readonly kinds: ReadonlyMap<string, TargetKind>;
  // Every method is async so a refusal is a rejection: callers chain .catch() on what they get.

  constructor(
    private readonly declared: Readonly<Record<string, { readonly kind: string }>>,
    kinds: readonly TargetKind[],
  ) {
    this.kinds = new Map(kinds.map((k) => [k.kind, k]));
  }

  async get(name: string): Promise<Target> {
    return this.kindOf(name).get(name);
  }

  async traffic(name: string): Promise<TrafficSource> {
    return this.kindOf(name).traffic(name);
  }

  async observe(name: string): Promise<Target | undefined> {
    return this.kindOf(name).observe(name);
  }

  async observeTraffic(name: string): Promise<TrafficSource | undefined> {
    return this.kindOf(name).observeTraffic(name);
  }

  private kindOf(name: string): TargetKind {
    const spec = this.declared[name];
    if (!spec) {
      throw new TargetError('CONFIG_UNKNOWN_TARGET', `gantry.yaml declares no target "${name}"`, { hint: `Targets: ${Object.keys(this.declared).join(', ') || 'none'}.` });
    }
    const kind = this.kinds.get(spec.kind);
    if (!kind) {
      throw new TargetError('TARGET_ERROR', `target ${name} is of kind ${spec.kind}, which this version cannot deploy to`, {
        where: `targets.${name}.kind`,
        hint: `Kinds this version deploys to: ${[...this.kinds.keys()].join(', ')}.`,
      });
    }
    return kind;
  }
}
