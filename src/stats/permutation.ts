import erfc from "@stdlib/math-base-special-erfc";
import erfcinv from "@stdlib/math-base-special-erfcinv";
import type { Random } from "./prng.js";
import type { ColumnSample, DriftTest, TestResult } from "./types.js";

/**
 * The upper-tail normal score of a p-value, Φ⁻¹(1 − p) (scipy `norm.isf(p)`): larger for smaller
 * p, about N(0, 1) when p is uniform. p is clipped to [5e-324, 1 − 2⁻⁵³] so that the score stays
 * finite (about −8.3 to 38.5).
 */
export function pValueScore(p: number): number {
  const clipped = Math.min(Math.max(p, Number.MIN_VALUE), 1 - 2 ** -53);
  return Math.SQRT2 * erfcinv(2 * clipped);
}

/** The p-value of an upper-tail normal score, 1 − Φ(z) (scipy `norm.sf(z)`): the inverse of {@link pValueScore}. */
export function scorePValue(z: number): number {
  return erfc(z / Math.SQRT2) / 2;
}

/**
 * The distribution of a drift test's outcome when nothing drifted, estimated from the reference
 * alone: `samples` times, `windowSize` of the reference's values, drawn at random without
 * replacement, are compared with the other values by the test. Each draw is one window as it would
 * look with no drift against a reference of the remaining size, ties and discreteness included, so
 * its quantiles are thresholds at a known false-alarm rate per window whatever the test, even
 * where the test's own p-value is conservative (ties) or absent (distances).
 *
 * Written by hand: no statistics package on npm draws permutation nulls of arbitrary two-sample
 * statistics. Each draw is a partial Fisher–Yates shuffle of `windowSize` steps over one index array
 * kept between draws (uniform from any starting order), then one pass over the sorted reference
 * splits it into two sorted sides, so a draw costs O(R) plus the test; a categorical reference is
 * expanded once into one category index per value.
 *
 * The reference side has R − W values instead of the monitor's R, so thresholds are slightly wider
 * than the exact null at the monitor's sizes (for KS the effective size W(R−W)/R against WR/(R+W)):
 * conservative, by at most a few per cent once R ≥ 4W.
 *
 * Returns `score` of each draw's result (for instance its p-value's {@link pValueScore}, or the
 * magnitude of its statistic), ascending; draws whose score is not finite are left out. Throws a
 * RangeError when the reference has fewer than 2·`windowSize` values or `windowSize` < 1.
 */
export function permutationNull(
  reference: ColumnSample,
  windowSize: number,
  test: DriftTest,
  samples: number,
  random: Random,
  score: (result: TestResult) => number,
): Float64Array {
  const R = sampleCount(reference);
  if (!(Number.isInteger(windowSize) && windowSize >= 1))
    throw new RangeError(`window size must be a positive integer (got ${windowSize})`);
  if (R < 2 * windowSize)
    throw new RangeError(`the reference has ${R} values, fewer than twice the window's ${windowSize}`);
  const out = new Float64Array(samples);
  let kept = 0;
  const order = new Int32Array(R);
  for (let i = 0; i < R; i++) order[i] = i;
  const draw = () => {
    for (let i = 0; i < windowSize; i++) {
      const j = i + Math.floor(random() * (R - i));
      const t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
  };
  const push = (result: TestResult) => {
    const value = score(result);
    if (Number.isFinite(value)) out[kept++] = value;
  };
  if (reference.kind === "numeric") {
    const sorted = reference.sorted;
    const chosen = new Uint8Array(R);
    const window = new Float64Array(windowSize);
    const rest = new Float64Array(R - windowSize);
    for (let s = 0; s < samples; s++) {
      draw();
      for (let i = 0; i < windowSize; i++) chosen[order[i]] = 1;
      let w = 0;
      let r = 0;
      for (let i = 0; i < R; i++) {
        if (chosen[i] === 1) {
          window[w++] = sorted[i];
          chosen[i] = 0;
        } else rest[r++] = sorted[i];
      }
      push(test.run({ kind: "numeric", sorted: rest }, { kind: "numeric", sorted: window }));
    }
  } else {
    const categories = [...reference.counts.keys()];
    const totals = categories.map((c) => reference.counts.get(c) as number);
    const codes = new Int32Array(R);
    let at = 0;
    for (let c = 0; c < categories.length; c++) {
      codes.fill(c, at, at + totals[c]);
      at += totals[c];
    }
    const inWindow = new Int32Array(categories.length);
    for (let s = 0; s < samples; s++) {
      draw();
      inWindow.fill(0);
      for (let i = 0; i < windowSize; i++) inWindow[codes[order[i]]]++;
      const window = new Map<string, number>();
      const rest = new Map<string, number>();
      for (let c = 0; c < categories.length; c++) {
        if (inWindow[c] > 0) window.set(categories[c], inWindow[c]);
        if (totals[c] - inWindow[c] > 0) rest.set(categories[c], totals[c] - inWindow[c]);
      }
      push(test.run({ kind: "categorical", counts: rest }, { kind: "categorical", counts: window }));
    }
  }
  return out.subarray(0, kept).sort();
}

function sampleCount(sample: ColumnSample): number {
  if (sample.kind === "numeric") return sample.sorted.length;
  let n = 0;
  for (const count of sample.counts.values()) n += count;
  return n;
}
