import { strict as assert } from "node:assert";
import { compileExpectation } from "../../src/checks/engine.js";
import { matchColumnSet, orderedMismatches } from "../../src/checks/expectations/table.js";
import { ColumnTable } from "../../src/checks/table.js";
import { ExpectationError, type ExpectationResult } from "../../src/checks/types.js";

const TABLE = ColumnTable.fromColumns({
  c1: [4, 5, 6, 7],
  c2: ["a", "b", "c", "d"],
  c3: [null, null, null, null],
});

/** Runs one table expectation over `table` (default: TABLE). */
function run(type: string, kwargs: Record<string, unknown>, table: ColumnTable = TABLE): ExpectationResult {
  return compileExpectation({ type, kwargs }).evaluate(table);
}

/** Loading the expectation fails with an ExpectationError whose message matches. */
function rejects(type: string, kwargs: Record<string, unknown>, message: RegExp): void {
  assert.throws(
    () => compileExpectation({ type, kwargs }),
    (e: unknown) => e instanceof ExpectationError && message.test(e.message),
  );
}

describe("expect_column_to_exist", () => {
  const type = "expect_column_to_exist";

  it("finds a column by name anywhere", () => {
    assert.equal(run(type, { column: "c2" }).success, true);
    assert.equal(run(type, { column: "covfefe" }).success, false);
    assert.deepEqual(run(type, { column: "c2" }).result.observed_value, ["c1", "c2", "c3"]);
  });

  it("checks the position with column_index (from 0; negative from the end)", () => {
    assert.equal(run(type, { column: "c2", column_index: 1 }).success, true);
    assert.equal(run(type, { column: "c2", column_index: 2 }).success, false);
    assert.equal(run(type, { column: "c1", column_index: 0 }).success, true);
    assert.equal(run(type, { column: "c2", column_index: 0 }).success, false);
    assert.equal(run(type, { column: "c3", column_index: 4 }).success, false);
    assert.equal(run(type, { column: "c3", column_index: -1 }).success, true);
  });

  it("does not see columns that are readable but not part of the table", () => {
    const table = new ColumnTable(1, { a: [1], pk_index: [0] }, ["a"]);
    assert.equal(run(type, { column: "pk_index" }, table).success, false);
  });

  it("requires a column name and an integer index", () => {
    rejects(type, {}, /column is required/);
    rejects(type, { column: "c1", column_index: 1.5 }, /column_index must be integer/);
  });
});

describe("expect_table_column_count_to_be_between / _to_equal", () => {
  it("compares the number of columns with inclusive bounds", () => {
    const type = "expect_table_column_count_to_be_between";
    assert.deepEqual(
      [
        run(type, { min_value: 3, max_value: 3 }),
        run(type, { min_value: 4 }),
        run(type, { max_value: 2 }),
        run(type, { min_value: null, max_value: 3 }),
        run(type, {}),
      ].map((r) => [r.success, r.result.observed_value]),
      [
        [true, 3],
        [false, 3],
        [false, 3],
        [true, 3],
        [true, 3],
      ],
    );
  });

  it("rejects min_value > max_value and non-integer bounds", () => {
    const type = "expect_table_column_count_to_be_between";
    rejects(type, { min_value: 1, max_value: 0 }, /min_value cannot be greater than max_value/);
    rejects(type, { min_value: "quack", max_value: 0 }, /min_value must be integer/);
    rejects(type, { max_value: 2.5 }, /max_value must be integer/);
  });

  it("compares the column count with value", () => {
    const type = "expect_table_column_count_to_equal";
    assert.equal(run(type, { value: 3 }).success, true);
    assert.equal(run(type, { value: 4 }).success, false);
    assert.equal(run(type, { value: 4 }).result.observed_value, 3);
    rejects(type, { value: "hello" }, /value must be integer/);
    rejects(type, {}, /value is required/);
  });

  it("rejects a non-integer value when the expectation is loaded", () => {
    rejects("expect_table_column_count_to_equal", { value: 1.5 }, /value must be integer/);
  });
});

describe("expect_table_columns_to_match_ordered_list", () => {
  const type = "expect_table_columns_to_match_ordered_list";

  it("passes on the same names in the same order", () => {
    const r = run(type, { column_list: ["c1", "c2", "c3"] });
    assert.equal(r.success, true);
    assert.deepEqual(r.result.observed_value, ["c1", "c2", "c3"]);
    assert.equal(r.result.details, undefined);
  });

  it("lists each mismatched position, null past the shorter list", () => {
    const r = run(type, { column_list: ["c1", "c3", "c2", "c4"] });
    assert.equal(r.success, false);
    assert.deepEqual(r.result.details, {
      mismatched: [
        { "Expected Column Position": 1, Expected: "c3", Found: "c2" },
        { "Expected Column Position": 2, Expected: "c2", Found: "c3" },
        { "Expected Column Position": 3, Expected: "c4", Found: null },
      ],
    });
    assert.deepEqual(orderedMismatches(["a"], ["a", "b"]), [
      { "Expected Column Position": 1, Expected: null, Found: "b" },
    ]);
  });

  it("passes vacuously on a null list and rejects non-string names", () => {
    assert.equal(run(type, { column_list: null }).success, true);
    rejects(type, { column_list: ["c1", 2] }, /column_list entries must be column names/);
  });
});

describe("expect_table_columns_to_match_set", () => {
  const type = "expect_table_columns_to_match_set";

  it("passes on the same set in any order, observed value in table order, no details", () => {
    const r = run(type, { column_set: ["c3", "c1", "c2"], exact_match: true });
    assert.equal(r.success, true);
    assert.deepEqual(r.result.observed_value, ["c1", "c2", "c3"]);
    assert.equal(r.result.details, undefined);
  });

  it("lists unexpected and missing columns, sorted", () => {
    const r = run(type, { column_set: ["b1", "c2", "c3", "a0"], exact_match: true });
    assert.equal(r.success, false);
    assert.deepEqual(r.result.details, { mismatched: { unexpected: ["c1"], missing: ["a0", "b1"] } });
  });

  it("allows extra columns without exact_match, never missing ones", () => {
    assert.equal(run(type, { column_set: ["c1", "c2"], exact_match: false }).success, true);
    assert.deepEqual(run(type, { column_set: ["c1", "c2"], exact_match: false }).result.details, {
      mismatched: { unexpected: ["c3"] },
    });
    assert.equal(run(type, { column_set: ["c1", "c4"], exact_match: false }).success, false);
  });

  it("reads an absent or null exact_match as false, as GE 1.2.0 does", () => {
    assert.equal(run(type, { column_set: ["c1"] }).success, true);
    assert.equal(run(type, { column_set: ["c1"], exact_match: null }).success, true);
  });

  it("treats a null column_set as the empty set", () => {
    assert.equal(run(type, { column_set: null, exact_match: true }).success, false);
    assert.equal(run(type, { column_set: null, exact_match: false }).success, true);
  });

  it("sorts the observed value by code point on a mismatch", () => {
    const outcome = matchColumnSet(["b", "a", "😀", "\uffff"], new Set(["a"]), true);
    assert.deepEqual(outcome.observed_value, ["a", "b", "\uffff", "😀"]);
  });
});

describe("expect_table_row_count_to_be_between / _to_equal", () => {
  it("compares the row count with inclusive bounds", () => {
    const type = "expect_table_row_count_to_be_between";
    assert.equal(run(type, { min_value: 4, max_value: 4 }).success, true);
    assert.equal(run(type, { min_value: 5 }).success, false);
    assert.equal(run(type, { max_value: 3 }).result.observed_value, 4);
    assert.equal(run(type, {}).success, true);
    rejects(type, { min_value: 1, max_value: 0 }, /min_value cannot be greater than max_value/);
    rejects(type, { max_value: "quack" }, /max_value must be integer/);
  });

  it("compares the row count with value", () => {
    const type = "expect_table_row_count_to_equal";
    assert.equal(run(type, { value: 4 }).success, true);
    assert.equal(run(type, { value: 5 }).success, false);
    rejects(type, { value: "hello" }, /value must be integer/);
    rejects(type, { value: -1 }, /value must be between 0/);
  });

  it("counts only the rows row_condition keeps", () => {
    const between = run("expect_table_row_count_to_be_between", {
      max_value: 2,
      row_condition: 'c1 > 4 & c2 != "d"',
      condition_parser: "pandas",
    });
    assert.deepEqual([between.success, between.result.observed_value], [true, 2]);
    const equal = run("expect_table_row_count_to_equal", {
      value: 1,
      row_condition: 'col("c2") == "a"',
      condition_parser: "great_expectations",
    });
    assert.deepEqual([equal.success, equal.result.observed_value], [true, 1]);
  });

  it("reports a row_condition on an unknown column in exception_info", () => {
    const r = run("expect_table_row_count_to_equal", { value: 1, row_condition: "nope > 1" });
    assert.equal(r.exception_info.raised_exception, true);
    assert.match(r.exception_info.exception_message ?? "", /nope/);
  });

  it("counts the events of a stream window, whose columns come from the events", () => {
    const window = ColumnTable.fromRows([{ a: 1 }, { a: 2, b: "x" }, { b: "y" }]);
    assert.equal(run("expect_table_row_count_to_equal", { value: 3 }, window).success, true);
    assert.deepEqual(
      run("expect_table_columns_to_match_ordered_list", { column_list: ["a", "b"] }, window).success,
      true,
    );
    assert.equal(
      run("expect_table_row_count_to_equal", { value: 1, row_condition: "b.isnull()" }, window).success,
      true,
    );
  });
});
