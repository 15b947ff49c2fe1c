import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { gaussianKernel, squaredDistances } from "../../../src/stats/multivariate/mmd.js";
import type { Rows } from "../../../src/stats/multivariate/types.js";
import {
  calibrateMmd,
  type MmdOnlineCalibration,
  type MmdOnlineState,
  mmdOnline,
} from "../../../src/stats/online/mmd.js";
import type { OnlineUpdate } from "../../../src/stats/online/types.js";
import { normals } from "./fixture.js";

/** One setting of test/fixtures/online/mmd_online.py (a numpy mirror of alibi-detect 0.13.0's MMDDriftOnlineTorch). */
interface MmdCase {
  readonly name: string;
  readonly seed: number;
  readonly options: {
    readonly ert: number;
    readonly window_size: number;
    readonly n_bootstraps: number;
    readonly bandwidth: number | null;
  };
  readonly n: number;
  readonly dim: number;
  readonly reference: number[][];
  readonly stream: number[][];
  readonly sigma: number;
  /** alibi-detect's thresholds, index t for time t = 0 … W − 1. */
  readonly thresholds: number[];
  readonly threshold_band: [number, number][];
  readonly mean_threshold_seeds: number[];
  readonly ref_inds: number[];
  readonly init_test_inds: number[];
  readonly k_xx_sub_sum: number;
  readonly initial_mmd: number;
  readonly statistics: number[];
  readonly detection: number | null;
}

const fixture = JSON.parse(
  readFileSync(new URL("../../fixtures/online/mmd_online.json", import.meta.url), "utf8"),
) as { alibi_detect: string; cases: MmdCase[] };

/**
 * The statistic is deterministic given the split, so it must agree with alibi-detect's, recomputed
 * every event from the whole window (the mirror runs in float64, as alibi-detect does on float64
 * input), to 1e-12 absolute: the running sums and the direct differences ‖x − y‖² (alibi-detect:
 * ‖x‖² + ‖y‖² − 2x·y) each move it by a few 1e-16. The bandwidth is the same order statistic of the
 * same distances, equal to 1e-12 relative.
 *
 * Thresholds are simulated with our seeded generator, so they agree with alibi-detect's within
 * Monte-Carlo error only, checked as test/stats/online/calibrate.test.ts checks CVM and FET: per
 * step, inside the rank band N·p ∓ 5·√(N·p(1 − p)) of alibi-detect's own simulated sample (about ±3.5
 * standard deviations of the difference of two simulations) at 95 % of the steps; and the mean
 * threshold within 4·√(1 + 1/K)·σ of the mean of alibi-detect's K seeds.
 */
const STATISTIC_ABS_TOL = 1e-12;
const SIGMA_REL_TOL = 1e-12;
const BAND_SHARE = 0.95;

const rowsOf = (values: readonly (readonly number[])[]): Rows => ({
  n: values.length,
  dim: values[0].length,
  data: Float64Array.from(values.flat()),
});

/** The rows of `rows` at `indices`. */
function pick(rows: Rows, indices: ArrayLike<number>): Rows {
  const data = new Float64Array(indices.length * rows.dim);
  for (let a = 0; a < indices.length; a++) {
    data.set(rows.data.subarray(indices[a] * rows.dim, (indices[a] + 1) * rows.dim), a * rows.dim);
  }
  return { n: indices.length, dim: rows.dim, data };
}

/** Σ of the kernel matrix between two row sets, optionally without its diagonal. */
function kernelSum(x: Rows, y: Rows, sigma: number, zeroDiagonal: boolean): number {
  const k = gaussianKernel(squaredDistances(x, y), sigma);
  let s = 0;
  for (let i = 0; i < x.n; i++)
    for (let j = 0; j < y.n; j++) if (!zeroDiagonal || i !== j) s += k[i * y.n + j];
  return s;
}

/** The sub-reference of a split: every row in neither list, ascending. */
function subReference(n: number, initialWindow: readonly number[], heldOut: readonly number[]): number[] {
  const taken = new Set([...initialWindow, ...heldOut]);
  return Array.from({ length: n }, (_, i) => i).filter((i) => !taken.has(i));
}

/** The mean kernel over ordered pairs of distinct rows of the sub-reference. */
function referenceKernelMean(reference: Rows, sub: readonly number[], sigma: number): number {
  const x = pick(reference, sub);
  return kernelSum(x, x, sigma, true) / (x.n * (x.n - 1));
}

/** A calibration carrying alibi-detect's split and the given thresholds (by event: t = 1 … W − 1). */
function calibrationWith(c: MmdCase, thresholds: number[]): MmdOnlineCalibration {
  const reference = rowsOf(c.reference);
  const w = c.options.window_size;
  const inSplit = new Set([...c.ref_inds, ...c.init_test_inds]);
  const heldOut = Array.from({ length: c.n }, (_, i) => i).filter((i) => !inSplit.has(i));
  return {
    type: "mmd",
    ert: c.options.ert,
    window_size: w,
    n_bootstraps: c.options.n_bootstraps,
    seed: c.seed,
    n_reference: c.n,
    dim: c.dim,
    sigma: c.sigma,
    bandwidth: c.options.bandwidth === null ? "median_heuristic" : "fixed",
    t_max: w - 1,
    thresholds,
    initial_threshold: c.thresholds[0],
    initial_window: c.init_test_inds,
    held_out: heldOut,
    reference_kernel_mean: referenceKernelMean(
      reference,
      subReference(c.n, c.init_test_inds, heldOut),
      c.sigma,
    ),
  };
}

function optionsOf(c: MmdCase) {
  const { ert, window_size, n_bootstraps, bandwidth } = c.options;
  return { ert, window_size, n_bootstraps, ...(bandwidth === null ? {} : { bandwidth }) };
}

const run = (
  detector: { update(x: ArrayLike<number>): OnlineUpdate },
  rows: readonly (readonly number[])[],
) => rows.map((x) => detector.update(x));

/** n rows of `dim` independent standard normals (shifted by `shift`), as arrays. */
function normalRows(n: number, dim: number, seed: number, shift = 0): number[][] {
  const flat = normals(n * dim, seed);
  return Array.from({ length: n }, (_, i) => flat.slice(i * dim, (i + 1) * dim).map((x) => x + shift));
}

describe("mmdOnline", () => {
  it(`was checked against alibi-detect ${fixture.alibi_detect}`, () => {
    assert.equal(fixture.alibi_detect, "0.13.0");
    assert.ok(fixture.cases.length >= 3);
  });

  for (const c of fixture.cases) {
    it(`infers alibi-detect's bandwidth (${c.name})`, () => {
      const ours = calibrateMmd(rowsOf(c.reference), { ...optionsOf(c), n_bootstraps: 200 }, 1);
      assert.ok(Math.abs(ours.sigma - c.sigma) <= SIGMA_REL_TOL * c.sigma, `${ours.sigma} vs ${c.sigma}`);
      assert.equal(ours.bandwidth, c.options.bandwidth === null ? "median_heuristic" : "fixed");
    });

    it(`matches alibi-detect's statistic on every event, given its split (${c.name})`, () => {
      const calibration = calibrationWith(
        c,
        c.thresholds.slice(1).map(() => Number.POSITIVE_INFINITY),
      );
      assert.ok(Math.abs(calibration.reference_kernel_mean - c.k_xx_sub_sum) <= STATISTIC_ABS_TOL);
      const updates = run(mmdOnline(rowsOf(c.reference), calibration), c.stream);
      updates.forEach((u, i) => {
        assert.equal(u.t, i + 1);
        assert.equal(u.drift, false);
        const s = u.statistics[0] as number;
        assert.ok(
          Math.abs(s - c.statistics[i]) <= STATISTIC_ABS_TOL,
          `event ${i + 1}: ${s} vs ${c.statistics[i]} (${Math.abs(s - c.statistics[i])})`,
        );
      });
    });

    it(`detects at the event alibi-detect does with alibi-detect's thresholds and split (${c.name})`, () => {
      const calibration = calibrationWith(c, c.thresholds.slice(1));
      const updates = run(mmdOnline(rowsOf(c.reference), calibration), c.stream);
      const first = updates.find((u) => u.drift);
      assert.equal(first?.t ?? null, c.detection);
      // alibi-detect's get_threshold(t): thresholds[t] while t < W, then the last.
      updates.slice(0, first === undefined ? updates.length : first.t).forEach((u) => {
        assert.equal(u.thresholds[0], c.thresholds[Math.min(u.t, c.options.window_size - 1)]);
      });
    });

    it(`agrees with alibi-detect's thresholds within Monte-Carlo error (${c.name})`, () => {
      const ours = calibrateMmd(rowsOf(c.reference), optionsOf(c), 11);
      const sequence = [ours.initial_threshold, ...ours.thresholds];
      assert.equal(sequence.length, c.thresholds.length);
      assert.equal(ours.t_max, c.options.window_size - 1);
      let inside = 0;
      c.threshold_band.forEach(([lo, hi], t) => {
        if (sequence[t] >= lo && sequence[t] <= hi) inside++;
      });
      assert.ok(
        inside >= BAND_SHARE * sequence.length,
        `${inside} of ${sequence.length} steps in alibi-detect's band`,
      );
      const mean = sequence.reduce((a, b) => a + b, 0) / sequence.length;
      const seeds = c.mean_threshold_seeds;
      const k = seeds.length;
      const center = seeds.reduce((a, b) => a + b, 0) / k;
      const sd = Math.sqrt(seeds.reduce((a, b) => a + (b - center) ** 2, 0) / (k - 1));
      const allowed = 4 * Math.sqrt(1 + 1 / k) * sd;
      assert.ok(
        Math.abs(mean - center) <= allowed,
        `mean threshold ${mean}, alibi-detect ${center} ± ${allowed}`,
      );
    });
  }

  it("keeps a split whose initial window passes the step-0 threshold, and the sub-reference's mean kernel", () => {
    const c = fixture.cases[0];
    const reference = rowsOf(c.reference);
    const calibration = calibrateMmd(reference, optionsOf(c), 3);
    const w = calibration.window_size;
    assert.equal(calibration.initial_window.length, w);
    assert.equal(calibration.held_out.length, w - 1);
    assert.equal(new Set([...calibration.initial_window, ...calibration.held_out]).size, 2 * w - 1);
    const sub = subReference(c.n, calibration.initial_window, calibration.held_out);
    assert.equal(sub.length, c.n - (2 * w - 1));
    const kxx = referenceKernelMean(reference, sub, calibration.sigma);
    assert.ok(Math.abs(calibration.reference_kernel_mean - kxx) <= 1e-13);
    const x = pick(reference, sub);
    const y = pick(reference, calibration.initial_window);
    const initial =
      kxx +
      kernelSum(y, y, calibration.sigma, true) / (w * (w - 1)) -
      (2 * kernelSum(x, y, calibration.sigma, false)) / (x.n * w);
    assert.ok(initial <= calibration.initial_threshold, `${initial} > ${calibration.initial_threshold}`);
  });

  it("is deterministic under a seed and plain JSON", () => {
    const reference = rowsOf(normalRows(80, 3, 1));
    const options = { ert: 30, window_size: 6, n_bootstraps: 500 };
    const a = calibrateMmd(reference, options, 5);
    assert.deepEqual(calibrateMmd(reference, options, 5), a);
    assert.deepEqual(JSON.parse(JSON.stringify(a)), a);
    const b = calibrateMmd(reference, options, 6);
    assert.notDeepEqual(b.thresholds, a.thresholds);
    assert.notDeepEqual(b.initial_window, a.initial_window);
    const stream = normalRows(40, 3, 2, 0.3);
    assert.deepEqual(run(mmdOnline(reference, a), stream), run(mmdOnline(reference, a), stream));
  });

  it("round-trips its state through JSON and resumes with the same statistics, across a detection", () => {
    const reference = rowsOf(normalRows(120, 4, 3));
    const calibration = calibrateMmd(reference, { ert: 40, window_size: 8, n_bootstraps: 1000 }, 4);
    const stream = [...normalRows(60, 4, 5), ...normalRows(60, 4, 6, 0.9), ...normalRows(40, 4, 7)];
    const whole = run(mmdOnline(reference, calibration), stream);
    assert.ok(whole.some((u) => u.drift));
    const cuts = [0, 1, 5, 7, 8, 9, 33, 77, 130];
    const detection = whole.findIndex((u) => u.drift);
    cuts.push(detection + 1, detection + 4);
    for (const cut of cuts) {
      const first = mmdOnline(reference, calibration);
      const before = run(first, stream.slice(0, cut));
      const saved = JSON.parse(JSON.stringify(first.state)) as MmdOnlineState;
      const after = run(
        mmdOnline(reference, JSON.parse(JSON.stringify(calibration)), saved),
        stream.slice(cut),
      );
      assert.deepEqual([...before, ...after], whole, `cut at ${cut}`);
    }
  });

  it("keeps the last min(t, window_size) rows in its state and starts over after a detection", () => {
    const reference = rowsOf(normalRows(60, 2, 8));
    const calibration = calibrateMmd(reference, { ert: 20, window_size: 4, n_bootstraps: 500 }, 1);
    const never = { ...calibration, thresholds: calibration.thresholds.map(() => Number.POSITIVE_INFINITY) };
    const detector = mmdOnline(reference, never);
    const stream = normalRows(10, 2, 9);
    run(detector, stream.slice(0, 3));
    assert.deepEqual(detector.state.rows, stream.slice(0, 3));
    run(detector, stream.slice(3));
    assert.equal(detector.state.t, 10);
    assert.deepEqual(detector.state.rows, stream.slice(6));

    const alarming = mmdOnline(reference, calibration);
    let u: OnlineUpdate;
    do u = alarming.update([8, 8]);
    while (!u.drift);
    assert.ok(u.t <= 2, `detected at ${u.t}`);
    const fresh = mmdOnline(reference, calibration).state;
    assert.deepEqual(alarming.state, fresh);
    assert.equal(fresh.t, 0);
    assert.deepEqual(fresh.rows, []);
  });

  it("uses threshold t at event t, then the last for ever after t_max", () => {
    const reference = rowsOf(normalRows(60, 2, 10));
    const calibration = calibrateMmd(reference, { ert: 20, window_size: 5, n_bootstraps: 500 }, 1);
    const thresholds = [1e9, 2e9, 3e9, 4e9];
    const updates = run(mmdOnline(reference, { ...calibration, thresholds }), normalRows(30, 2, 11));
    assert.deepEqual(
      updates.map((u) => u.thresholds[0]),
      updates.map((u) => thresholds[Math.min(u.t, 4) - 1]),
    );
    assert.equal(updates[29].thresholds[0], 4e9);
  });

  it("detects a shifted stream within a few events", () => {
    const reference = rowsOf(normalRows(200, 3, 12));
    const calibration = calibrateMmd(reference, { ert: 100, window_size: 10, n_bootstraps: 2000 }, 2);
    const delays: number[] = [];
    for (let r = 0; r < 20; r++) {
      const detector = mmdOnline(reference, calibration);
      const stream = normalRows(200, 3, 100 + r, 1);
      const at = stream.findIndex((x) => detector.update(x).drift);
      assert.ok(at >= 0, `run ${r}: no detection`);
      delays.push(at + 1);
    }
    const mean = delays.reduce((a, b) => a + b, 0) / delays.length;
    // With a shift of one standard deviation in every dimension, half a window suffices.
    assert.ok(mean <= 10, `mean delay ${mean} (${delays.join(", ")})`);
  });

  it("holds the expected run time on simulated null streams, counted from t = 0", () => {
    const ert = 30;
    const runs = 1500;
    const lengths: number[] = [];
    const random = normals(runs * 400 * 2, 77);
    let next = 0;
    for (let r = 0; r < runs; r++) {
      // A fresh reference for every run: the run length averages over references, as the simulation does.
      const reference = rowsOf(normalRows(60, 2, 5000 + r));
      const calibration = calibrateMmd(reference, { ert, window_size: 5, n_bootstraps: 1000 }, r);
      const detector = mmdOnline(reference, calibration);
      let t = 0;
      do t++;
      while (!detector.update([random[next++ % random.length], random[next++ % random.length]]).drift);
      lengths.push(t);
    }
    const mean = lengths.reduce((a, b) => a + b, 0) / runs;
    const se = Math.sqrt(lengths.reduce((a, b) => a + (b - mean) ** 2, 0) / (runs - 1) / runs);
    assert.ok(Math.abs(mean - ert) <= 4 * se + 0.05 * ert, `mean run length ${mean} ± ${se}, ert ${ert}`);
  });

  it("rejects rows of the wrong length or with non-finite numbers, leaving its state unchanged", () => {
    const reference = rowsOf(normalRows(40, 3, 13));
    const calibration = calibrateMmd(reference, { ert: 20, window_size: 4, n_bootstraps: 300 }, 1);
    const detector = mmdOnline(reference, calibration);
    detector.update([0.1, 0.2, 0.3]);
    const before = JSON.parse(JSON.stringify(detector.state));
    for (const bad of [
      [0.1, 0.2],
      [0.1, 0.2, 0.3, 0.4],
      [0.1, Number.NaN, 0.3],
      [Number.POSITIVE_INFINITY, 0, 0],
      [0, 0, Number.NEGATIVE_INFINITY],
      [0, "1", 0] as unknown as number[],
      null as unknown as number[],
      5 as unknown as number[],
      Float64Array.of(1, 2),
    ]) {
      assert.throws(() => detector.update(bad), RangeError, `accepted ${String(bad)}`);
      assert.deepEqual(detector.state, before);
    }
    assert.deepEqual(detector.update(Float64Array.of(0.1, 0.2, 0.3)).t, 2);
  });

  it("rejects a window larger than the reference allows", () => {
    const reference = rowsOf(normalRows(20, 2, 14));
    // 2W + 1 rows: the sub-reference of at least 2, the initial window of W, W − 1 held out.
    assert.throws(
      () => calibrateMmd(reference, { ert: 10, window_size: 10 }, 1),
      /at least 2·10 \+ 1 = 21 rows/,
    );
    const ok = calibrateMmd(reference, { ert: 10, window_size: 9, n_bootstraps: 200 }, 1);
    assert.equal(ok.t_max, 8);
    assert.throws(
      () =>
        mmdOnline(reference, {
          ...ok,
          window_size: 10,
          initial_window: [...ok.initial_window, ok.held_out[0]],
        }),
      RangeError,
    );
  });

  it("rejects options, references, calibrations and states it cannot use, naming them", () => {
    const reference = rowsOf(normalRows(50, 2, 15));
    const base = { ert: 20, window_size: 5, n_bootstraps: 500 };
    assert.throws(() => calibrateMmd(reference, { ...base, ert: 1 }, 1), /ert must be/);
    assert.throws(() => calibrateMmd(reference, { ...base, ert: Number.NaN }, 1), /ert must be/);
    assert.throws(() => calibrateMmd(reference, { ...base, window_size: 1 }, 1), /window_size/);
    assert.throws(() => calibrateMmd(reference, { ...base, window_size: 2.5 }, 1), /window_size/);
    assert.throws(() => calibrateMmd(reference, { ...base, n_bootstraps: 0 }, 1), /n_bootstraps/);
    assert.throws(() => calibrateMmd(reference, { ...base, bandwidth: 0 }, 1), /bandwidth/);
    assert.throws(
      () => calibrateMmd(reference, { ...base, ert: 1000, n_bootstraps: 500 }, 1),
      /raise n_bootstraps/,
    );
    assert.throws(() => calibrateMmd(reference, base, 1.5), /seed/);
    const nan = { ...reference, data: reference.data.map((x, i) => (i === 7 ? Number.NaN : x)) };
    assert.throws(() => calibrateMmd(nan, base, 1), /finite/);
    assert.throws(() => calibrateMmd({ ...reference, n: 49 }, base, 1), /not n × dim/);

    const calibration = calibrateMmd(reference, base, 1);
    const shorter = { n: 49, dim: 2, data: reference.data.subarray(0, 98) };
    assert.throws(() => mmdOnline(shorter, calibration), /calibration is for a reference of 50 rows of 2/);
    assert.throws(() => mmdOnline({ n: 25, dim: 4, data: reference.data }, calibration), /of 2/);
    assert.throws(
      () => mmdOnline(reference, { ...calibration, type: "cvm" as "mmd" }),
      /not an mmd calibration/,
    );
    assert.throws(
      () =>
        mmdOnline(reference, {
          ...calibration,
          held_out: [...calibration.held_out.slice(1), calibration.initial_window[0]],
        }),
      /distinct/,
    );
    assert.throws(() => mmdOnline(reference, { ...calibration, thresholds: [1, 2] }), /thresholds/);
    const good = { t: 1, rows: [[0, 0]], kernel_sum_cross: 1, kernel_sum_window: 1 };
    assert.doesNotThrow(() => mmdOnline(reference, calibration, good));
    assert.throws(() => mmdOnline(reference, calibration, { ...good, t: -1 }), RangeError);
    assert.throws(() => mmdOnline(reference, calibration, { ...good, t: 2 }), /last 2 rows/);
    assert.throws(() => mmdOnline(reference, calibration, { ...good, rows: [[0, 0, 0]] }), RangeError);
    assert.throws(
      () => mmdOnline(reference, calibration, { ...good, kernel_sum_window: Number.NaN }),
      RangeError,
    );
  });
});
