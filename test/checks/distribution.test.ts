import assert from "node:assert/strict";
import { compileExpectation } from "../../src/checks/engine.js";
import { entropy, histogram, parsePartition } from "../../src/checks/expectations/aggregate-partition.js";
import { ColumnTable } from "../../src/checks/table.js";
import { ExpectationError, type ExpectationResult } from "../../src/checks/types.js";
import { assertClose } from "../support/stats.js";

const TYPE = "expect_column_kl_divergence_to_be_less_than";

/** Runs the KL expectation over a single column `x`. */
function kl(x: readonly unknown[], kwargs: Record<string, unknown>): ExpectationResult {
  return compileExpectation({ type: TYPE, kwargs: { column: "x", ...kwargs } }).evaluate(
    ColumnTable.fromColumns({ x }),
  );
}

const load = (kwargs: Record<string, unknown>) => () =>
  compileExpectation({ type: TYPE, kwargs: { column: "x", ...kwargs } });

/** Asserts two lists of numbers agree element-wise within a relative tolerance. */
function assertAllClose(actual: unknown, expected: readonly number[], rtol: number, label: string): void {
  const xs = actual as number[];
  assert.equal(xs.length, expected.length, `${label}: length`);
  for (let i = 0; i < xs.length; i++) assertClose(xs[i], expected[i], rtol, 0, `${label}[${i}]`);
}

const details = (r: ExpectationResult) => r.result.details as Record<string, Record<string, unknown>>;

describe("expect_column_kl_divergence_to_be_less_than", () => {
  describe("building blocks", () => {
    it("entropy is scipy's relative entropy in nats, hand-computed", () => {
      const expected =
        0.5 * Math.log(0.5 / 0.54) + 0.25 * Math.log(0.25 / 0.36) + 0.25 * Math.log(0.25 / 0.1);
      assertClose(entropy([0.5, 0.25, 0.25], [0.54, 0.36, 0.1]), expected, 1e-14, 0, "kl");
      // GE's own expected value for this case (holdout_0_1).
      assertClose(entropy([0.5, 0.25, 0.25], [0.54, 0.36, 0.1]), 0.09943138400349738, 1e-14, 0, "ge");
      assert.equal(entropy([1, 1], [1, 1]), 0);
      assertClose(
        entropy([2, 2], [1, 3]),
        0.5 * Math.log(0.5 / 0.25) + 0.5 * Math.log(0.5 / 0.75),
        1e-14,
        0,
        "norm",
      );
      assert.equal(entropy([0.5, 0.5], [1, 0]), Number.POSITIVE_INFINITY);
      assert.ok(Number.isNaN(entropy([0, 0], [0.5, 0.5])));
    });

    it("histogram bins are half-open except the last, as numpy", () => {
      assert.deepEqual(histogram(Float64Array.of(0, 1, 1, 2, 3), [0, 1, 2]), [1, 3]);
      assert.deepEqual(histogram(Float64Array.of(-5, 0, 1, 9), [-Infinity, 0, 1, Infinity]), [1, 1, 2]);
      assert.deepEqual(histogram(Float64Array.of(-1, 4), [0, 1, 2]), [0, 0]);
    });

    it("validates partitions as GE does, saying what is wrong", () => {
      assert.throws(() => parsePartition({ values: ["a", "b"], weights: [0.5, 0.4] }), /sum to 0\.9/);
      assert.throws(() => parsePartition({ values: ["a"], weights: [0.5, 0.5] }), /1 values but 2 weights/);
      assert.throws(() => parsePartition({ bins: [0, 1, 1], weights: [0.5, 0.5] }), /increase strictly/);
      assert.throws(() => parsePartition({ bins: [0, 1], weights: [0.5, 0.5] }), /one more edge/);
      assert.throws(() => parsePartition({ bins: [0, 1], weights: [1], tail_weights: [0] }), /2 entries/);
      assert.throws(() => parsePartition({}), ExpectationError);
      const p = parsePartition({ bins: ["-Infinity", 0, "inf"], weights: [0.5, 0.5] });
      assert.deepEqual(p.kind === "continuous" && p.bins, [-Infinity, 0, Infinity]);
    });
  });

  describe("categorical partitions", () => {
    it("spreads the tail holdout over unseen values (GE's holdout_0_1)", () => {
      const r = kl(["a", "a", "b", "c"], {
        partition_object: { values: ["a", "b"], weights: [0.6, 0.4] },
        threshold: 0.1,
        tail_weight_holdout: 0.1,
      });
      assert.equal(r.success, true);
      assertClose(r.result.observed_value as number, 0.09943138400349738, 1e-14, 0, "kl");
      assert.deepEqual(details(r).observed_partition, {
        values: ["a", "b", "c"],
        weights: [0.5, 0.25, 0.25],
      });
      const expected = details(r).expected_partition;
      assert.deepEqual(expected.values, ["a", "b", "c"]);
      assertAllClose(expected.weights, [0.54, 0.36, 0.1], 1e-15, "q");
    });

    it("reports an infinite divergence as null, failing any threshold but none", () => {
      const partition_object = { values: ["a", "b"], weights: [0.5, 0.5] };
      const r = kl(["a", "b", "c", null], { partition_object, threshold: 10 });
      assert.equal(r.success, false);
      assert.equal(r.result.observed_value, null);
      assert.equal(kl(["a", "b", "c"], { partition_object, threshold: null }).success, true);
    });

    it("builds the partition from the data when none is given and bucketize_data is false", () => {
      const r = kl(["b", "a", "b", null], { partition_object: null, bucketize_data: false, threshold: 0 });
      assert.equal(r.success, true);
      assert.equal(r.result.observed_value, 0);
      assert.deepEqual(details(r).expected_partition.values, ["a", "b"]);
    });
  });

  describe("continuous partitions", () => {
    const z = [-0.5, 0.5, 0.5, 1.5, 1.5, 1.5, 1.5, 2.5, 2.5, 3.5, null];

    it("compares bins and tails, hand-computed", () => {
      const r = kl(z, {
        partition_object: { bins: [0, 1, 2, 3], weights: [0.3, 0.3, 0.3], tail_weights: [0.05, 0.05] },
        threshold: 1,
      });
      // observed: 0.1 below, 0.2 / 0.4 / 0.2 inside, 0.1 above.
      const expected =
        2 * 0.1 * Math.log(0.1 / 0.05) + 2 * 0.2 * Math.log(0.2 / 0.3) + 0.4 * Math.log(0.4 / 0.3);
      assertClose(r.result.observed_value as number, expected, 1e-14, 0, "kl");
      assert.equal(r.success, true);
      const observed = details(r).observed_partition;
      assert.deepEqual(observed.bins, [0, 1, 2, 3]);
      assert.deepEqual(observed.weights, [0.2, 0.4, 0.2]);
      assert.deepEqual(observed.tail_weights, [0.1, 0.1]);
    });

    it("spreads the internal holdout over empty bins", () => {
      const r = kl([0.5, 1.5, 2.5], {
        partition_object: { bins: [0, 1, 2, 3], weights: [0.5, 0, 0.5] },
        threshold: 1,
        internal_weight_holdout: 0.1,
      });
      const third = 1 / 3;
      const expected = 2 * third * Math.log(third / 0.45) + third * Math.log(third / 0.1);
      assertClose(r.result.observed_value as number, expected, 1e-14, 0, "kl");
      assertAllClose(details(r).expected_partition.weights, [0.45, 0.1, 0.45], 1e-15, "q");
    });

    it("moves an infinite end into the tail weights (edges given as text)", () => {
      const r = kl(z, {
        partition_object: { bins: ["-Infinity", 0, 1, 2, 3, "Infinity"], weights: [0.1, 0.2, 0.4, 0.2, 0.1] },
        threshold: 0,
      });
      assert.equal(r.success, true);
      assert.equal(r.result.observed_value, 0);
      assert.deepEqual(details(r).expected_partition, {
        bins: [0, 1, 2, 3],
        weights: [0.2, 0.4, 0.2],
        tail_weights: [0.1, 0.1],
      });
    });

    it("builds GE's auto partition when none is given", () => {
      const x = Array.from({ length: 100 }, (_, i) => i + 1);
      const r = kl(x, { partition_object: null, threshold: 1e-12 });
      // numpy "auto": max(Sturges ceil(log2 101) = 7, FD ceil(99 / (2·49 / 100^(1/3))) = 5) = 7 bins.
      const partition = details(r).expected_partition;
      const bins = partition.bins as number[];
      assert.equal(bins.length, 8);
      assert.equal(bins[0], 1);
      assert.equal(bins[7], 100);
      assertClose(bins[1], 1 + 99 / 7, 1e-15, 0, "edge");
      assertAllClose(partition.weights, [0.15, 0.14, 0.14, 0.14, 0.14, 0.14, 0.15], 1e-12, "w");
      assert.equal(r.success, true);
      assertClose(r.result.observed_value as number, 0, 0, 1e-12, "kl");
    });

    it("errors on text values in a continuous partition", () => {
      const r = kl(["a"], { partition_object: { bins: [0, 1], weights: [1] }, threshold: 1 });
      assert.equal(r.exception_info.raised_exception, true);
    });
  });

  describe("argument checks at load", () => {
    const bins = { bins: [0, 1, 2], weights: [0.5, 0.5] };

    it("rejects holdouts the partition cannot take", () => {
      assert.throws(
        load({ partition_object: { values: ["a"], weights: [1] }, internal_weight_holdout: 0.1 }),
        /categorical/,
      );
      assert.throws(
        load({ partition_object: { ...bins, tail_weights: [0, 0] }, tail_weight_holdout: 0.1 }),
        /tail_weights/,
      );
      assert.throws(
        load({
          partition_object: { bins: [-Infinity, 0, Infinity], weights: [0.5, 0.5] },
          tail_weight_holdout: 0.1,
        }),
        /infinite/,
      );
      assert.throws(
        load({ partition_object: { bins: [-Infinity, 0, 1], weights: [0.5, 0.5], tail_weights: [0, 0] } }),
        /infinite end/,
      );
      assert.throws(load({ partition_object: bins, bucketize_data: false }), /bucketize_data/);
    });

    it("rejects holdouts outside [0, 1] and a negative threshold", () => {
      assert.throws(load({ partition_object: bins, tail_weight_holdout: 2 }), ExpectationError);
      assert.throws(load({ partition_object: bins, internal_weight_holdout: -0.1 }), ExpectationError);
      assert.throws(load({ partition_object: bins, threshold: -1 }), ExpectationError);
    });
  });
});
