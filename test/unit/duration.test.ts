import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/config/duration.js';

describe('durations', () => {
  it('reads numbers as seconds and strings with units', () => {
    expect(parseDuration(2)).toBe(2000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('90d')).toBe(90 * 86_400_000);
  });
  it('refuses text that is not a duration', () => {
    expect(() => parseDuration('soon')).toThrow(RangeError);
  });
  it('formats short and long durations for people', () => {
    expect(formatDuration(12)).toBe('12ms');
    expect(formatDuration(1500)).toBe('1.5s');
    expect(formatDuration(125_000)).toBe('2m05s');
  });
});
