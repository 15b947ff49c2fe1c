import assert from "node:assert/strict";
import { calibrate, sampleQuantile } from "../../../src/stats/online/calibrate.js";
import { cvmOnline } from "../../../src/stats/online/cvm.js";
import { type FetOnlineCalibration, fetOnline } from "../../../src/stats/online/fet.js";
import type { OnlineDetector } from "../../../src/stats/online/types.js";
import { seededRandom } from "../../../src/stats/prng.js";
import { casesOf, fixture, normals, type OnlineCase } from "./fixture.js";

/**
 * Thresholds are simulated, with our seeded generator rather than numpy's stream, so they can only
 * agree with alibi-detect's within Monte-Carlo error. Two checks per fixture case:
 *
 * 1. Per time step, our threshold must lie in alibi-detect's rank band: between the order
 *    statistics of alibi-detect's own simulated sample at ranks N·p ∓ Z·s, Z = 5, s = √(N·p(1−p))
 *    (N streams alive, p = 1 − 1/ert). The rank of a sample quantile varies by about s, the
 *    difference between two independent simulations by about √2·s, so the band is ±3.5 standard
 *    deviations. Being in ranks, it also holds where FET's statistic has atoms and gaps (a threshold
 *    may jump between two clusters of values from one seed to the next). Consecutive thresholds
 *    share most of their streams, so their errors are strongly correlated; we require the band at
 *    95 % of the steps rather than at all.
 * 2. The mean threshold over the steps must be within 4·√(1 + 1/K)·σ of the mean of alibi-detect's
 *    K seeds, σ their seed-to-seed standard deviation: a bias of the whole sequence (a wrong
 *    normalisation, an off-by-one window) shows here first.
 *
 * CVM is compared with alibi-detect's simulation with its off-by-one corrected (see online.py:
 * alibi-detect simulates the window half of the sum at the stream points before the window), the
 * statistic both detectors compute at run time; the uncorrected thresholds pass the same checks,
 * the bias being small.
 *
 * A third check needs no fixture: on simulated null streams, the mean run length to a false alarm
 * is ert, within 4 standard errors of the mean plus 5 % for the Monte-Carlo error of the thresholds.
 */
const BAND_SHARE = 0.95;

function optionsOf(c: OnlineCase) {
  return c.detector === "CVMDriftOnline"
    ? ({ type: "cvm", ties: "count", ...c.options } as const)
    : ({ type: "fet", ...c.options } as const);
}

function assertInBand(
  ours: readonly (number | null)[],
  band: readonly ([number, number] | null)[],
  what: string,
) {
  let inside = 0;
  let steps = 0;
  band.forEach((b, t) => {
    assert.equal(ours[t] === null, b === null, `${what}: null at step ${t + 1}`);
    if (b === null) return;
    const x = ours[t] as number;
    const eps = 1e-6 * Math.abs(x); // alibi-detect's FET statistics are float32
    steps++;
    if (x >= b[0] - eps && x <= b[1] + eps) inside++;
  });
  assert.ok(inside >= BAND_SHARE * steps, `${what}: ${inside} of ${steps} steps in alibi-detect's band`);
}

function assertMeanLevel(ours: readonly (number | null)[], seeds: readonly number[], what: string) {
  const values = ours.filter((x): x is number => x !== null);
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const k = seeds.length;
  const center = seeds.reduce((a, b) => a + b, 0) / k;
  const sd = Math.sqrt(seeds.reduce((a, b) => a + (b - center) ** 2, 0) / (k - 1));
  const allowed = 4 * Math.sqrt(1 + 1 / k) * sd;
  assert.ok(
    Math.abs(mean - center) <= allowed,
    `${what}: mean threshold ${mean}, alibi-detect ${center} ± ${allowed}`,
  );
}

/** Mean run length to the first alarm over `runs` streams drawn by `draw`. */
function meanRunLength(
  make: (run: number) => OnlineDetector<unknown, number>,
  draw: (random: () => number) => number,
  runs: number,
  minWindow: number,
): { mean: number; se: number } {
  const random = seededRandom(99);
  const lengths: number[] = [];
  for (let r = 0; r < runs; r++) {
    const detector = make(r);
    let t = 0;
    while (!detector.update(draw(random)).drift) t++;
    // alibi-detect counts the run from the event before the smallest window is full.
    lengths.push(t + 1 - (minWindow - 1));
  }
  const mean = lengths.reduce((a, b) => a + b, 0) / runs;
  const sd = Math.sqrt(lengths.reduce((a, b) => a + (b - mean) ** 2, 0) / (runs - 1));
  return { mean, se: sd / Math.sqrt(runs) };
}

describe("calibrate", () => {
  it(`was checked against alibi-detect ${fixture.alibi_detect}`, () => {
    assert.equal(fixture.alibi_detect, "0.13.0");
  });

  for (const c of fixture.cases) {
    it(`agrees with alibi-detect's thresholds within Monte-Carlo error (${c.name})`, () => {
      const ours = calibrate(c.reference, optionsOf(c), 11);
      assert.equal(ours.thresholds.length, c.thresholds.length);
      assertInBand(ours.thresholds, c.threshold_band_fixed ?? c.threshold_band, `${c.name} per step`);
      assertInBand(ours.thresholds, c.threshold_band, `${c.name} per step, uncorrected`);
      assertMeanLevel(ours.thresholds, c.mean_threshold_seeds, c.name);
    });
  }

  it("gives null thresholds before the smallest window is full, and numbers after", () => {
    const c = calibrate(
      normals(100, 1),
      { type: "cvm", ert: 50, window_sizes: [20, 6], n_bootstraps: 1000 },
      1,
    );
    assert.equal(c.t_max, 39);
    assert.deepEqual(c.thresholds.slice(0, 5), [null, null, null, null, null]);
    assert.ok(c.thresholds.slice(5).every((x) => typeof x === "number" && Number.isFinite(x)));
  });

  it("is deterministic under a seed and plain JSON", () => {
    const reference = normals(120, 2);
    const options = { type: "cvm", ert: 40, window_sizes: [5, 10], n_bootstraps: 1000 } as const;
    const a = calibrate(reference, options, 5);
    assert.deepEqual(calibrate(reference, options, 5), a);
    assert.deepEqual(JSON.parse(JSON.stringify(a)), a);
    assert.notDeepEqual(calibrate(reference, options, 6).thresholds, a.thresholds);
    const bits = Array.from({ length: 200 }, (_, i) => (i % 3 === 0 ? 1 : 0));
    const fet = { type: "fet", ert: 40, window_sizes: [5, 10], n_bootstraps: 1000 } as const;
    assert.deepEqual(calibrate(bits, fet, 5), calibrate(bits, fet, 5));
  });

  it("depends only on the reference size for CVM", () => {
    const options = { type: "cvm", ert: 40, window_sizes: [5, 10], n_bootstraps: 1000 } as const;
    const a = calibrate(normals(120, 2), options, 5);
    const b = calibrate(
      normals(120, 3).map((x) => x * 100 + 7),
      options,
      5,
    );
    const tied = calibrate(
      normals(120, 3).map((x) => Math.round(x)),
      options,
      5,
    );
    assert.equal(a.ties, "count");
    assert.deepEqual(a, b);
    assert.deepEqual(tied.thresholds, a.thresholds);
  });

  it("breaks ties when one value holds more than a tenth of the reference, unless told otherwise", () => {
    const tied = normals(120, 2).map((x) => Math.round(x));
    const options = { type: "cvm", ert: 40, window_sizes: [5], n_bootstraps: 500 } as const;
    assert.equal(calibrate(tied, options, 1).ties, "break");
    const light = [...normals(108, 2), ...Array(12).fill(0)];
    assert.equal(calibrate(light, options, 1).ties, "count");
    assert.equal(calibrate([...light.slice(1), 0], options, 1).ties, "break");
    assert.equal(calibrate(tied, { ...options, ties: "count" }, 1).ties, "count");
    assert.equal(calibrate(normals(120, 2), options, 1).ties, "count");
    assert.equal(calibrate(normals(120, 2), { ...options, ties: "break" }, 1).ties, "break");
  });

  it("holds the expected run time on simulated null streams (CVM, continuous)", () => {
    const ert = 30;
    const windowSizes = [5, 10];
    const calibration = calibrate(
      normals(60, 1),
      { type: "cvm", ert, window_sizes: windowSizes, n_bootstraps: 5000 },
      2,
    );
    // A fresh reference for every run: the continuous simulation draws the reference too.
    const { mean, se } = meanRunLength(
      (r) => cvmOnline(normals(60, 1000 + r), calibration),
      (random) => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random()),
      3000,
      5,
    );
    assert.ok(Math.abs(mean - ert) <= 4 * se + 0.05 * ert, `mean run length ${mean} ± ${se}, ert ${ert}`);
  });

  it("holds the expected run time on simulated null streams with heavy ties, ties broken (CVM)", () => {
    const ert = 30;
    // Half zeros and a few levels, like daily precipitation; a fresh reference for every run.
    const draw = (random: () => number) => (random() < 0.5 ? 0 : Math.ceil(random() * 6));
    const sample = (seed: number) =>
      Array.from(
        { length: 400 },
        (
          (r) => () =>
            draw(r)
        )(seededRandom(seed)),
      );
    const calibration = calibrate(
      sample(3),
      { type: "cvm", ert, window_sizes: [5, 10], n_bootstraps: 5000 },
      2,
    );
    assert.equal(calibration.ties, "break");
    const { mean, se } = meanRunLength((r) => cvmOnline(sample(5000 + r), calibration), draw, 3000, 5);
    assert.ok(Math.abs(mean - ert) <= 4 * se + 0.05 * ert, `mean run length ${mean} ± ${se}, ert ${ert}`);
  });

  it("misses the expected run time on heavy ties when they are counted, as alibi-detect does", () => {
    const ert = 30;
    const draw = (random: () => number) => (random() < 0.5 ? 0 : Math.ceil(random() * 6));
    const sample = (seed: number) =>
      Array.from(
        { length: 400 },
        (
          (r) => () =>
            draw(r)
        )(seededRandom(seed)),
      );
    const options = { type: "cvm", ert, window_sizes: [5, 10], n_bootstraps: 5000, ties: "count" } as const;
    const calibration = calibrate(sample(3), options, 2);
    const { mean, se } = meanRunLength((r) => cvmOnline(sample(5000 + r), calibration), draw, 3000, 5);
    assert.ok(mean + 4 * se < 0.8 * ert, `mean run length ${mean} ± ${se}, ert ${ert}`);
  });

  it("holds the expected run time on simulated null streams (FET)", () => {
    const ert = 30;
    const reference = Array.from({ length: 200 }, (_, i) => (i % 5 < 2 ? 1 : 0));
    const calibration = calibrate(
      reference,
      { type: "fet", ert, window_sizes: [8, 16], n_bootstraps: 5000 },
      2,
    );
    // alibi-detect simulates the stream at the reference's rate with the reference held fixed.
    const { mean, se } = meanRunLength(
      () => fetOnline(reference, calibration),
      (random) => (random() < 0.4 ? 1 : 0),
      3000,
      8,
    );
    assert.ok(Math.abs(mean - ert) <= 4 * se + 0.05 * ert, `mean run length ${mean} ± ${se}, ert ${ert}`);
  });

  it("holds the expected run time over fresh references with the marginal simulation (FET)", () => {
    const ert = 30;
    const options = {
      type: "fet",
      ert,
      window_sizes: [8, 16],
      n_bootstraps: 5000,
      simulation: "marginal",
      t_max: 2 * ert,
    } as const;
    const byOnes = new Map<number, FetOnlineCalibration>();
    const { mean, se } = meanRunLength(
      (r) => {
        const random = seededRandom(7000 + r);
        const reference: number[] = Array.from({ length: 200 }, () => (random() < 0.4 ? 1 : 0));
        const ones = reference.reduce((a, b) => a + b, 0);
        let calibration = byOnes.get(ones);
        if (calibration === undefined) {
          calibration = calibrate(reference, options, 2);
          byOnes.set(ones, calibration);
        }
        assert.equal(calibration.simulation, "marginal");
        return fetOnline(reference, calibration);
      },
      (random) => (random() < 0.4 ? 1 : 0),
      3000,
      8,
    );
    assert.ok(Math.abs(mean - ert) <= 4 * se + 0.05 * ert, `mean run length ${mean} ± ${se}, ert ${ert}`);
  });

  it("computes alibi-detect's quantiles (types 6 and 7)", () => {
    const sorted = Float64Array.of(1, 2, 4, 8, 16);
    // type 7: h = (N − 1)p + 1 = 4.2 → 8 + 0.2·(16 − 8); type 6: h = (N + 1)p = 4.8 → the 4th value.
    assert.ok(Math.abs(sampleQuantile(sorted, 0.8, 7, true) - 9.6) < 1e-12);
    assert.equal(sampleQuantile(sorted, 0.8, 6, false), 8);
    assert.throws(() => sampleQuantile(sorted, 0.9, 7, true), RangeError);
  });

  it("rejects options it cannot calibrate, naming them", () => {
    const reference = normals(50, 1);
    const base = { type: "cvm", ert: 20, window_sizes: [5], n_bootstraps: 500 } as const;
    assert.throws(() => calibrate(reference, { ...base, ert: 1 }, 1), /ert must be/);
    assert.throws(() => calibrate(reference, { ...base, ert: Number.POSITIVE_INFINITY }, 1), /ert must be/);
    assert.throws(() => calibrate(reference, { ...base, window_sizes: [] }, 1), /window_sizes/);
    assert.throws(() => calibrate(reference, { ...base, window_sizes: [2.5] }, 1), /window_sizes/);
    assert.throws(() => calibrate(reference, { ...base, n_bootstraps: 0 }, 1), /n_bootstraps/);
    assert.throws(
      () => calibrate(reference, { ...base, ert: 1000, n_bootstraps: 500 }, 1),
      /raise n_bootstraps/,
    );
    assert.throws(() => calibrate(reference, base, 1.5), /seed/);
    const bits = [0, 1, 1, 0, 1, 0, 0, 0];
    const fet = { type: "fet", ert: 20, window_sizes: [5], n_bootstraps: 500 } as const;
    assert.throws(() => calibrate(bits, { ...fet, t_max: 8 }, 1), /t_max/);
    assert.throws(() => calibrate(bits, { ...fet, lam: 0 }, 1), /lam/);
    assert.throws(() => calibrate(bits, { ...fet, alternative: "two-sided" as "less" }, 1), /alternative/);
    assert.throws(() => calibrate(bits, { ...fet, simulation: "posterior" as "marginal" }, 1), /simulation/);
    assert.throws(() => calibrate(reference, { ...base, ties: "drop" as "count" }, 1), /ties/);
  });

  it("covers every online detector kind in the fixture", () => {
    assert.ok(casesOf("CVMDriftOnline").length > 0 && casesOf("FETDriftOnline").length > 0);
  });
});
