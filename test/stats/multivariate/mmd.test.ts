import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Ajv } from "ajv";
import {
  gaussianKernel,
  MEDIAN_BANDWIDTH_FALLBACK,
  type MmdOptions,
  medianBandwidth,
  mmd2Unbiased,
  mmdTest,
  squaredDistances,
} from "../../../src/stats/multivariate/mmd.js";
import type { Rows, RunContext } from "../../../src/stats/multivariate/types.js";
import { seededRandom } from "../../../src/stats/prng.js";

/**
 * Reference values come from test/fixtures/mmd/mmd.py: alibi-detect 0.13.0's MMDDrift (PyTorch
 * backend) mirrored line by line in numpy, since no torch wheel could be installed (see the
 * script's docstring).
 *
 * Tolerances: sigma, distances, kernel entries and the statistic agree to 1e-12 relative, plus
 * the round-off of alibi's distance formula ‖x‖² + ‖y‖² − 2x·y, about 1e-15 · (‖x‖² + ‖y‖²)
 * absolute in squared-distance units; it only matters for the case far from the origin, where
 * alibi's distances keep about 11 significant digits. p-values come from different random
 * streams (numpy's and `seededRandom`), so they agree within a binomial 4-sigma band.
 */
const REL_TOL = 1e-12;
const ALIBI_ROUND_OFF = 1e-15;

interface MmdCase {
  readonly name: string;
  readonly note: string;
  readonly bandwidth: number | null;
  readonly x_ref: readonly (readonly number[])[];
  readonly x: readonly (readonly number[])[];
  readonly sigma: number;
  readonly mmd2: number;
  readonly p_value: number;
  readonly n_permutations: number;
  readonly mmd2_permuted_mean: number;
  readonly sigma_median_ref_cur: number;
  readonly checks: readonly { i: number; j: number; sq_distance: number; kernel: number }[];
}

interface Fixture {
  readonly alibi_detect: string;
  readonly cases: readonly MmdCase[];
}

const fixture: Fixture = JSON.parse(
  readFileSync(new URL("../../fixtures/mmd/mmd.json", import.meta.url), "utf8"),
) as Fixture;

function rows(values: readonly (readonly number[])[]): Rows {
  return { n: values.length, dim: values[0].length, data: Float64Array.from(values.flat()) };
}

/** Absolute round-off of alibi's squared distances between rows of these samples. */
function distanceRoundOff(...samples: Rows[]): number {
  let max = 0;
  for (const s of samples) {
    for (let i = 0; i < s.n; i++) {
      let q = 0;
      for (let k = 0; k < s.dim; k++) q += s.data[i * s.dim + k] ** 2;
      max = Math.max(max, q);
    }
  }
  return ALIBI_ROUND_OFF * 2 * max;
}

function assertClose(actual: number, expected: number, absolute: number, what: string): void {
  const tolerance = REL_TOL * Math.abs(expected) + absolute;
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${what}: got ${actual}, alibi gives ${expected} (difference ${Math.abs(actual - expected)}, tolerance ${tolerance})`,
  );
}

/** Whether two Monte-Carlo p-values from n1 and n2 permutations agree within 4 binomial sigmas. */
function assertSameP(p1: number, n1: number, p2: number, n2: number, what: string): void {
  const pooled = (p1 * n1 + p2 * n2) / (n1 + n2);
  const band = 4 * Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2)) + 1 / Math.min(n1, n2);
  assert.ok(
    Math.abs(p1 - p2) <= band,
    `${what}: p ${p1} (${n1} permutations) vs alibi ${p2} (${n2}), band ${band}`,
  );
}

function context(seed = 1, alpha = 0.05): RunContext {
  return { alpha, seed, names: [] };
}

function optionsOf(c: MmdCase, permutations: number): MmdOptions {
  return mmdTest.options(c.bandwidth === null ? { permutations } : { permutations, bandwidth: c.bandwidth });
}

/** The joint kernel matrix of [x; y] from the exported building blocks. */
function jointKernel(x: Rows, y: Rows, sigma: number): Float64Array {
  const joint: Rows = { n: x.n + y.n, dim: x.dim, data: Float64Array.of(...x.data, ...y.data) };
  return gaussianKernel(squaredDistances(joint, joint), sigma);
}

/** Seeded Gaussian rows (Box–Muller), the first `shifted` coordinates moved by `shift`. */
function gaussianRows(seed: number, n: number, dim: number, shift = 0, shifted = dim): Rows {
  const random = seededRandom(seed);
  const data = new Float64Array(n * dim);
  for (let i = 0; i < data.length; i++) {
    const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    data[i] = z + (i % dim < shifted ? shift : 0);
  }
  return { n, dim, data };
}

describe("mmd against alibi-detect", () => {
  it("reads a fixture from alibi-detect 0.13.0", () => {
    assert.equal(fixture.alibi_detect, "0.13.0");
    assert.ok(fixture.cases.length >= 8);
  });

  for (const c of fixture.cases) {
    describe(c.name, () => {
      const reference = rows(c.x_ref);
      const current = rows(c.x);
      const roundOff = distanceRoundOff(reference, current);

      it("fits sigma as sigma_median on the reference (or keeps a fixed bandwidth)", () => {
        const fitted = mmdTest.fit(reference, optionsOf(c, 100), context());
        assertClose(fitted.sigma, c.sigma, (c.sigma * roundOff) / (2 * c.sigma ** 2), "sigma");
        if (c.bandwidth === null) {
          assertClose(
            medianBandwidth(reference, reference),
            c.sigma,
            (c.sigma * roundOff) / (2 * c.sigma ** 2),
            "sigma",
          );
        }
      });

      it("gives sigma_median of the reference against the current rows (n = 0 branch)", () => {
        const s = c.sigma_median_ref_cur;
        assertClose(
          medianBandwidth(reference, current),
          s,
          (s * roundOff) / (2 * s ** 2),
          "sigma_median(x_ref, x)",
        );
      });

      it("gives alibi's squared distances and kernel entries", () => {
        const distances = squaredDistances(reference, current);
        assert.equal(distances.length, reference.n * current.n);
        for (const check of c.checks) {
          const d = distances[check.i * current.n + check.j];
          assertClose(d, check.sq_distance, roundOff, `distance (${check.i}, ${check.j})`);
          const k = gaussianKernel(Float64Array.of(d), c.sigma)[0];
          assertClose(k, check.kernel, roundOff / (2 * c.sigma ** 2), `kernel (${check.i}, ${check.j})`);
        }
      });

      it("gives alibi's MMD² from the test and from mmd2Unbiased", () => {
        const options = optionsOf(c, 100);
        const fitted = mmdTest.fit(reference, options, context());
        const result = mmdTest.run(fitted, reference, current, options, context());
        const absolute = (4 * roundOff) / (2 * c.sigma ** 2) + 1e-15;
        assertClose(result.statistic, c.mmd2, absolute, "statistic");
        const kernel = jointKernel(reference, current, fitted.sigma);
        assertClose(mmd2Unbiased(kernel, reference.n, current.n), c.mmd2, absolute, "mmd2Unbiased");
      });

      it("gives alibi's p-value within Monte-Carlo error, with 2000 and with 100 permutations", () => {
        for (const permutations of [2000, 100]) {
          const options = optionsOf(c, permutations);
          const fitted = mmdTest.fit(reference, options, context(7));
          const result = mmdTest.run(fitted, reference, current, options, context(7));
          assertSameP(result.pValue as number, permutations, c.p_value, c.n_permutations, c.name);
          assert.equal(result.drift, (result.pValue as number) < 0.05);
        }
      });
    });
  }
});

describe("mmd permutation test", () => {
  const reference = gaussianRows(11, 60, 5);
  const current = gaussianRows(12, 45, 5, 0.4, 2);
  const options = mmdTest.options({ permutations: 200 });
  const fitted = mmdTest.fit(reference, options, context());

  it("is deterministic for a seed and records it", () => {
    const a = mmdTest.run(fitted, reference, current, options, context(42));
    const b = mmdTest.run(fitted, reference, current, options, context(42));
    assert.deepEqual(b, a);
    assert.equal(a.details.seed, 42);
    assert.equal(a.details.permutations, 200);
    assert.equal(a.details.sigma, fitted.sigma);
    assert.equal(a.details.bandwidth, "median_heuristic");
    assert.equal(a.threshold, 0.05);
    const other = mmdTest.run(fitted, reference, current, options, context(43));
    assert.equal(other.statistic, a.statistic);
    assert.notEqual(other.details.mmd2_permuted_mean, a.details.mmd2_permuted_mean);
  });

  it("permutes as documented: Fisher–Yates from seededRandom(seed), the first m indices the reference", () => {
    const seed = 5;
    const result = mmdTest.run(fitted, reference, current, options, context(seed));
    const kernel = jointKernel(reference, current, fitted.sigma);
    const size = reference.n + current.n;
    const order = Int32Array.from({ length: size }, (_, i) => i);
    const random = seededRandom(seed);
    const permuted: number[] = [];
    for (let p = 0; p < options.permutations; p++) {
      for (let i = size - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [order[i], order[j]] = [order[j], order[i]];
      }
      permuted.push(mmd2Unbiased(kernel, reference.n, current.n, order));
    }
    const mean = permuted.reduce((s, v) => s + v, 0) / permuted.length;
    assertClose(result.details.mmd2_permuted_mean as number, mean, 1e-15, "mean permuted MMD²");
    const atLeast = permuted.filter((v) => result.statistic <= v).length;
    assert.equal(result.pValue, atLeast / permuted.length);
    const descending = [...permuted].sort((a, b) => b - a);
    assertClose(
      result.details.mmd2_threshold as number,
      descending[Math.floor(0.05 * permuted.length)],
      1e-15,
      "threshold",
    );
  });

  it("drifts on a shifted sample and not on one from the same distribution (alpha 0.05)", () => {
    const ref = gaussianRows(21, 150, 16);
    const same = gaussianRows(22, 120, 16);
    const shifted = gaussianRows(23, 120, 16, 0.5, 4);
    const opts = mmdTest.options({});
    const fit = mmdTest.fit(ref, opts, context());
    const drifted = mmdTest.run(fit, ref, shifted, opts, context(3));
    assert.equal(drifted.drift, true);
    assert.equal(drifted.pValue, 0);
    assert.ok(drifted.statistic > (drifted.details.mmd2_threshold as number));
    const calm = mmdTest.run(fit, ref, same, opts, context(3));
    assert.equal(calm.drift, false);
    assert.ok((calm.pValue as number) > 0.2, String(calm.pValue));
  });

  it("uses a fixed bandwidth when given", () => {
    const opts = mmdTest.options({ bandwidth: 2.5 });
    const fit = mmdTest.fit(reference, opts, context());
    assert.deepEqual(fit, { sigma: 2.5 });
    const result = mmdTest.run(fit, reference, current, opts, context());
    assert.equal(result.details.bandwidth, "fixed");
    const kernel = jointKernel(reference, current, 2.5);
    assertClose(result.statistic, mmd2Unbiased(kernel, reference.n, current.n), 1e-15, "statistic");
  });

  it("has a plain JSON fitted state", () => {
    assert.deepEqual(JSON.parse(JSON.stringify(fitted)), fitted);
    assert.deepEqual(Object.keys(fitted), ["sigma"]);
  });
});

describe("mmd building blocks", () => {
  it("computes squared distances, symmetric with a zero diagonal for a sample against itself", () => {
    const x = { n: 2, dim: 2, data: Float64Array.of(0, 0, 3, 4) };
    assert.deepEqual([...squaredDistances(x, x)], [0, 25, 25, 0]);
    const a = gaussianRows(1, 7, 5);
    const b = gaussianRows(2, 4, 5);
    const ab = squaredDistances(a, b);
    const ba = squaredDistances(b, a);
    const aa = squaredDistances(a, a);
    for (let i = 0; i < 7; i++) {
      assert.equal(aa[i * 7 + i], 0);
      for (let j = 0; j < 4; j++) {
        assert.equal(ab[i * 4 + j], ba[j * 7 + i]);
        let direct = 0;
        for (let k = 0; k < 5; k++) direct += (a.data[i * 5 + k] - b.data[j * 5 + k]) ** 2;
        assertClose(ab[i * 4 + j], direct, 0, "distance");
      }
      for (let j = 0; j < 7; j++) assert.equal(aa[i * 7 + j], aa[j * 7 + i]);
    }
  });

  it("takes the median over distinct pairs for a sample against itself, alibi's index otherwise", () => {
    const x = { n: 3, dim: 1, data: Float64Array.of(0, 1, 3) };
    // Sorted flattened distances [0, 0, 0, 1, 1, 4, 4, 9, 9], index 3 + (9 − 3) // 2 − 1 = 5.
    assert.equal(medianBandwidth(x, x), Math.sqrt(0.5 * 4));
    const y = { n: 3, dim: 1, data: Float64Array.of(0, 1, 4) };
    // Different rows, so n = 0: index (9 − 0) // 2 − 1 = 3 of the sorted distances.
    const d = [...squaredDistances(x, y)].sort((a, b) => a - b);
    assert.equal(medianBandwidth(x, y), Math.sqrt(0.5 * d[Math.floor(9 / 2) - 1]));
    // Odd dimension and odd row counts go through the tails of the tiled loop.
    const big = gaussianRows(9, 31, 7);
    const all = [...squaredDistances(big, big)].sort((a, b) => a - b);
    assert.equal(medianBandwidth(big, big), Math.sqrt(0.5 * all[31 + (31 * 31 - 31) / 2 - 1]));
  });

  it("falls back to sigma = 1 when the median distance is 0", () => {
    assert.equal(MEDIAN_BANDWIDTH_FALLBACK, 1);
    const constant = { n: 5, dim: 3, data: new Float64Array(15).fill(2.5) };
    assert.equal(medianBandwidth(constant, constant), 1);
    // Three equal rows of five: 3 of the 10 pairs are 0, the median is not.
    const some = { n: 5, dim: 1, data: Float64Array.of(1, 1, 1, 2, 4) };
    assert.equal(medianBandwidth(some, some), Math.sqrt(0.5 * 1));
    // Four equal rows of five: 6 of the 10 pairs are 0, so is the median.
    const most = { n: 5, dim: 1, data: Float64Array.of(1, 1, 1, 1, 4) };
    assert.equal(medianBandwidth(most, most), 1);
  });

  it("applies exp(−d² / (2σ²))", () => {
    assert.deepEqual([...gaussianKernel(Float64Array.of(0, 2), 1)], [1, Math.exp(-1)]);
    assert.throws(() => gaussianKernel(Float64Array.of(1), 0), RangeError);
    assert.throws(() => gaussianKernel(Float64Array.of(1), Number.NaN), RangeError);
  });

  it("computes the unbiased MMD², leaving the diagonal out, optionally permuted", () => {
    const blocks = Float64Array.of(1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1);
    assert.equal(mmd2Unbiased(blocks, 2, 2), 2);
    // Relabel to {0, 2} and {1, 3}: within-sample pairs are now across the blocks.
    assert.equal(mmd2Unbiased(blocks, 2, 2, Int32Array.of(0, 2, 1, 3)), -1);
    const withDiagonal = Float64Array.from(blocks);
    for (let i = 0; i < 4; i++) withDiagonal[i * 5] = 100;
    assert.equal(mmd2Unbiased(withDiagonal, 2, 2), 2);
    assert.throws(() => mmd2Unbiased(blocks, 1, 3), RangeError);
    assert.throws(() => mmd2Unbiased(blocks, 2, 3), RangeError);
    assert.throws(() => mmd2Unbiased(blocks, 2, 2, Int32Array.of(0, 1, 2)), RangeError);
  });

  it("agrees with the permuted-matrix definition for unequal sizes", () => {
    const a = gaussianRows(3, 6, 2);
    const b = gaussianRows(4, 9, 2, 1);
    const kernel = jointKernel(a, b, 1.3);
    const size = 15;
    const order = Int32Array.of(14, 3, 7, 0, 9, 1, 12, 5, 2, 11, 6, 13, 8, 4, 10);
    const permuted = new Float64Array(size * size);
    for (let i = 0; i < size; i++) {
      for (let j = 0; j < size; j++)
        permuted[i * size + j] = i === j ? 0 : kernel[order[i] * size + order[j]];
    }
    let sxx = 0;
    let syy = 0;
    let sxy = 0;
    for (let i = 0; i < size; i++) {
      for (let j = 0; j < size; j++) {
        if (i < 6 && j < 6) sxx += permuted[i * size + j];
        else if (i >= 6 && j >= 6) syy += permuted[i * size + j];
        else if (i >= 6) sxy += permuted[i * size + j];
      }
    }
    const expected = sxx / 30 + syy / 72 - (2 * sxy) / 54;
    assertClose(mmd2Unbiased(kernel, 6, 9, order), expected, 1e-15, "permuted MMD²");
  });
});

describe("mmd options and edge cases", () => {
  const ajv = new Ajv({ allErrors: true, strict: true });
  const validate = ajv.compile(mmdTest.optionsSchema);

  it("is registered as a p-value test named mmd with a described schema", () => {
    assert.equal(mmdTest.name, "mmd");
    assert.equal(mmdTest.decision, "p_value");
    assert.ok(mmdTest.description.length > 10);
    const schema = mmdTest.optionsSchema as {
      additionalProperties: boolean;
      properties: Record<string, object>;
    };
    assert.equal(schema.additionalProperties, false);
    for (const [key, property] of Object.entries(schema.properties)) {
      assert.ok("description" in property, `${key} has a description`);
    }
  });

  it("accepts valid options and rejects unknown keys and bad values", () => {
    assert.ok(validate({}));
    assert.ok(validate({ permutations: 500, bandwidth: 2 }));
    assert.ok(!validate({ permutation: 500 }));
    assert.equal(validate.errors?.[0].keyword, "additionalProperties");
    assert.ok(!validate({ permutations: 0 }));
    assert.ok(!validate({ permutations: 1.5 }));
    assert.ok(!validate({ permutations: 100001 }));
    assert.ok(!validate({ bandwidth: 0 }));
    assert.ok(!validate({ bandwidth: "median" }));
  });

  it("fills defaults: 100 permutations, the median heuristic", () => {
    assert.deepEqual(mmdTest.options({}), { permutations: 100, bandwidth: null });
    assert.deepEqual(mmdTest.options({ bandwidth: 3 }), { permutations: 100, bandwidth: 3 });
    assert.throws(() => mmdTest.options({ permutation: 5 }), /no option "permutation"/);
    assert.throws(() => mmdTest.options({ permutations: 0 }), RangeError);
    assert.throws(() => mmdTest.options({ bandwidth: -1 }), RangeError);
  });

  it("needs at least 2 rows on each side and rows of the reference's dimension", () => {
    const options = mmdTest.options({});
    const two = { n: 2, dim: 2, data: Float64Array.of(0, 0, 1, 1) };
    const one = { n: 1, dim: 2, data: Float64Array.of(0, 0) };
    assert.throws(() => mmdTest.fit(one, options, context()), {
      name: "RangeError",
      message: "mmd needs at least 2 reference rows (got 1)",
    });
    const fitted = mmdTest.fit(two, options, context());
    assert.throws(() => mmdTest.run(fitted, two, one, options, context()), {
      name: "RangeError",
      message: "mmd needs at least 2 current rows (got 1)",
    });
    const threeDims = { n: 2, dim: 3, data: new Float64Array(6) };
    assert.throws(() => mmdTest.run(fitted, two, threeDims, options, context()), RangeError);
    assert.throws(() => medianBandwidth(one, two), RangeError);
  });

  it("handles a constant reference: sigma 1, a finite statistic, no drift against the same constant", () => {
    const options = mmdTest.options({});
    const constant = { n: 20, dim: 4, data: new Float64Array(80).fill(-3) };
    const fitted = mmdTest.fit(constant, options, context());
    assert.deepEqual(fitted, { sigma: MEDIAN_BANDWIDTH_FALLBACK });
    const same = mmdTest.run(
      fitted,
      constant,
      { n: 10, dim: 4, data: new Float64Array(40).fill(-3) },
      options,
      context(),
    );
    assert.equal(same.statistic, 0);
    assert.equal(same.pValue, 1);
    assert.equal(same.drift, false);
    const moved = mmdTest.run(fitted, constant, gaussianRows(5, 10, 4), options, context());
    assert.ok(Number.isFinite(moved.statistic) && moved.statistic > 0);
    assert.equal(moved.drift, true);
  });

  it("gives the documented example", () => {
    const reference = { n: 3, dim: 1, data: Float64Array.of(0, 1, 2) };
    const current = { n: 3, dim: 1, data: Float64Array.of(5, 6, 7) };
    const options = mmdTest.options({});
    const fitted = mmdTest.fit(reference, options, context());
    assert.deepEqual(fitted, { sigma: Math.SQRT1_2 });
    const result = mmdTest.run(fitted, reference, current, options, context());
    assert.equal(result.statistic, 0.5026888730619459);
    assert.equal(result.pValue, 0.08);
  });
});
