import { ARITHMETIC_OPS, COMPARISON_OPS, ConditionSyntaxError, tokenize } from './condition-lexer.js';
import type { ArithmeticOp, ComparisonOp, ConditionVariable, LogicalOp, Token } from './condition-lexer.js';

/**
 * A success condition such as `result < 0.01` or `result <= baseline * 1.2 || result < 50`.
 * Parsed once (at config load, where a bad one is reported with its column) into a typed tree:
 * numbers and true/false are told apart while parsing, so evaluating never fails and never throws.
 */

type NumberNode =
  | { readonly kind: 'number'; readonly value: number }
  | { readonly kind: 'variable'; readonly name: ConditionVariable }
  | { readonly kind: 'negate'; readonly operand: NumberNode }
  | { readonly kind: 'arithmetic'; readonly op: ArithmeticOp; readonly left: NumberNode; readonly right: NumberNode };
type BooleanNode =
  | { readonly kind: 'compare'; readonly op: ComparisonOp; readonly left: NumberNode; readonly right: NumberNode }
  | { readonly kind: 'logical'; readonly op: LogicalOp; readonly left: BooleanNode; readonly right: BooleanNode };
type Node = NumberNode | BooleanNode;

export interface ConditionInputs {
  readonly result: number;
  /** The previous revision's value; only conditions that name `baseline` read it. */
  readonly baseline?: number | undefined;
}

export interface Condition {
  readonly text: string;
  /** Whether the text names `baseline`: such a condition needs `compare: previous`. */
  readonly usesBaseline: boolean;
  /** True when the measurement passes. A comparison with NaN is false, so NaN never passes. */
  test(inputs: ConditionInputs): boolean;
}

export type ConditionParse = { readonly ok: true; readonly condition: Condition } | { readonly ok: false; readonly message: string; readonly column: number };

/** Longer texts and deeper nesting are refused: a condition is one line, and the parser recurses. */
export const MAX_CONDITION_LENGTH = 500;
export const MAX_CONDITION_DEPTH = 32;

const isBoolean = (node: Node): node is BooleanNode => node.kind === 'compare' || node.kind === 'logical';

class Parser {
  private index = 0;
  private depth = 0;
  constructor(private readonly tokens: readonly Token[]) {}

  private peek(): Token {
    // tokenize() always ends with an `end` token, and parsing never moves past it.
    return this.tokens[Math.min(this.index, this.tokens.length - 1)] as Token;
  }
  private next(): Token {
    const token = this.peek();
    if (token.kind !== 'end') this.index++;
    return token;
  }
  private peekOp(): string | undefined {
    const token = this.peek();
    return token.kind === 'op' ? token.op : undefined;
  }

  parseAll(): BooleanNode {
    const node = this.or();
    const rest = this.peek();
    if (rest.kind !== 'end') throw new ConditionSyntaxError(`unexpected ${describe(rest)}`, rest.column);
    if (!isBoolean(node)) throw new ConditionSyntaxError('the condition is a number, not a test: compare it, e.g. result < 0.01', 1);
    return node;
  }

  private or(): Node {
    return this.logical('||', () => this.and());
  }
  private and(): Node {
    return this.logical('&&', () => this.comparison());
  }
  private logical(op: LogicalOp, operand: () => Node): Node {
    let left = operand();
    while (this.peekOp() === op) {
      const at = this.next().column;
      const right = operand();
      if (!isBoolean(left) || !isBoolean(right)) throw new ConditionSyntaxError(`${op} joins two tests (such as result < 1), not numbers`, at);
      left = { kind: 'logical', op, left, right };
    }
    return left;
  }
  private comparison(): Node {
    const left = this.sum();
    const op = this.peekOp();
    if (!(COMPARISON_OPS as readonly (string | undefined)[]).includes(op)) return left;
    const at = this.next().column;
    const right = this.sum();
    if (isBoolean(left) || isBoolean(right)) throw new ConditionSyntaxError(`${String(op)} compares two numbers; join tests with && or ||`, at);
    const after = this.peekOp();
    if ((COMPARISON_OPS as readonly (string | undefined)[]).includes(after)) {
      throw new ConditionSyntaxError('comparisons do not chain: write 0 < result && result < 1', this.peek().column);
    }
    return { kind: 'compare', op: op as ComparisonOp, left, right };
  }
  private sum(): Node {
    return this.arithmetic(['+', '-'], () => this.product());
  }
  private product(): Node {
    return this.arithmetic(['*', '/'], () => this.unary());
  }
  private arithmetic(ops: readonly ArithmeticOp[], operand: () => Node): Node {
    let left = operand();
    for (let op = this.peekOp(); (ops as readonly (string | undefined)[]).includes(op); op = this.peekOp()) {
      const at = this.next().column;
      const right = operand();
      if (isBoolean(left) || isBoolean(right)) throw new ConditionSyntaxError(`${String(op)} works on numbers, not on tests`, at);
      left = { kind: 'arithmetic', op: op as ArithmeticOp, left, right };
    }
    return left;
  }
  private unary(): Node {
    const token = this.peek();
    if (++this.depth > MAX_CONDITION_DEPTH) throw new ConditionSyntaxError(`nested more than ${MAX_CONDITION_DEPTH} deep`, token.column);
    try {
      if (token.kind === 'op' && token.op === '-') {
        this.next();
        const operand = this.unary();
        if (isBoolean(operand)) throw new ConditionSyntaxError('- works on numbers, not on tests', token.column);
        return { kind: 'negate', operand };
      }
      return this.primary();
    } finally {
      this.depth--;
    }
  }
  private primary(): Node {
    const token = this.next();
    if (token.kind === 'number') return { kind: 'number', value: token.value };
    if (token.kind === 'variable') return { kind: 'variable', name: token.name };
    if (token.kind === 'op' && token.op === '(') {
      const inner = this.or();
      const close = this.next();
      if (close.kind !== 'op' || close.op !== ')') throw new ConditionSyntaxError(`expected ")" to close the "(" at column ${token.column}, found ${describe(close)}`, close.column);
      return inner;
    }
    throw new ConditionSyntaxError(`expected a number, result, baseline or "(", found ${describe(token)}`, token.column);
  }
}

function describe(token: Token): string {
  switch (token.kind) {
    case 'end':
      return 'the end of the condition';
    case 'number':
      return `the number ${token.value}`;
    case 'variable':
      return token.name;
    case 'op':
      return `"${token.op}"`;
  }
}

function number(node: NumberNode, inputs: ConditionInputs): number {
  switch (node.kind) {
    case 'number':
      return node.value;
    case 'variable':
      return node.name === 'result' ? inputs.result : (inputs.baseline ?? Number.NaN);
    case 'negate':
      return -number(node.operand, inputs);
    case 'arithmetic': {
      const a = number(node.left, inputs);
      const b = number(node.right, inputs);
      return node.op === '+' ? a + b : node.op === '-' ? a - b : node.op === '*' ? a * b : a / b;
    }
  }
}

function truth(node: BooleanNode, inputs: ConditionInputs): boolean {
  if (node.kind === 'logical') return node.op === '&&' ? truth(node.left, inputs) && truth(node.right, inputs) : truth(node.left, inputs) || truth(node.right, inputs);
  const a = number(node.left, inputs);
  const b = number(node.right, inputs);
  switch (node.op) {
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case '==':
      return a === b;
    case '!=':
      // NaN must not pass a condition: `result != 0` with no number is not a success.
      return !Number.isNaN(a) && !Number.isNaN(b) && a !== b;
  }
}

function mentions(node: Node, name: ConditionVariable): boolean {
  switch (node.kind) {
    case 'number':
      return false;
    case 'variable':
      return node.name === name;
    case 'negate':
      return mentions(node.operand, name);
    default:
      return mentions(node.left, name) || mentions(node.right, name);
  }
}

/** Parses a success condition; never throws, whatever the text. */
export function parseCondition(text: string): ConditionParse {
  if (text.length > MAX_CONDITION_LENGTH) return { ok: false, message: `longer than ${MAX_CONDITION_LENGTH} characters`, column: MAX_CONDITION_LENGTH + 1 };
  const tokens = tokenize(text);
  if (tokens instanceof ConditionSyntaxError) return { ok: false, message: tokens.message, column: tokens.column };
  if (tokens.length === 1) return { ok: false, message: 'the condition is empty', column: 1 };
  let root: BooleanNode;
  try {
    root = new Parser(tokens).parseAll();
  } catch (error: unknown) {
    if (error instanceof ConditionSyntaxError) return { ok: false, message: error.message, column: error.column };
    throw error;
  }
  return { ok: true, condition: { text, usesBaseline: mentions(root, 'baseline'), test: (inputs) => truth(root, inputs) } };
}

/** What the language allows, for error hints. */
export const CONDITION_GRAMMAR_HINT = `a condition uses numbers, result, baseline, ${ARITHMETIC_OPS.join(' ')}, ${COMPARISON_OPS.join(' ')}, && || and parentheses, e.g. result < 0.01 or result <= baseline * 1.2`;
