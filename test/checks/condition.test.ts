import { strict as assert } from "node:assert";
import { compileCondition } from "../../src/checks/condition.js";
import { ExpectationError } from "../../src/checks/types.js";

/** Compiles a condition and tests it against one row given as an object. */
function holds(text: string, row: Record<string, unknown>, parser = "pandas"): boolean {
  return compileCondition(text, parser).test((c) => row[c] ?? null);
}

/** Which of the rows the condition keeps, by index. */
function kept(text: string, rows: Record<string, unknown>[], parser = "pandas"): number[] {
  const { test } = compileCondition(text, parser);
  return rows.flatMap((row, i) => (test((c) => row[c] ?? null) ? [i] : []));
}

const grid = [
  { a: 1, b: "x" },
  { a: 5, b: "e" },
  { a: 7, b: "e" },
  { a: null, b: "y" },
];

describe("row_condition (pandas)", () => {
  it("compares columns with numbers and strings", () => {
    assert.deepEqual(kept("a == 5", grid), [1]);
    assert.deepEqual(kept("a != 5", grid), [0, 2, 3]);
    assert.deepEqual(kept("a > 1", grid), [1, 2]);
    assert.deepEqual(kept("a >= 5", grid), [1, 2]);
    assert.deepEqual(kept("a < 5", grid), [0]);
    assert.deepEqual(kept("a <= 5", grid), [0, 1]);
    assert.deepEqual(kept('b == "e"', grid), [1, 2]);
    assert.deepEqual(kept("b == 'x'", grid), [0]);
    assert.deepEqual(kept("5 < a", grid), [2]);
  });

  it("reads numbers as Python does: decimals, exponents, negatives", () => {
    assert.equal(holds("a == 0.5", { a: 0.5 }), true);
    assert.equal(holds("a == .5", { a: 0.5 }), true);
    assert.equal(holds("a == 1e3", { a: 1000 }), true);
    assert.equal(holds("a > -1", { a: 0 }), true);
    assert.equal(holds("a>-1", { a: -2 }), false);
  });

  it("treats a missing value as NaN: no ordering holds, != does", () => {
    assert.equal(holds("a < 5", { a: null }), false);
    assert.equal(holds("a > 5", { a: null }), false);
    assert.equal(holds("a != 5", { a: null }), true);
    assert.equal(holds("a == 5", {}), false);
  });

  it("combines with &, |, ~ and parentheses", () => {
    assert.deepEqual(kept('(a == 5) & (b == "e")', grid), [1]);
    assert.deepEqual(kept("a == 1 | a == 7", grid), [0, 2]);
    assert.deepEqual(kept("~(a == 5)", grid), [0, 2, 3]);
    assert.deepEqual(kept('~(a == 5) & b == "e"', grid), [2]);
    assert.deepEqual(kept('a == 1 and b == "x"', grid), [0]);
    assert.deepEqual(kept("not a == 1 or a == 1", grid), [0, 1, 2, 3]);
  });

  it("binds comparisons tighter than &, and & tighter than |", () => {
    // a == 1 | (b == "e" & a == 7): row 0 by the left side, row 2 by the right.
    assert.deepEqual(kept('a == 1 | b == "e" & a == 7', grid), [0, 2]);
    // With & first in the text the grouping is the same: (a == 7 & b == "e") | a == 1.
    assert.deepEqual(kept('a == 7 & b == "e" | a == 1', grid), [0, 2]);
    // Parentheses override it: (a == 1 | b == "e") & a == 7.
    assert.deepEqual(kept('(a == 1 | b == "e") & a == 7', grid), [2]);
  });

  it("reads backtick-quoted names such as JSON pointers", () => {
    assert.equal(holds("`/user/age` >= 18", { "/user/age": 20 }), true);
    assert.equal(holds("`/user/age` >= 18", { "/user/age": 17 }), false);
    assert.equal(holds("`first name` == 'Ada'", { "first name": "Ada" }), true);
    assert.deepEqual(compileCondition("`/user/age` > 1 & `/user/id` != 0", "pandas").columns, [
      "/user/age",
      "/user/id",
    ]);
  });

  it("lists the columns a condition reads, once each", () => {
    assert.deepEqual(compileCondition("x != 1 & w != 6 | x > 3", "pandas").columns, ["x", "w"]);
  });

  it("accepts column names that are Object.prototype members or non-ASCII", () => {
    assert.equal(holds("constructor == 5", { constructor: 5 }), true);
    assert.equal(holds("toString > 1", { toString: 0 }), false);
    assert.equal(holds("größe > 1", { größe: 2 }), true);
  });

  it("reads Python's True, False and None", () => {
    assert.equal(holds("flag == True", { flag: true }), true);
    assert.equal(holds("flag == False", { flag: true }), false);
    assert.equal(holds("flag", { flag: true }), true);
    assert.equal(holds("~flag", { flag: true }), false);
  });

  it("tests for missing values with .notnull() / .isnull()", () => {
    assert.deepEqual(kept("a.notnull()", grid), [0, 1, 2]);
    assert.deepEqual(kept("a.isnull()", grid), [3]);
    assert.deepEqual(kept("a.notna() & a > 1", grid), [1, 2]);
    assert.equal(holds("`/user/age`.isna()", {}), true);
  });

  it("rejects syntax errors with an ExpectationError naming the condition", () => {
    for (const bad of ["a >", "(a == 1", "a == 1)", "a == 'x", "a = 1", "a == 1 and", "   ", "a == 1 2"])
      assert.throws(
        () => compileCondition(bad, "pandas"),
        (e: unknown) => e instanceof ExpectationError && e.message.includes(JSON.stringify(bad)),
        bad,
      );
  });
});

describe("row_condition (great_expectations)", () => {
  it("reads col(...) comparisons joined by and / or / not", () => {
    const rows = [
      { a: 6, b: "x" },
      { a: 6, b: "y" },
      { a: 4, b: "x" },
    ];
    assert.deepEqual(kept('col("a") > 5 and col("b") == "x"', rows, "great_expectations"), [0]);
    assert.deepEqual(kept("col('a') > 5 or col('b') == 'x'", rows, "great_expectations"), [0, 1, 2]);
    assert.deepEqual(kept('not col("a") > 5', rows, "great_expectations"), [2]);
    assert.deepEqual(compileCondition('col("a") > 5 and col("b") == "x"', "great_expectations").columns, [
      "a",
      "b",
    ]);
  });

  it('reads col("a").notnull()', () => {
    assert.deepEqual(kept('col("a").notnull()', grid, "great_expectations"), [0, 1, 2]);
  });

  it("requires columns as col(...)", () => {
    assert.throws(() => compileCondition("a > 5", "great_expectations"), ExpectationError);
    assert.throws(() => compileCondition("col(a) > 5", "great_expectations"), ExpectationError);
    assert.throws(() => compileCondition('col("a" > 5', "great_expectations"), ExpectationError);
  });
});

describe("condition_parser", () => {
  it("rejects an unknown parser", () => {
    assert.throws(
      () => compileCondition("a == 1", "bad_parser"),
      (e: unknown) => e instanceof ExpectationError && /condition_parser "bad_parser"/.test(e.message),
    );
  });
});
