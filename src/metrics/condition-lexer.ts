/**
 * Tokens of a success condition. The language is deliberately tiny (numbers, `result`, `baseline`,
 * arithmetic, comparisons, `&&`, `||`, parentheses) because the text comes from gantry.yaml in a
 * commit: nothing in it may reach `eval`, a property lookup or a function call.
 */

export const CONDITION_VARIABLES = ['result', 'baseline'] as const;
export type ConditionVariable = (typeof CONDITION_VARIABLES)[number];

export const ARITHMETIC_OPS = ['+', '-', '*', '/'] as const;
export const COMPARISON_OPS = ['<=', '>=', '==', '!=', '<', '>'] as const;
export const LOGICAL_OPS = ['&&', '||'] as const;
export type ArithmeticOp = (typeof ARITHMETIC_OPS)[number];
export type ComparisonOp = (typeof COMPARISON_OPS)[number];
export type LogicalOp = (typeof LOGICAL_OPS)[number];

export type Token =
  | { readonly kind: 'number'; readonly value: number; readonly column: number }
  | { readonly kind: 'variable'; readonly name: ConditionVariable; readonly column: number }
  | { readonly kind: 'op'; readonly op: ArithmeticOp | ComparisonOp | LogicalOp | '(' | ')'; readonly column: number }
  | { readonly kind: 'end'; readonly column: number };

/** A problem in the text, with the 1-based column it starts at. */
export class ConditionSyntaxError {
  constructor(
    readonly message: string,
    readonly column: number,
  ) {}
}

const NUMBER = /^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/;
const WORD = /^[A-Za-z_$][A-Za-z0-9_$.]*/;
// Longest first, so that `<=` is not read as `<` then `=`.
const OPERATORS = ['&&', '||', ...COMPARISON_OPS, ...ARITHMETIC_OPS, '(', ')'] as const;

function isVariable(word: string): word is ConditionVariable {
  return (CONDITION_VARIABLES as readonly string[]).includes(word);
}

function describeChar(char: string): string {
  if (char === '=') return '"=" (compare with ==)';
  if (char === '!') return '"!" (only != is allowed)';
  if (char === '&' || char === '|') return `"${char}" (write ${char}${char})`;
  return JSON.stringify(char);
}

/** Splits the text into tokens, or returns where the first character outside the language is. */
export function tokenize(text: string): Token[] | ConditionSyntaxError {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const rest = text.slice(i);
    const space = /^\s+/.exec(rest);
    if (space) {
      i += space[0].length;
      continue;
    }
    const column = i + 1;
    const number = NUMBER.exec(rest);
    if (number) {
      tokens.push({ kind: 'number', value: Number(number[0]), column });
      i += number[0].length;
      continue;
    }
    const word = WORD.exec(rest);
    if (word) {
      if (!isVariable(word[0])) return new ConditionSyntaxError(`unknown name "${word[0]}": only result and baseline may be used`, column);
      tokens.push({ kind: 'variable', name: word[0], column });
      i += word[0].length;
      continue;
    }
    const op = OPERATORS.find((candidate) => rest.startsWith(candidate));
    if (op === undefined) return new ConditionSyntaxError(`unexpected character ${describeChar(rest[0] ?? '')}`, column);
    tokens.push({ kind: 'op', op, column });
    i += op.length;
  }
  tokens.push({ kind: 'end', column: text.length + 1 });
  return tokens;
}
