import { readCount, reportUnreadable } from './unreadable.js';
import { parseXml, type XmlElement } from './xml.js';

export interface FailedCase {
  /** Enclosing suites, outermost first, joined with " > "; the classname when a case has no suite. */
  readonly suite: string;
  readonly name: string;
  readonly message: string;
}

export interface TestCounts {
  readonly tests: number;
  readonly failures: number;
  readonly errors: number;
  /** Skipped, disabled and todo cases. */
  readonly skipped: number;
  readonly passed: number;
  readonly suites: number;
  /** The first MAX_FAILED_CASES failing or erroring cases, in document order. */
  readonly failedCases: readonly FailedCase[];
}

export const MAX_FAILED_CASES = 20;
const MAX_MESSAGE_LENGTH = 500;

const HINT =
  'Make the test command write JUnit XML to the gate\'s `junit:` path (node --test: --test-reporter=junit --test-reporter-destination=reports/junit.xml; Maven Surefire: target/surefire-reports/TEST-*.xml; vitest: --reporter=junit --outputFile=…).';

interface Tally {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
  suites: number;
  failedCases: FailedCase[];
}

/**
 * JUnit XML as written by Surefire, Gradle, Jest, Vitest, pytest and the Node test runner: a
 * <testsuites> root or a bare <testsuite>, suites nested to any depth, cases directly under
 * <testsuites> (Node puts top-level tests there). Cases are counted one by one rather than trusting
 * the suites' attributes, which writers fill in inconsistently; only a suite with no cases at all
 * (a summary-only report) contributes its attributes.
 */
export function parseJunit(text: string): TestCounts {
  const root = parseXml(text, 'junit', HINT);
  if (root.name !== 'testsuites' && root.name !== 'testsuite') {
    throw reportUnreadable('junit', `the root element is <${root.name}>, not <testsuites> or <testsuite>`, { hint: HINT });
  }
  const tally: Tally = { tests: 0, failures: 0, errors: 0, skipped: 0, suites: 0, failedCases: [] };
  if (root.name === 'testsuite') visitSuite(root, [], tally);
  else visitChildren(root, [], tally);
  const { tests, failures, errors, skipped, suites, failedCases } = tally;
  return { tests, failures, errors, skipped, passed: Math.max(0, tests - failures - errors - skipped), suites, failedCases };
}

function visitSuite(suite: XmlElement, path: readonly string[], tally: Tally): void {
  tally.suites += 1;
  const name = suite.attributes['name'];
  const inner = name ? [...path, name] : path;
  const hasContent = suite.children.some((c) => c.name === 'testcase' || c.name === 'testsuite');
  if (hasContent) visitChildren(suite, inner, tally);
  else addSuiteAttributes(suite, tally);
}

function visitChildren(parent: XmlElement, path: readonly string[], tally: Tally): void {
  for (const child of parent.children) {
    if (child.name === 'testsuite') visitSuite(child, path, tally);
    else if (child.name === 'testcase') visitCase(child, path, tally);
  }
}

function visitCase(testCase: XmlElement, path: readonly string[], tally: Tally): void {
  tally.tests += 1;
  const error = testCase.children.find((c) => c.name === 'error');
  const failure = testCase.children.find((c) => c.name === 'failure');
  const problem = error ?? failure;
  if (error) tally.errors += 1;
  else if (failure) tally.failures += 1;
  else if (testCase.children.some((c) => c.name === 'skipped')) tally.skipped += 1;
  if (problem && tally.failedCases.length < MAX_FAILED_CASES) {
    tally.failedCases.push({
      suite: path.length > 0 ? path.join(' > ') : (testCase.attributes['classname'] ?? ''),
      name: testCase.attributes['name'] ?? '(unnamed)',
      message: messageOf(problem),
    });
  }
}

/** The message attribute, else the first line of the body (usually the exception line of a stack). */
function messageOf(problem: XmlElement): string {
  const text = problem.attributes['message'] ?? problem.text.split('\n').find((l) => l.trim() !== '') ?? '';
  const oneLine = text.trim();
  return oneLine.length > MAX_MESSAGE_LENGTH ? `${oneLine.slice(0, MAX_MESSAGE_LENGTH - 1)}…` : oneLine;
}

function addSuiteAttributes(suite: XmlElement, tally: Tally): void {
  const count = (key: string): number => readCount(suite.attributes[key], `<testsuite ${key}>`, 'junit', HINT) ?? 0;
  tally.tests += count('tests');
  tally.failures += count('failures');
  tally.errors += count('errors');
  tally.skipped += count('skipped') + count('disabled');
}
