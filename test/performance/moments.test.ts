import assert from "node:assert/strict";
import fc from "fast-check";
import {
  addToSum,
  emptyHigherMoments,
  emptyMoments,
  emptySum,
  mergeHigherMoments,
  mergeMoments,
  mergeSums,
  momentsM2,
  momentsMean,
  momentsVariance,
  sumValue,
  updateHigherMoments,
  updateMoments,
} from "../../src/performance/moments.js";
import { assertClose } from "../support/stats.js";

/** The textbook two-pass moments. */
function reference(xs: readonly number[]) {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  for (const x of xs) {
    const d = x - mean;
    m2 += d * d;
    m3 += d * d * d;
    m4 += d * d * d * d;
  }
  return { mean, m2, m3, m4 };
}

const values = fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), { minLength: 1, maxLength: 100 });
const offset = fc.constantFrom(0, 1e6, -1e9);

describe("Moments", () => {
  it("keeps a constant input's M2 exactly 0, also after merging", () => {
    const a = emptyMoments();
    const b = emptyMoments();
    for (let i = 0; i < 7; i++) updateMoments(a, 0.1);
    for (let i = 0; i < 5; i++) updateMoments(b, 0.1);
    const m = mergeMoments(a, b);
    assert.equal(momentsM2(m), 0);
    assertClose(momentsMean(m), 0.1, 2 ** -52, 0, "mean");
  });

  it("does not let one huge value swallow the small ones in the mean", () => {
    // A plain running sum rounds 2^53 + 0.5 back to 2^53 every time and loses all 500.
    const m = emptyMoments();
    updateMoments(m, 2 ** 53);
    for (let i = 0; i < 1000; i++) updateMoments(m, 0.5);
    assert.equal(momentsMean(m), (2 ** 53 + 500) / 1001);
  });

  it("matches a two-pass mean and M2, with or without a large offset, and merges to one pass", () => {
    fc.assert(
      fc.property(values, values, offset, (a, b, k) => {
        const xa = a.map((x) => x + k);
        const xb = b.map((x) => x + k);
        const sa = emptyMoments();
        const sb = emptyMoments();
        const one = emptyMoments();
        for (const x of xa) updateMoments(sa, x);
        for (const x of xb) updateMoments(sb, x);
        for (const x of [...xa, ...xb]) updateMoments(one, x);
        const merged = mergeMoments(sa, sb);
        // The reference works on the unshifted values, which (x + k) − k recovers only to ulp(k);
        // its plain sum is itself accurate only to a few ulp of Σ|x|.
        const ref = reference([...a, ...b]);
        const n = a.length + b.length;
        const absSum = [...a, ...b].reduce((t, x) => t + Math.abs(x), 0);
        const scale = (4 * 2 ** -52 * (absSum + n * Math.max(1, Math.abs(k)))) / n;
        for (const s of [one, merged]) {
          assert.equal(s.n, n);
          assertClose(momentsMean(s), ref.mean + k, 1e-12, scale, "mean");
          assertClose(momentsM2(s), ref.m2, 1e-9, scale * Math.sqrt(ref.m2) * 4 * n, "M2");
        }
        assertClose(momentsVariance(merged), momentsVariance(one), 1e-12, 1e-300, "merged variance");
      }),
    );
  });

  it("leaves the other side unchanged when merging an empty state", () => {
    const s = emptyMoments();
    updateMoments(s, 3);
    updateMoments(s, 5);
    assert.deepEqual(mergeMoments(s, emptyMoments()), s);
    assert.deepEqual(mergeMoments(emptyMoments(), s), s);
  });
});

describe("HigherMoments", () => {
  it("matches two-pass third and fourth central moments, and merges to one pass", () => {
    fc.assert(
      fc.property(values, values, (a, b) => {
        const sa = emptyHigherMoments();
        const sb = emptyHigherMoments();
        const one = emptyHigherMoments();
        for (const x of a) updateHigherMoments(sa, x);
        for (const x of b) updateHigherMoments(sb, x);
        for (const x of [...a, ...b]) updateHigherMoments(one, x);
        const merged = mergeHigherMoments(sa, sb);
        const ref = reference([...a, ...b]);
        const n = a.length + b.length;
        const sd = Math.sqrt(ref.m2 / n);
        for (const s of [one, merged]) {
          // Odd moments cancel: compare them on the scale of n·sd³.
          assertClose(momentsM2(s), ref.m2, 1e-10, 1e-12 * n * sd ** 2 + 1e-300, "M2");
          assertClose(s.m3, ref.m3, 1e-9, 1e-10 * n * sd ** 3 + 1e-300, "M3");
          assertClose(s.m4, ref.m4, 1e-9, 1e-10 * n * sd ** 4 + 1e-300, "M4");
        }
      }),
    );
  });
});

describe("compensated sums", () => {
  it("add 1 + 1e-16 a million times without losing the small parts", () => {
    const s = emptySum();
    addToSum(s, 1);
    for (let i = 0; i < 1_000_000; i++) addToSum(s, 1e-16);
    assertClose(sumValue(s), 1 + 1e-10, 1e-15, 0, "sum");
    const t = emptySum();
    addToSum(t, 1e-10);
    assert.equal(sumValue(mergeSums(s, t)), sumValue(s) + 1e-10);
  });
});
