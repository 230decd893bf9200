import { describe, expect, it } from 'vitest';
import { SCAN_STEP_KEY, approvalKey, backupKey, buildKey, deployKey, finalizeKey, gateKey, gateOfKey, imageScanKey, lockKey, parseStepKey, promotionKey, protectionKey, rollbackKey, verifyKey, watchKey } from '../../src/engine/step-keys.js';

describe('step keys', () => {
  it('reads back what each builder makes', () => {
    expect(parseStepKey(SCAN_STEP_KEY)).toEqual({ kind: 'scan' });
    expect(parseStepKey(gateKey('api', 'lint'))).toEqual({ kind: 'gate', service: 'api', gate: 'lint' });
    expect(parseStepKey(buildKey('api'))).toEqual({ kind: 'build', service: 'api' });
    expect(parseStepKey(deployKey('staging', 'billing'))).toEqual({ kind: 'deploy', environment: 'staging', service: 'billing' });
    expect(parseStepKey(imageScanKey('production', 'api'))).toEqual({ kind: 'image-scan', environment: 'production', service: 'api' });
    for (const [build, kind] of [[promotionKey, 'promotion'], [approvalKey, 'approval'], [lockKey, 'lock'], [backupKey, 'backup'], [verifyKey, 'verify'], [watchKey, 'watch'], [finalizeKey, 'finalize'], [rollbackKey, 'rollback']] as const) {
      expect(parseStepKey(build('production'))).toEqual({ kind, environment: 'production' });
    }
  });

  it('keeps the keys the API, the CLI and stored runs already use', () => {
    expect([SCAN_STEP_KEY, gateKey('api', 'lint'), buildKey('api'), lockKey('dev'), deployKey('dev', 'api'), rollbackKey('dev')]).toEqual(['scan:security', 'gate:api:lint', 'build:api', 'lock:dev', 'deploy:dev:api', 'rollback:dev']);
  });

  it('keeps a branch with a colon or slash whole in a protection key', () => {
    expect(parseStepKey(protectionKey('release/2026:q4'))).toEqual({ kind: 'protection', branch: 'release/2026:q4' });
  });

  it('names nothing for a key no builder makes', () => {
    for (const key of ['', 'gate', 'gate:api', 'gate:api:lint:x', 'deploy:dev', 'lock:', 'noop', 'unknown:x', 'build:a:b']) expect(parseStepKey(key), key).toBeUndefined();
    expect(gateOfKey(deployKey('dev', 'api'))).toBeUndefined();
    expect(gateOfKey(gateKey('web', 'test'))).toEqual({ kind: 'gate', service: 'web', gate: 'test' });
  });
});
