import { strict as assert } from "node:assert";
import { compileExpectation } from "../../src/checks/engine.js";
import {
  compareCodePoints,
  compareOrdered,
  rowSum,
  valueKey,
  valuesEqual,
} from "../../src/checks/expectations/multicolumn.js";
import { ColumnTable } from "../../src/checks/table.js";
import { ExpectationError, type ExpectationResult } from "../../src/checks/types.js";

/** Runs one expectation over column data with the COMPLETE result format. */
function run(
  type: string,
  kwargs: Record<string, unknown>,
  data: Record<string, unknown[]>,
  format: Record<string, unknown> = { result_format: "COMPLETE" },
): ExpectationResult {
  return compileExpectation({ type, kwargs }).evaluate(ColumnTable.fromColumns(data), format);
}

const PAIR = {
  a: [3, 2, 1, null, null, "b"],
  b: [1, 2, 3, 1, null, "a"],
};

describe("expect_column_pair_values_a_to_be_greater_than_b", () => {
  const type = "expect_column_pair_values_a_to_be_greater_than_b";

  it("flags ties and smaller values, with [a, b] entries and row indices", () => {
    const r = run(type, { column_A: "a", column_B: "b" }, PAIR);
    assert.equal(r.success, false);
    // Row 3 has only b: not ignored by default (both_values_are_missing), and NaN > 1 is false.
    assert.deepEqual(r.result.unexpected_list, [
      [2, 2],
      [1, 3],
      [null, 1],
    ]);
    assert.deepEqual(r.result.unexpected_index_list, [1, 2, 3]);
    assert.equal(r.result.element_count, 6);
    assert.equal(r.result.missing_count, 1);
    assert.equal(r.result.unexpected_count, 3);
  });

  it("accepts ties with or_equal", () => {
    const r = run(type, { column_A: "a", column_B: "b", or_equal: true }, PAIR);
    assert.deepEqual(r.result.unexpected_list, [
      [1, 3],
      [null, 1],
    ]);
  });

  it("honours ignore_row_if", () => {
    const either = run(
      type,
      { column_A: "a", column_B: "b", ignore_row_if: "either_value_is_missing" },
      PAIR,
    );
    assert.deepEqual(either.result.unexpected_index_list, [1, 2]);
    assert.equal(either.result.missing_count, 2);
    const neither = run(type, { column_A: "a", column_B: "b", ignore_row_if: "neither" }, PAIR);
    assert.deepEqual(neither.result.unexpected_index_list, [1, 2, 3, 4]);
    assert.equal(neither.result.missing_count, 0);
  });

  it("orders strings by code point and reports a number against a string as an error", () => {
    const strings = run(
      type,
      { column_A: "a", column_B: "b" },
      { a: ["b", "B", "😀"], b: ["a", "a", "\uffff"] },
    );
    assert.deepEqual(strings.result.unexpected_list, [["B", "a"]]);
    const mixed = run(type, { column_A: "a", column_B: "b" }, { a: [2, 10], b: [1, "abc"] });
    assert.equal(mixed.success, false);
    assert.equal(mixed.exception_info.raised_exception, true);
    assert.match(mixed.exception_info.exception_message ?? "", /column_A "a".*10.*column_B "b".*"abc"/);
  });

  it("throws the error instead when catch_exceptions is false", () => {
    assert.throws(
      () => run(type, { column_A: "a", column_B: "b", catch_exceptions: false }, { a: [10], b: ["abc"] }),
      ExpectationError,
    );
  });

  it("passes mostly over the non-ignored rows", () => {
    const data = { a: [2, 2, 2, 2, 1], b: [1, 1, 1, 1, 1] };
    assert.equal(run(type, { column_A: "a", column_B: "b", mostly: 0.8 }, data).success, true);
    assert.equal(run(type, { column_A: "a", column_B: "b", mostly: 0.81 }, data).success, false);
  });

  it("gives each event its own verdict (checkRow)", () => {
    const e = compileExpectation({ type, kwargs: { column_A: "a", column_B: "b" } });
    const row = (r: Record<string, unknown>) => (c: string) => r[c];
    assert.equal(e.checkRow?.(row({ a: 2, b: 1 })), true);
    assert.equal(e.checkRow?.(row({ a: 1, b: 1 })), false);
    assert.equal(e.checkRow?.(row({})), null);
  });
});

describe("expect_column_pair_values_to_be_equal", () => {
  const type = "expect_column_pair_values_to_be_equal";

  it("never equates a number with a string, and treats 1 and 1.0 alike", () => {
    const r = run(type, { column_A: "x", column_B: "y" }, { x: [1, 10, 2], y: [1.0, "10", 2] });
    assert.deepEqual(r.result.unexpected_list, [[10, "10"]]);
  });

  it("keeps booleans apart from numbers and compares nested values deeply", () => {
    const r = run(
      type,
      { column_A: "x", column_B: "y" },
      { x: [true, { p: 1, q: [1, 2] }, [1]], y: [1, { q: [1, 2], p: 1 }, [2]] },
    );
    assert.deepEqual(r.result.unexpected_index_list, [0, 2]);
  });

  it("counts a missing value on one side as unexpected unless either_value_is_missing", () => {
    const data = { w: [1, 2, null], z: [1, null, null] };
    assert.deepEqual(run(type, { column_A: "w", column_B: "z" }, data).result.unexpected_list, [[2, null]]);
    assert.deepEqual(
      run(type, { column_A: "w", column_B: "z", ignore_row_if: "either_value_is_missing" }, data).result
        .unexpected_list,
      [],
    );
    // With "neither", two missing values are not equal either (NaN != NaN).
    assert.deepEqual(
      run(type, { column_A: "w", column_B: "z", ignore_row_if: "neither" }, data).result.unexpected_list,
      [
        [2, null],
        [null, null],
      ],
    );
  });

  it("applies row_condition before counting", () => {
    const data = { x: [1, 2, 3, 4], y: [1, 0, 3, 0], keep: ["y", "y", "n", "n"] };
    const r = run(
      type,
      { column_A: "x", column_B: "y", row_condition: 'keep == "y"', condition_parser: "pandas" },
      data,
    );
    assert.equal(r.result.element_count, 2);
    assert.deepEqual(r.result.unexpected_list, [[2, 0]]);
    assert.deepEqual(r.result.unexpected_index_list, [1]);
  });

  it("returns only success and counts in BASIC, nothing in BOOLEAN_ONLY", () => {
    const data = { x: [1, 2], y: [1, 3] };
    const basic = run(type, { column_A: "x", column_B: "y" }, data, { result_format: "BASIC" });
    assert.deepEqual(basic.result.partial_unexpected_list, [[2, 3]]);
    assert.equal(basic.result.unexpected_list, undefined);
    const bool = run(type, { column_A: "x", column_B: "y" }, data, { result_format: "BOOLEAN_ONLY" });
    assert.deepEqual(bool.result, {});
    assert.equal(bool.success, false);
  });
});

describe("expect_column_pair_values_to_be_in_set", () => {
  const type = "expect_column_pair_values_to_be_in_set";

  it("matches pairs by value and type, with null standing for a missing value", () => {
    const r = run(
      type,
      {
        column_A: "a",
        column_B: "b",
        value_pairs_set: [
          [1, 1],
          [1, "x"],
          [2, null],
        ],
      },
      { a: [1, 1, 2, 1, 1.0], b: [1, "x", null, "1", 1] },
    );
    assert.deepEqual(r.result.unexpected_list, [[1, "1"]]);
    assert.deepEqual(r.result.unexpected_index_list, [3]);
  });

  it("gives unexpected_index_list entries with index columns and both values", () => {
    const r = run(
      type,
      { column_A: "a", column_B: "b", value_pairs_set: [[1, 1]] },
      { a: [1, 2], b: [1, 2], id: ["p", "q"] },
      { result_format: "COMPLETE", unexpected_index_column_names: ["id"] },
    );
    assert.deepEqual(r.result.unexpected_index_list, [{ id: "q", a: 2, b: 2 }]);
  });

  it("rejects a value_pairs_set that is not a list of pairs", () => {
    assert.throws(
      () =>
        compileExpectation({ type, kwargs: { column_A: "a", column_B: "b", value_pairs_set: [[1, 2, 3]] } }),
      ExpectationError,
    );
    assert.throws(
      () => compileExpectation({ type, kwargs: { column_A: "a", column_B: "b" } }),
      /value_pairs_set is required/,
    );
  });
});

describe("expect_compound_columns_to_be_unique", () => {
  const type = "expect_compound_columns_to_be_unique";
  const data = { a: [1, 1, 2, 1, null, null], b: [1, 2, 1, 1, null, 3], c: [0, 0, 0, 0, 0, 0] };

  it("flags every copy of a repeated combination, as {column: value} entries", () => {
    const r = run(type, { column_list: ["a", "b"] }, data);
    assert.equal(r.success, false);
    assert.deepEqual(r.result.unexpected_list, [
      { a: 1, b: 1 },
      { a: 1, b: 1 },
    ]);
    assert.deepEqual(r.result.unexpected_index_list, [0, 3]);
    assert.equal(r.result.missing_count, 1);
    // Lists of objects are not counted (GE: "requires a hashable type").
    assert.equal(r.result.partial_unexpected_counts, undefined);
  });

  it("treats missing values as equal to each other when rows are kept", () => {
    const r = run(type, { column_list: ["a", "c"], ignore_row_if: "never" }, data);
    assert.deepEqual(r.result.unexpected_index_list, [0, 1, 3, 4, 5]);
  });

  it("compares only the rows ignore_row_if keeps", () => {
    const data2 = { a: [1, 1, null], b: [null, null, null] };
    assert.deepEqual(run(type, { column_list: ["a", "b"] }, data2).result.unexpected_index_list, [0, 1]);
    const any = run(type, { column_list: ["a", "b"], ignore_row_if: "any_value_is_missing" }, data2);
    assert.deepEqual(any.result.unexpected_index_list, []);
    assert.equal(any.result.missing_count, 3);
  });

  it("compares only the rows row_condition keeps", () => {
    const r = run(
      type,
      { column_list: ["a", "b"], row_condition: "b != 2", condition_parser: "pandas" },
      { a: [1, 1, 1], b: [1, 2, 3] },
    );
    assert.equal(r.success, true);
    assert.equal(r.result.element_count, 2);
  });

  it("does not equate 1 with '1' or true", () => {
    const r = run(type, { column_list: ["a"] }, { a: [1, "1", true, 1.0] });
    assert.deepEqual(r.result.unexpected_index_list, [0, 3]);
  });

  it("has no per-event verdict", () => {
    assert.equal(compileExpectation({ type, kwargs: { column_list: ["a", "b"] } }).checkRow, null);
  });

  it("rejects an empty column_list or one with non-names", () => {
    assert.throws(() => compileExpectation({ type, kwargs: { column_list: [] } }), /at least one column/);
    assert.throws(() => compileExpectation({ type, kwargs: { column_list: ["a", 3] } }), /column names/);
  });
});

describe("expect_multicolumn_sum_to_equal", () => {
  const type = "expect_multicolumn_sum_to_equal";

  it("adds left to right in column_list order, as pandas does", () => {
    const data = { p: [0.1], q: [0.2], r: [0.3] };
    // (0.1 + 0.2) + 0.3 is 0.6000000000000001; (0.3 + 0.2) + 0.1 is 0.6.
    assert.equal(run(type, { column_list: ["p", "q", "r"], sum_total: 0.6 }, data).success, false);
    assert.equal(run(type, { column_list: ["r", "q", "p"], sum_total: 0.6 }, data).success, true);
  });

  it("fails a row with a missing value unless it is ignored", () => {
    const data = { a: [1, 2, null], b: [3, null, null] };
    const r = run(type, { column_list: ["a", "b"], sum_total: 4 }, data);
    assert.deepEqual(r.result.unexpected_list, [{ a: 2, b: null }]);
    assert.equal(r.result.missing_count, 1);
    const any = run(
      type,
      { column_list: ["a", "b"], sum_total: 4, ignore_row_if: "any_value_is_missing" },
      data,
    );
    assert.equal(any.success, true);
  });

  it("counts booleans as 1 and 0 and reports a string as an error", () => {
    assert.equal(run(type, { column_list: ["a", "b"], sum_total: 2 }, { a: [true], b: [1] }).success, true);
    const r = run(type, { column_list: ["a", "b"], sum_total: 2 }, { a: ["1"], b: [1] });
    assert.equal(r.exception_info.raised_exception, true);
    assert.match(r.exception_info.exception_message ?? "", /column "a"/);
  });

  it("requires a numeric sum_total", () => {
    assert.throws(
      () => compileExpectation({ type, kwargs: { column_list: ["a"] } }),
      /sum_total is required/,
    );
    assert.throws(
      () => compileExpectation({ type, kwargs: { column_list: ["a"], sum_total: "4" } }),
      ExpectationError,
    );
  });
});

describe("expect_select_column_values_to_be_unique_within_record", () => {
  const type = "expect_select_column_values_to_be_unique_within_record";

  it("flags rows where two of the columns hold the same value", () => {
    const data = { a: [1, 1, 1, null], b: [2, 1, "1", 5], c: [3, 4, 5, null] };
    const r = run(type, { column_list: ["a", "b", "c"] }, data);
    // Row 3: two missing values count as one (pandas' nunique(dropna=False)).
    assert.deepEqual(r.result.unexpected_index_list, [1, 3]);
    assert.deepEqual(r.result.unexpected_list, [
      { a: 1, b: 1, c: 4 },
      { a: null, b: 5, c: null },
    ]);
  });

  it("gives each event its own verdict (checkRow)", () => {
    const e = compileExpectation({ type, kwargs: { column_list: ["a", "b"] } });
    assert.equal(
      e.checkRow?.((c) => ({ a: 1, b: 2 })[c]),
      true,
    );
    assert.equal(
      e.checkRow?.((c) => ({ a: 2, b: 2 })[c]),
      false,
    );
    assert.equal(
      e.checkRow?.(() => undefined),
      null,
    );
  });
});

describe("multicolumn value semantics", () => {
  it("orders strings by code point (Python), not UTF-16 unit", () => {
    // U+1F600 is above U+FFFF in code points, below it in UTF-16 units.
    assert.ok(compareCodePoints("😀", "\uffff") > 0);
    assert.ok("😀" < "\uffff");
    assert.equal(compareCodePoints("ab", "ab"), 0);
    assert.ok(compareCodePoints("ab", "abc") < 0);
  });

  it("refuses to order values of different types", () => {
    assert.equal(compareOrdered(1, "1"), null);
    assert.equal(compareOrdered([1], [1]), null);
    assert.ok((compareOrdered(false, true) as number) < 0);
  });

  it("keys values by type and value", () => {
    assert.equal(valueKey(1), valueKey(1.0));
    assert.equal(valueKey(-0), valueKey(0));
    assert.notEqual(valueKey(1), valueKey("1"));
    assert.notEqual(valueKey(1), valueKey(true));
    assert.equal(valueKey({ a: 1, b: 2 }), valueKey({ b: 2, a: 1 }));
    assert.equal(valuesEqual(null, null), false);
  });

  it("sums like numpy's sequential add and propagates NaN", () => {
    assert.equal(rowSum([0.1, 0.2, 0.3]), 0.6000000000000001);
    assert.ok(Number.isNaN(rowSum([1, null])));
  });
});
