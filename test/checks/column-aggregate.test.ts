import assert from "node:assert/strict";
import fc from "fast-check";
import { sampleStandardDeviation } from "simple-statistics";
import { compileExpectation } from "../../src/checks/engine.js";
import {
  isoMillis,
  pandasMean,
  pandasMedian,
  pandasQuantile,
  pandasStd,
  pandasSum,
  valueCounts,
} from "../../src/checks/expectations/aggregate-values.js";
import { ColumnTable } from "../../src/checks/table.js";
import { ExpectationError, type ExpectationResult } from "../../src/checks/types.js";
import { quantileLinear } from "../../src/stats/bins.js";
import { assertClose } from "../support/stats.js";

/** Runs one expectation over a single column `x`. */
function run(type: string, x: readonly unknown[], kwargs: Record<string, unknown> = {}): ExpectationResult {
  return compileExpectation({ type, kwargs: { column: "x", ...kwargs } }).evaluate(
    ColumnTable.fromColumns({ x }),
  );
}

const observed = (r: ExpectationResult) => r.result.observed_value;

describe("column aggregate expectations", () => {
  describe("pandas arithmetic", () => {
    it("stdev is the sample (ddof = 1) standard deviation, as hand-computed", () => {
      // mean 5, squared deviations sum to 32, 32 / 7.
      assertClose(pandasStd([2, 4, 4, 4, 5, 5, 7, 9]), Math.sqrt(32 / 7), 1e-15, 0, "std");
      assert.equal(pandasStd([1, 1, 3]), 1.1547005383792517);
      assert.equal(pandasStd([1, null, 1, 3]), 1.1547005383792517, "nulls are ignored");
      assert.ok(Number.isNaN(pandasStd([4])), "one value has no sample stdev");
    });

    it("stdev agrees with simple-statistics on random samples", () => {
      fc.assert(
        fc.property(
          fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 2, maxLength: 300 }),
          (xs) => {
            const expected = sampleStandardDeviation(xs);
            assertClose(pandasStd(xs), expected, 1e-9, 1e-9, "std");
          },
        ),
      );
    });

    it("mean, sum and median skip nulls and read booleans as 0 / 1", () => {
      assert.equal(pandasMean([true, null, false, null]), 0.5);
      assert.equal(pandasMean([0.1, 0.2, 0.3]), 0.20000000000000004, "np.mean([0.1, 0.2, 0.3])");
      assert.equal(pandasSum([1, null, 2.5]), 3.5);
      assert.equal(pandasSum([null, null]), 0, "pandas sums no values to 0");
      assert.equal(pandasMedian([5, 7, 6, null]), 6);
      assert.equal(pandasMedian([1, 2, 3, 4]), 2.5);
      assert.throws(() => pandasMean(["s", null]), ExpectationError);
    });

    it("nearest quantiles round the virtual index half to even, as numpy", () => {
      const sorted = Float64Array.of(10, 20, 30, 40);
      // h = 3q: 0.75 → 1, 1.5 → 2 (even), 2.25 → 2.
      assert.equal(pandasQuantile(sorted, 0.25, "nearest"), 20);
      assert.equal(pandasQuantile(sorted, 0.5, "nearest"), 30);
      assert.equal(pandasQuantile(sorted, 0.75, "nearest"), 30);
      assert.equal(
        pandasQuantile(Float64Array.of(10, 20, 30, 40, 50, 60), 0.5, "nearest"),
        30,
        "h = 2.5 → 2",
      );
      assert.equal(pandasQuantile(sorted, 0.5, "lower"), 20);
      assert.equal(pandasQuantile(sorted, 0.5, "higher"), 30);
      assert.equal(pandasQuantile(sorted, 0.5, "midpoint"), 25);
      assert.ok(Number.isNaN(pandasQuantile(new Float64Array(0), 0.5, "nearest")));
    });

    it("linear quantiles match numpy's default method", () => {
      fc.assert(
        fc.property(
          fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), { minLength: 1, maxLength: 50 }),
          fc.double({ min: 0, max: 1, noNaN: true }),
          (xs, q) => {
            const sorted = Float64Array.from(xs).sort();
            // == rather than Object.is: -0 and 0 are the same quantile.
            assert.ok(pandasQuantile(sorted, q, "linear") === quantileLinear(sorted, (q * 100) / 100));
          },
        ),
      );
    });

    it("reads ISO date-times as instants, naive ones as UTC", () => {
      assert.equal(isoMillis("1970-01-02"), 86_400_000);
      assert.equal(isoMillis("1970-01-01T01:00:00"), 3_600_000);
      assert.equal(isoMillis("1970-01-01 02:00:00+01:00"), 3_600_000);
      assert.equal(isoMillis("1970-01-01T00:00:00.250Z"), 250);
      assert.equal(isoMillis("2019-02-30"), null, "impossible date");
      assert.equal(isoMillis("hello"), null);
    });

    it("value counts hash 1 and 1.0 together and keep booleans apart", () => {
      assert.deepEqual(valueCounts([2, 1.0, 1, true, null, "a"]), [
        { value: true, count: 1 },
        { value: 1, count: 2 },
        { value: 2, count: 1 },
        { value: "a", count: 1 },
      ]);
    });
  });

  describe("between bounds", () => {
    it("stdev expectation reports the sample stdev and the missing count", () => {
      const r = run("expect_column_stdev_to_be_between", [-1, 1, null], { min_value: 1, max_value: 1.5 });
      assert.equal(r.success, true);
      assert.equal(observed(r), Math.SQRT2);
      assert.equal(r.result.element_count, 3);
      assert.equal(r.result.missing_count, 1);
    });

    it("honours strict_min and strict_max", () => {
      const x = [1, 5, 3];
      assert.equal(run("expect_column_max_to_be_between", x, { max_value: 5 }).success, true);
      assert.equal(
        run("expect_column_max_to_be_between", x, { max_value: 5, strict_max: true }).success,
        false,
      );
      assert.equal(
        run("expect_column_min_to_be_between", x, { min_value: 1, strict_min: true }).success,
        false,
      );
      assert.equal(
        run("expect_column_min_to_be_between", x, { min_value: 0, strict_min: true }).success,
        true,
      );
    });

    it("passes vacuously with no bounds, fails with observed null on an all-null column", () => {
      assert.equal(run("expect_column_mean_to_be_between", [1, 2]).success, true);
      for (const type of [
        "expect_column_mean_to_be_between",
        "expect_column_median_to_be_between",
        "expect_column_max_to_be_between",
        "expect_column_stdev_to_be_between",
      ]) {
        const r = run(type, [null, null], { min_value: 0 });
        assert.equal(r.success, false, type);
        assert.equal(observed(r), null, type);
      }
      assert.equal(observed(run("expect_column_sum_to_be_between", [null], { max_value: 0 })), 0);
    });

    it("rejects min_value above max_value and string bounds on arithmetic aggregates when loading", () => {
      assert.throws(
        () =>
          compileExpectation({
            type: "expect_column_mean_to_be_between",
            kwargs: { column: "x", min_value: 2, max_value: 1 },
          }),
        /greater than max_value/,
      );
      assert.throws(
        () =>
          compileExpectation({
            type: "expect_column_mean_to_be_between",
            kwargs: { column: "x", min_value: "s" },
          }),
        ExpectationError,
      );
      assert.throws(
        () =>
          compileExpectation({
            type: "expect_column_max_to_be_between",
            kwargs: { column: "x", min_value: "2020-02-01", max_value: "2020-01-01" },
          }),
        /greater than max_value/,
      );
    });

    it("errors on a non-numeric column for the mean", () => {
      const r = run("expect_column_mean_to_be_between", ["s", null], { min_value: 0 });
      assert.equal(r.exception_info.raised_exception, true);
      assert.match(r.exception_info.exception_message ?? "", /numeric/);
    });
  });

  describe("date-time min and max", () => {
    const ts = ["2019-01-01T00:00:00", "2019-06-01 12:00:00", null, "2018-12-31T23:59:59"];

    it("orders ISO texts as instants and reports the text itself", () => {
      const max = run("expect_column_max_to_be_between", ts, { min_value: "2019-06-01T12:00:00" });
      assert.equal(max.success, true);
      assert.equal(observed(max), "2019-06-01 12:00:00");
      const min = run("expect_column_min_to_be_between", ts, { max_value: "2018-12-31T23:59:58" });
      assert.equal(min.success, false);
      assert.equal(observed(min), "2018-12-31T23:59:59");
    });

    it("compares offsets by instant, not by text", () => {
      // 10:00+02:00 is 08:00 UTC, earlier than 09:00Z although it sorts later as text.
      const x = ["2019-01-01T10:00:00+02:00", "2019-01-01T09:00:00Z"];
      assert.equal(observed(run("expect_column_max_to_be_between", x, { min_value: "2019-01-01" })), x[1]);
    });

    it("errors when a date-time column meets a number or a non-date bound", () => {
      assert.equal(
        run("expect_column_max_to_be_between", ts, { min_value: 5 }).exception_info.raised_exception,
        true,
      );
      assert.equal(
        run("expect_column_max_to_be_between", ts, { min_value: "soon" }).exception_info.raised_exception,
        true,
      );
      assert.equal(
        run("expect_column_max_to_be_between", [1, 2], { min_value: "2019-01-01" }).exception_info
          .raised_exception,
        true,
      );
    });

    it("orders plain texts by code unit", () => {
      const r = run("expect_column_max_to_be_between", ["apple", "pear", "banana"], {
        min_value: "p",
        max_value: "q",
      });
      assert.equal(r.success, true);
      assert.equal(observed(r), "pear");
    });

    it("errors on a column mixing numbers and texts", () => {
      const r = run("expect_column_min_to_be_between", [1, "a"], { min_value: 0 });
      assert.equal(r.exception_info.raised_exception, true);
    });
  });

  describe("sets, modes and uniqueness", () => {
    it("distinct values report sorted values and their counts", () => {
      const r = run("expect_column_distinct_values_to_equal_set", [3, 1, 3.0, null], { value_set: [1, 3] });
      assert.equal(r.success, true);
      assert.deepEqual(observed(r), [1, 3]);
      assert.deepEqual(r.result.details, {
        value_counts: [
          { value: 1, count: 1 },
          { value: 3, count: 2 },
        ],
      });
      assert.equal(
        run("expect_column_distinct_values_to_contain_set", [1, 2], { value_set: [1, 2, 3] }).success,
        false,
      );
      assert.equal(
        run("expect_column_distinct_values_to_be_in_set", [1, 2], { value_set: [] }).success,
        true,
      );
    });

    it("the most common value fails on ties unless ties_okay", () => {
      const x = ["b", "a", "a", "b", "c"];
      const strict = run("expect_column_most_common_value_to_be_in_set", x, { value_set: ["a"] });
      assert.equal(strict.success, false);
      assert.deepEqual(observed(strict), ["a", "b"]);
      assert.equal(
        run("expect_column_most_common_value_to_be_in_set", x, { value_set: ["a"], ties_okay: true }).success,
        true,
      );
    });

    it("unique proportion divides by present values and is 0 for none", () => {
      assert.equal(
        observed(run("expect_column_proportion_of_unique_values_to_be_between", [1, 1, 2, null])),
        2 / 3,
      );
      assert.equal(observed(run("expect_column_proportion_of_unique_values_to_be_between", [null, null])), 0);
      assert.equal(observed(run("expect_column_unique_value_count_to_be_between", [1, 1, 2, null])), 2);
    });
  });

  describe("quantiles", () => {
    const x = [40, null, 10, 30, 20];

    it("reports nearest-rank quantiles and per-quantile verdicts", () => {
      const r = run("expect_column_quantile_values_to_be_between", x, {
        quantile_ranges: {
          quantiles: [0, 0.5, 1],
          value_ranges: [
            [null, 10],
            [25, 29.999],
            [40, null],
          ],
        },
      });
      assert.deepEqual(observed(r), { quantiles: [0, 0.5, 1], values: [10, 30, 40] });
      // 30 is within a relative 1e-4 of 29.999, which GE accepts.
      assert.deepEqual(r.result.details, { success_details: [true, true, true] });
      assert.equal(r.success, true);
    });

    it("takes an interpolation through allow_relative_error", () => {
      const r = run("expect_column_quantile_values_to_be_between", x, {
        quantile_ranges: { quantiles: [0.5], value_ranges: [[0, 1]] },
        allow_relative_error: "linear",
      });
      assert.deepEqual(observed(r), { quantiles: [0.5], values: [25] });
      assert.equal(r.success, false);
    });

    it("rejects disordered ranges, mismatched lengths and allow_relative_error true", () => {
      const load = (kwargs: Record<string, unknown>) => () =>
        compileExpectation({
          type: "expect_column_quantile_values_to_be_between",
          kwargs: { column: "x", ...kwargs },
        });
      assert.throws(load({ quantile_ranges: { quantiles: [0.5], value_ranges: [[2, 1]] } }), /ordered pairs/);
      assert.throws(
        load({ quantile_ranges: { quantiles: [0.5, 0.6], value_ranges: [[1, 2]] } }),
        ExpectationError,
      );
      assert.throws(
        load({ quantile_ranges: { quantiles: [1.5], value_ranges: [[1, 2]] } }),
        ExpectationError,
      );
      assert.throws(
        load({ quantile_ranges: { quantiles: [0.5], value_ranges: [[1, 2]] }, allow_relative_error: true }),
        ExpectationError,
      );
    });
  });
});
