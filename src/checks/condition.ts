import { ExpectationError } from "./types.js";

/**
 * `row_condition`: which rows an expectation applies to, written as GE writes it. The `pandas`
 * parser takes pandas query strings (`(a == 5) & (b == "e")`, `x != 1 | y < 0.8`, `~(z > 3)`);
 * the `great_expectations` parser takes `col("a") == 5 and col("b") != "e"`. Both compile to the
 * same closure once at load. Comparisons bind tighter than `&` / `and`, which bind tighter than
 * `|` / `or`, as in pandas' query language. Column names with other characters (JSON pointers
 * such as `/user/age`) are written in backticks, as pandas allows. A column's null test is written
 * `col("a").notnull()` (GE's grammar) or `a.notnull()` / `a.isnull()` (pandas; also `notna` / `isna`).
 * `~` / `not` negates the comparison that follows (`~a > 3` is `~(a > 3)`).
 *
 * Written by hand: GE evaluates these with pandas' expression engine, and no JavaScript library
 * parses that grammar; it is small.
 */
export type RowCondition = (get: (column: string) => unknown) => boolean;

/** A compiled condition with the columns it reads. */
export interface CompiledCondition {
  readonly test: RowCondition;
  readonly columns: readonly string[];
}

export const CONDITION_PARSERS = ["pandas", "great_expectations"] as const;

type Token =
  | { kind: "op"; text: string }
  | { kind: "name"; text: string }
  | { kind: "literal"; value: unknown };

type Node =
  | { kind: "or" | "and"; left: Node; right: Node }
  | { kind: "not"; operand: Node }
  | { kind: "cmp"; op: string; left: Operand; right: Operand }
  | { kind: "null"; operand: Operand; negated: boolean }
  | { kind: "truthy"; operand: Operand };

type Operand = { kind: "column"; name: string } | { kind: "literal"; value: unknown };

const OPERATORS = ["==", "!=", "<=", ">=", "<", ">", "&", "|", "~", "(", ")", ","];
// A Map, not an object literal: a column named `constructor` or `toString` must not find
// Object.prototype's members.
const KEYWORDS: ReadonlyMap<string, Token> = new Map<string, Token>([
  ["and", { kind: "op", text: "&" }],
  ["or", { kind: "op", text: "|" }],
  ["not", { kind: "op", text: "~" }],
  ["True", { kind: "literal", value: true }],
  ["False", { kind: "literal", value: false }],
  ["None", { kind: "literal", value: null }],
  ["true", { kind: "literal", value: true }],
  ["false", { kind: "literal", value: false }],
  ["null", { kind: "literal", value: null }],
]);

/** Null tests written as a method call after a column, and whether each is "is not null". */
const NULL_METHODS: ReadonlyMap<string, boolean> = new Map([
  ["notnull", true],
  ["notna", true],
  ["isnull", false],
  ["isna", false],
]);

/** A null test written as a method call, `.notnull()` (etc.), read as one operator token. */
const NULL_CALL = /^\.(notnull|notna|isnull|isna)\(\s*\)/;

/** A bare column name: a Python identifier (Unicode letters allowed), dots kept as part of it. */
const NAME = /^[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}.]*/u;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '"' || c === "'" || c === "`") {
      let j = i + 1;
      let value = "";
      while (j < text.length && text[j] !== c) {
        if (text[j] === "\\" && j + 1 < text.length) j++;
        value += text[j++];
      }
      if (j >= text.length)
        throw new ExpectationError(`row_condition ${JSON.stringify(text)}: unterminated ${c} at ${i}`);
      tokens.push(c === "`" ? { kind: "name", text: value } : { kind: "literal", value });
      i = j + 1;
      continue;
    }
    const number = /^-?(\d+\.?\d*(e[+-]?\d+)?|\.\d+(e[+-]?\d+)?)/i.exec(text.slice(i));
    if (number && (c !== "-" || tokens.length === 0 || tokens[tokens.length - 1].kind === "op")) {
      tokens.push({ kind: "literal", value: Number(number[0]) });
      i += number[0].length;
      continue;
    }
    const call = NULL_CALL.exec(text.slice(i));
    if (call) {
      tokens.push({ kind: "op", text: `.${call[1]}` });
      i += call[0].length;
      continue;
    }
    const op = OPERATORS.find((o) => text.startsWith(o, i));
    if (op) {
      tokens.push({ kind: "op", text: op });
      i += op.length;
      continue;
    }
    const name = NAME.exec(text.slice(i));
    if (!name)
      throw new ExpectationError(
        `row_condition ${JSON.stringify(text)}: unexpected ${JSON.stringify(c)} at ${i}`,
      );
    const word = withoutNullCall(name[0], text.slice(i + name[0].length));
    tokens.push(KEYWORDS.get(word) ?? { kind: "name", text: word });
    i += word.length;
  }
  return tokens;
}

/** `a.notnull` followed by `()` is the column `a` and a method call, not a column `a.notnull`. */
function withoutNullCall(name: string, after: string): string {
  const dot = name.lastIndexOf(".");
  if (dot <= 0 || !NULL_METHODS.has(name.slice(dot + 1)) || !/^\(\s*\)/.test(after)) return name;
  return name.slice(0, dot);
}

class Parser {
  private at = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly parser: (typeof CONDITION_PARSERS)[number],
    private readonly source: string,
  ) {}

  parse(): Node {
    const node = this.or();
    if (this.at < this.tokens.length) this.fail("unexpected input");
    return node;
  }

  private fail(message: string): never {
    throw new ExpectationError(`row_condition ${JSON.stringify(this.source)}: ${message}`);
  }

  private peekOp(text: string): boolean {
    const token = this.tokens[this.at];
    return token?.kind === "op" && token.text === text;
  }

  private or(): Node {
    let left = this.and();
    while (this.peekOp("|")) {
      this.at++;
      left = { kind: "or", left, right: this.and() };
    }
    return left;
  }

  private and(): Node {
    let left = this.unary();
    while (this.peekOp("&")) {
      this.at++;
      left = { kind: "and", left, right: this.unary() };
    }
    return left;
  }

  private unary(): Node {
    if (this.peekOp("~")) {
      this.at++;
      return { kind: "not", operand: this.unary() };
    }
    if (this.peekOp("(")) {
      this.at++;
      const inner = this.or();
      if (!this.peekOp(")")) this.fail("missing )");
      this.at++;
      return inner;
    }
    const left = this.operand();
    const token = this.tokens[this.at];
    if (token?.kind === "op" && token.text.startsWith(".")) {
      this.at++;
      if (left.kind !== "column") this.fail(`${token.text}() applies to a column`);
      return { kind: "null", operand: left, negated: NULL_METHODS.get(token.text.slice(1)) === true };
    }
    if (token?.kind === "op" && ["==", "!=", "<", "<=", ">", ">="].includes(token.text)) {
      this.at++;
      return { kind: "cmp", op: token.text, left, right: this.operand() };
    }
    return { kind: "truthy", operand: left };
  }

  private operand(): Operand {
    const token = this.tokens[this.at++];
    if (token === undefined) this.fail("ends too early");
    if (token.kind === "literal") return { kind: "literal", value: token.value };
    if (token.kind === "name") {
      if (this.parser === "great_expectations") {
        if (token.text !== "col" || !this.peekOp("(")) this.fail(`write columns as col("name")`);
        this.at++;
        const name = this.tokens[this.at++];
        if (name?.kind !== "literal" || typeof name.value !== "string") this.fail('col() takes a "name"');
        if (!this.peekOp(")")) this.fail("missing )");
        this.at++;
        return { kind: "column", name: name.value };
      }
      return { kind: "column", name: token.text };
    }
    return this.fail(`unexpected ${JSON.stringify(token.text)}`);
  }
}

function compare(op: string, a: unknown, b: unknown): boolean {
  if (op === "==") return a === b;
  if (op === "!=") return a !== b;
  // Ordering needs two numbers or two strings; anything else (null, mixed types) is false, as a
  // pandas comparison with NaN is.
  if (!((typeof a === "number" && typeof b === "number") || (typeof a === "string" && typeof b === "string")))
    return false;
  switch (op) {
    case "<":
      return a < b;
    case "<=":
      return a <= b;
    case ">":
      return a > b;
    default:
      return a >= b;
  }
}

function build(node: Node, columns: Set<string>): RowCondition {
  switch (node.kind) {
    case "or": {
      const [l, r] = [build(node.left, columns), build(node.right, columns)];
      return (get) => l(get) || r(get);
    }
    case "and": {
      const [l, r] = [build(node.left, columns), build(node.right, columns)];
      return (get) => l(get) && r(get);
    }
    case "not": {
      const inner = build(node.operand, columns);
      return (get) => !inner(get);
    }
    case "truthy": {
      const value = operandReader(node.operand, columns);
      return (get) => Boolean(value(get));
    }
    case "null": {
      const value = operandReader(node.operand, columns);
      const negated = node.negated;
      return (get) => {
        const v = value(get);
        return (v === null || v === undefined) !== negated;
      };
    }
    case "cmp": {
      const [l, r, op] = [operandReader(node.left, columns), operandReader(node.right, columns), node.op];
      return (get) => compare(op, l(get), r(get));
    }
  }
}

function operandReader(operand: Operand, columns: Set<string>): (get: (c: string) => unknown) => unknown {
  if (operand.kind === "literal") {
    const value = operand.value;
    return () => value;
  }
  const name = operand.name;
  columns.add(name);
  return (get) => get(name);
}

/** Compiles a row condition; throws ExpectationError naming the problem. */
export function compileCondition(text: string, parser: string): CompiledCondition {
  if (!(CONDITION_PARSERS as readonly string[]).includes(parser))
    throw new ExpectationError(
      `condition_parser ${JSON.stringify(parser)} is not one of ${CONDITION_PARSERS.join(", ")}`,
    );
  const tree = new Parser(tokenize(text), parser as (typeof CONDITION_PARSERS)[number], text).parse();
  const columns = new Set<string>();
  const test = build(tree, columns);
  return { test, columns: [...columns] };
}
