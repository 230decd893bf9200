import { describe, expect, it } from 'vitest';
import { TargetError } from '../../src/errors/index.js';
import { ConfiguredTargets } from '../../src/targets/configured-targets.js';
import type { TargetKind } from '../../src/targets/target-kind.js';
import { FakeTarget } from '../support/fake-target.js';

/** A kind that makes FakeTargets and records which names it was asked for. */
function fakeKind(kind: string): TargetKind & { asked: string[] } {
  const asked: string[] = [];
  const make = async (name: string): Promise<FakeTarget> => {
    asked.push(name);
    return new FakeTarget();
  };
  return { kind, asked, get: make, traffic: make, observe: make, observeTraffic: make };
}

describe('the registry of target kinds', () => {
  it("asks the kind each target names in gantry.yaml, for deployments, traffic and observers alike", async () => {
    const local = fakeKind('local');
    const other = fakeKind('docker');
    const targets = new ConfiguredTargets({ dev: { kind: 'local' }, edge: { kind: 'docker' } }, [local, other]);
    await targets.get('dev');
    await targets.traffic('dev');
    await targets.observe('edge');
    await targets.observeTraffic('edge');
    expect(local.asked).toEqual(['dev', 'dev']);
    expect(other.asked).toEqual(['edge', 'edge']);
  });

  it('refuses a target gantry.yaml does not declare, and one of a kind this version has no implementation of, naming what there is', async () => {
    const targets = new ConfiguredTargets({ dev: { kind: 'local' }, cluster: { kind: 'kubernetes' } }, [fakeKind('local')]);
    const unknown = await targets.get('prod').catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(TargetError);
    expect(unknown).toMatchObject({ code: 'CONFIG_UNKNOWN_TARGET', hint: 'Targets: dev, cluster.' });
    const unsupported = await targets.get('cluster').catch((e: unknown) => e);
    expect(unsupported).toBeInstanceOf(TargetError);
    expect(unsupported).toMatchObject({ code: 'TARGET_ERROR', where: 'targets.cluster.kind', hint: expect.stringContaining('Kinds this version deploys to: local.') });
  });
});
