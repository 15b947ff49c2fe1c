import { strict as assert } from "node:assert";
import { decileCuts, quantileLinear, sharedBins, upperBound } from "../../src/stats/bins.js";
import { wasserstein } from "../../src/stats/distances.js";
import { ks2samp } from "../../src/stats/ks.js";
import { seededRandom } from "../../src/stats/prng.js";
import {
  binsFromViews,
  exactView,
  type KllState,
  kllEmpty,
  kllMerge,
  kllRankError,
  kllUpdate,
  kllView,
  ksFromViews,
  viewQuantile,
  viewRank,
  wassersteinFromViews,
} from "../../src/stats/sketch.js";

/** A sketch of `values`, in order. */
function sketchOf(values: ArrayLike<number>, k = 200, seed = 1): KllState {
  const s = kllEmpty(k, seed);
  for (let i = 0; i < values.length; i++) kllUpdate(s, values[i]);
  return s;
}

/** The largest |approximate − exact| count of values ≤ x over every input value, normalised by n. */
function worstRankError(state: KllState, values: ArrayLike<number>): number {
  const sorted = Float64Array.from(values).sort();
  const view = kllView(state);
  let worst = 0;
  let previous = Number.NaN;
  for (let i = 0; i < sorted.length; i++) {
    const x = sorted[i];
    if (x === previous) continue;
    previous = x;
    worst = Math.max(worst, Math.abs(viewRank(view, x) - upperBound(sorted, x)));
  }
  return worst / sorted.length;
}

const N = 200_000;
const random = seededRandom(11);
const inputs: Record<string, Float64Array> = {
  random: Float64Array.from({ length: N }, () => random() * 100 - 50),
  sorted: Float64Array.from({ length: N }, (_, i) => i),
  reversed: Float64Array.from({ length: N }, (_, i) => N - i),
  "many ties": Float64Array.from({ length: N }, () => Math.floor(random() * 7)),
  "heavy tail": Float64Array.from({ length: N }, () => 1 / (random() + 1e-9)),
};

describe("KLL sketch", () => {
  for (const [name, values] of Object.entries(inputs)) {
    it(`keeps every rank within its stated bound on ${name} input`, () => {
      const state = sketchOf(values);
      const bound = kllRankError(state);
      const error = worstRankError(state, values);
      assert.ok(bound > 0 && bound < 0.03, `bound ${bound}`);
      assert.ok(error <= bound, `error ${error} > bound ${bound}`);
      assert.equal(state.n, N);
    });
  }

  it("keeps the bound for the union when sketches of the parts are merged", () => {
    const values = inputs.random;
    const parts = [0, 1, 2, 3].map((p) => sketchOf(values.subarray((p * N) / 4, ((p + 1) * N) / 4)));
    const merged = parts.reduce((a, b) => kllMerge(a, b));
    assert.equal(merged.n, N);
    const bound = kllRankError(merged);
    assert.ok(worstRankError(merged, values) <= bound, "merged error within bound");
    const sorted = Float64Array.from(values).sort();
    assert.deepEqual([merged.min, merged.max], [sorted[0], sorted[N - 1]]);
    // The moments merge to those of one pass.
    const whole = sketchOf(values);
    assert.ok(Math.abs(merged.mean - whole.mean) < 1e-9);
    assert.ok(Math.abs(merged.m2 - whole.m2) / whole.m2 < 1e-9);
  });

  it("holds exactly every value until it first compacts (bound 0)", () => {
    const state = sketchOf([3, 1, 2]);
    assert.equal(kllRankError(state), 0);
    assert.deepEqual(Array.from(kllView(state).values), [1, 2, 3]);
  });

  it("resumes exactly from its JSON state", () => {
    const values = inputs.random;
    const half = N / 2;
    const original = sketchOf(values.subarray(0, half), 200, 5);
    const restored = JSON.parse(JSON.stringify(original)) as KllState;
    for (let i = half; i < N; i++) {
      kllUpdate(original, values[i]);
      kllUpdate(restored, values[i]);
    }
    assert.deepEqual(restored, original);
    assert.equal(JSON.stringify(restored), JSON.stringify(original));
  });

  it("is deterministic under its seed", () => {
    assert.deepEqual(sketchOf(inputs.random, 200, 3), sketchOf(inputs.random, 200, 3));
  });

  it("stays under 64 KiB of JSON at a million values, for any input order", () => {
    const r = seededRandom(2);
    for (const make of [(_i: number) => r() * 1e6, (i: number) => i, (i: number) => -i * 1e-3]) {
      const state = kllEmpty(200, 1);
      for (let i = 0; i < 1_000_000; i++) kllUpdate(state, make(i));
      const bytes = Buffer.byteLength(JSON.stringify(state));
      assert.ok(bytes <= 64 * 1024, `${bytes} bytes`);
    }
  });

  it("refuses to merge sketches of different k", () => {
    assert.throws(() => kllMerge(kllEmpty(200), kllEmpty(100)), RangeError);
  });
});

describe("statistics from CDF views", () => {
  const r = seededRandom(4);
  const a = Float64Array.from({ length: 20_000 }, () => r() + r() + r());
  const b = Float64Array.from({ length: 30_000 }, () => r() + r() + r() + 0.05);
  const sa = Float64Array.from(a).sort();
  const sb = Float64Array.from(b).sort();

  it("gives scipy's D, quantiles, bins and Wasserstein on exact views", () => {
    const va = exactView(sa);
    const vb = exactView(sb);
    assert.equal(ksFromViews(va, vb).statistic, ks2samp(sa, sb).statistic);
    for (const q of [0, 0.1, 0.37, 0.5, 0.9, 1]) assert.equal(viewQuantile(va, q), quantileLinear(sa, q));
    const bins = binsFromViews(va, vb);
    const exact = sharedBins({ kind: "numeric", sorted: sa }, { kind: "numeric", sorted: sb });
    assert.deepEqual(bins.cuts, decileCuts(sa));
    assert.deepEqual(bins.reference, exact.reference);
    assert.deepEqual(bins.current, exact.current);
    assert.ok(Math.abs(wassersteinFromViews(va, vb) - wasserstein(sa, sb)) < 1e-12);
  });

  it("keeps |D_sketch − D_exact| within the reported bound, with scipy's asymptotic p-value", () => {
    const va = kllView(sketchOf(a, 200, 1));
    const vb = kllView(sketchOf(b, 200, 2));
    const result = ksFromViews(va, vb);
    const exact = ks2samp(sa, sb);
    const bound = (result.details as { d_error_bound: number }).d_error_bound;
    assert.equal(bound, va.rankError + vb.rankError);
    assert.ok(Math.abs(result.statistic - exact.statistic) <= bound);
    assert.equal((result.details as { method: string }).method, "sketch");
    assert.ok(result.pValue !== null && result.pValue < 1e-10, "a clear shift stays significant");
  });

  it("gives D = 0 and p = 1 for identical sketches", () => {
    const v = kllView(sketchOf(a));
    const result = ksFromViews(v, v);
    assert.equal(result.statistic, 0);
    assert.equal(result.pValue, 1);
  });
});
