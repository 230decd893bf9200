import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GantryError, GateError } from '../../src/errors/index.js';
import { parseCoverage, type CoverageFormat } from '../../src/steps/reports/coverage.js';
import { MAX_FAILED_CASES, parseJunit } from '../../src/steps/reports/junit.js';

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/reports/${name}`, import.meta.url), 'utf8');

/** Runs `fn` and returns what it threw, so a test can assert the class, code and hint. */
function thrown(fn: () => unknown): GantryError {
  try {
    fn();
  } catch (error) {
    if (error instanceof GantryError) return error;
    throw error;
  }
  throw new Error('expected a GantryError, nothing was thrown');
}

describe('parseCoverage', () => {
  it('reads the report-level LINE counter of a JaCoCo report with a DOCTYPE, not the nested ones', () => {
    expect(parseCoverage(fixture('jacoco.xml'), 'jacoco')).toEqual({ linesCovered: 51, linesTotal: 60, percent: 85 });
  });

  it('reads lines-covered and lines-valid from a Cobertura report written by coverage.py', () => {
    expect(parseCoverage(fixture('cobertura-coveragepy.xml'), 'cobertura')).toEqual({ linesCovered: 21, linesTotal: 24, percent: 87.5 });
  });

  it('reads a Cobertura report written by Istanbul, DOCTYPE and method lines included', () => {
    const summary = parseCoverage(fixture('cobertura-istanbul.xml'), 'cobertura');
    expect(summary).toMatchObject({ linesCovered: 12, linesTotal: 14 });
    expect(summary.percent).toBeCloseTo(85.714, 3);
  });

  it('counts class lines once each when a legacy Cobertura report gives only line-rate', () => {
    expect(parseCoverage(fixture('cobertura-legacy.xml'), 'cobertura')).toEqual({ linesCovered: 3, linesTotal: 4, percent: 75 });
  });

  it('falls back to the root line-rate when a Cobertura report lists no lines', () => {
    expect(parseCoverage('<coverage line-rate="0.42" version="1.9"><packages/></coverage>', 'cobertura')).toEqual({ linesCovered: 0, linesTotal: 0, percent: 42 });
  });

  it('sums LF and LH over every lcov record', () => {
    const summary = parseCoverage(fixture('lcov.info'), 'lcov');
    expect(summary).toMatchObject({ linesCovered: 26, linesTotal: 30 });
    expect(summary.percent).toBeCloseTo(86.667, 3);
  });

  it('counts DA lines for an lcov record that has no LF and LH', () => {
    expect(parseCoverage(fixture('lcov-da-only.info'), 'lcov')).toEqual({ linesCovered: 3, linesTotal: 4, percent: 75 });
  });

  it('reads total.lines of an Istanbul json-summary', () => {
    const summary = parseCoverage(fixture('coverage-summary.json'), 'istanbul');
    expect(summary).toMatchObject({ linesCovered: 187, linesTotal: 212 });
    expect(summary.percent).toBeCloseTo(88.208, 3);
  });

  it('computes line coverage from an Istanbul coverage-final.json as Istanbul does', () => {
    expect(parseCoverage(fixture('coverage-final.json'), 'istanbul')).toEqual({ linesCovered: 3, linesTotal: 4, percent: 75 });
  });

  it('keeps the percent unrounded so that 79.99% never passes a minimum of 80', () => {
    expect(parseCoverage('SF:a.js\nLF:10000\nLH:7999\nend_of_record\n', 'lcov').percent).toBeLessThan(80);
  });

  it('calls a report with no lines 100% and lets the gate judge linesTotal', () => {
    const jacoco = '<?xml version="1.0"?><!DOCTYPE report PUBLIC "-//JACOCO//DTD Report 1.1//EN" "report.dtd"><report name="empty"><sessioninfo id="x" start="1" dump="2"/></report>';
    expect(parseCoverage(jacoco, 'jacoco')).toEqual({ linesCovered: 0, linesTotal: 0, percent: 100 });
  });

  const unreadable: readonly [string, string, CoverageFormat][] = [
    ['an empty file', '', 'jacoco'],
    ['XML that is not well-formed', '<report><counter type="LINE"></report>', 'jacoco'],
    ['a Cobertura report given as JaCoCo', fixture('cobertura-coveragepy.xml'), 'jacoco'],
    ['a JaCoCo LINE counter with a negative count', '<report><counter type="LINE" missed="-1" covered="3"/></report>', 'jacoco'],
    ['a JaCoCo report given as Cobertura', fixture('jacoco.xml'), 'cobertura'],
    ['a Cobertura root with nothing to count', '<coverage version="1"/>', 'cobertura'],
    ['text that is not JSON', '{"total": ', 'istanbul'],
    ['JSON that is no Istanbul report', '{"coverage": 80}', 'istanbul'],
    ['a json-summary whose line counts are not numbers', '{"total":{"lines":{"covered":"12","total":20}}}', 'istanbul'],
    ['an HTML page given as lcov', '<!doctype html><html></html>', 'lcov'],
    ['an lcov file with no records', 'TN:\n', 'lcov'],
    ['a truncated lcov file', 'SF:a.js\nDA:1,1\n', 'lcov'],
    ['an lcov count that is not a number', 'SF:a.js\nLF:ten\nend_of_record\n', 'lcov'],
  ];
  it.each(unreadable)('throws REPORT_UNREADABLE with a hint for %s', (_what, text, format) => {
    const error = thrown(() => parseCoverage(text, format));
    expect(error).toBeInstanceOf(GateError);
    expect(error.code).toBe('REPORT_UNREADABLE');
    expect(error.hint).toMatch(/coverage\.(file|format)/);
  });

  it('says where malformed XML breaks', () => {
    const error = thrown(() => parseCoverage('<report>\n  <counter type="LINE">\n</report>', 'jacoco'));
    expect(error.where).toMatch(/^line 3/);
    expect(error.explain()).toContain('REPORT_UNREADABLE');
  });
});

describe('parseJunit', () => {
  it('counts the Node test runner output: top-level cases, nested suites, todo and skip', () => {
    const counts = parseJunit(fixture('junit-node.xml'));
    expect(counts).toMatchObject({ tests: 6, failures: 2, errors: 0, skipped: 2, passed: 2, suites: 2 });
    expect(counts.failedCases).toEqual([
      { suite: 'test', name: 'top level fails', message: 'numbers <differ> & &quot;quote&quot;1 !== 2' },
      { suite: 'quotes > surge', name: 'doubles at peak', message: 'boom' },
    ]);
  });

  it('reads a bare <testsuite> root written by Maven Surefire, telling errors from failures', () => {
    const counts = parseJunit(fixture('junit-surefire.xml'));
    expect(counts).toMatchObject({ tests: 5, failures: 1, errors: 1, skipped: 1, passed: 2, suites: 1 });
    expect(counts.failedCases).toEqual([
      { suite: 'com.volteryde.billing.invoice.InvoiceServiceTest', name: 'previewAppliesVatPerCountry', message: 'expected: <1190> but was: <1189>' },
      {
        suite: 'com.volteryde.billing.invoice.InvoiceServiceTest',
        name: 'refundRequiresCapturedPayment',
        message: 'java.lang.NullPointerException: Cannot invoke "Payment.status()" because "payment" is null',
      },
    ]);
  });

  it('reads a <testsuites> root with several suites written by Vitest', () => {
    expect(parseJunit(fixture('junit-vitest.xml'))).toEqual({ tests: 4, failures: 0, errors: 0, skipped: 1, passed: 3, suites: 2, failedCases: [] });
  });

  it('uses the attributes of suites that list no cases', () => {
    expect(parseJunit(fixture('junit-summary-only.xml'))).toMatchObject({ tests: 15, failures: 1, errors: 1, skipped: 3, passed: 10, suites: 2 });
  });

  it('keeps only the first twenty failed cases and shortens long messages', () => {
    const cases = Array.from({ length: 25 }, (_, i) => `<testcase name="case ${i}"><failure message="${'x'.repeat(i === 0 ? 2000 : 5)}"/></testcase>`);
    const counts = parseJunit(`<testsuite name="many">${cases.join('')}</testsuite>`);
    expect(counts.failures).toBe(25);
    expect(counts.failedCases).toHaveLength(MAX_FAILED_CASES);
    expect(counts.failedCases[0]?.message.length).toBeLessThanOrEqual(500);
    expect(counts.failedCases[19]?.name).toBe('case 19');
  });

  it('counts an empty <testsuites/> as no tests', () => {
    expect(parseJunit('<testsuites/>')).toEqual({ tests: 0, failures: 0, errors: 0, skipped: 0, passed: 0, suites: 0, failedCases: [] });
  });

  const unreadable: readonly [string, string][] = [
    ['an empty file', '   \n'],
    ['truncated XML', '<testsuites><testsuite name="a"><testcase name="b"/>'],
    ['a document that is not JUnit', fixture('jacoco.xml')],
    ['a suite count that is not a number', '<testsuites><testsuite name="a" tests="many"/></testsuites>'],
    ['plain text', 'All 12 tests passed'],
  ];
  it.each(unreadable)('throws REPORT_UNREADABLE with a hint for %s', (_what, text) => {
    const error = thrown(() => parseJunit(text));
    expect(error).toBeInstanceOf(GateError);
    expect(error.code).toBe('REPORT_UNREADABLE');
    expect(error.hint).toContain('junit');
  });
});
