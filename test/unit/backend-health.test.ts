import { describe, expect, it } from 'vitest';
import { BackendHealth, DEFAULT_OUTLIER_POLICY as policy } from '../../src/agent/router/backend-health.js';

describe('a backend’s passive health', () => {
  it('asks for ejection on the third failure in a row, and an answer in between starts the count again', () => {
    const health = new BackendHealth('http://127.0.0.1:1');
    expect([health.failed(policy), health.failed(policy)]).toEqual([false, false]);
    health.answered(5);
    expect([health.failed(policy), health.failed(policy), health.failed(policy)]).toEqual([false, false, true]);
  });

  it('doubles the ejection period for each ejection without a clean trial, up to the maximum', () => {
    const health = new BackendHealth('http://127.0.0.1:1');
    const periods: number[] = [];
    let now = 0;
    for (let i = 0; i < 7; i++) {
      periods.push(health.eject(now, policy));
      now += periods[periods.length - 1]!;
      expect(health.readmitIfDue(now - 1)).toBe(false);
      expect(health.readmitIfDue(now)).toBe(true);
      // On trial, one failure is enough to send it out again.
      expect(health.failed(policy)).toBe(true);
    }
    expect(periods).toEqual([10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);
  });

  it('forgets earlier ejections once it answers on trial', () => {
    const health = new BackendHealth('http://127.0.0.1:1');
    health.eject(0, policy);
    health.readmitIfDue(10_000);
    expect(health.onTrial).toBe(true);
    health.answered(10_001);
    expect(health.onTrial).toBe(false);
    expect(health.eject(20_000, policy)).toBe(10_000);
  });
});
