import assert from "node:assert/strict";
import { calibrate } from "../../../src/stats/online/calibrate.js";
import { type CvmOnlineState, cvmOnline } from "../../../src/stats/online/cvm.js";
import type { OnlineUpdate } from "../../../src/stats/online/types.js";
import { casesOf, cvmCalibrationWith, normals } from "./fixture.js";

/**
 * Reference values come from test/fixtures/online/online.py (alibi-detect 0.13.0). The statistic
 * is deterministic, so it must agree with alibi-detect's, recomputed in float64 by alibi-detect's
 * own `score`, to 1e-12 absolute (ours is an exact integer sum, alibi-detect's a float sum: they
 * differ by a few 1e-15); and, rounded to float32, with the float32 values alibi-detect returns to
 * 2 units in the last place.
 */
const STATISTIC_ABS_TOL = 1e-12;

const ulp32 = (x: number) => {
  const f = Math.fround(Math.abs(x));
  const next = new Float32Array([f]);
  new Uint32Array(next.buffer)[0]++;
  return next[0] - f;
};

const run = (detector: { update(x: number): OnlineUpdate }, values: readonly number[]) =>
  values.map((x) => detector.update(x));

describe("cvmOnline", () => {
  for (const c of casesOf("CVMDriftOnline")) {
    it(`matches alibi-detect's statistic on every event and window (${c.name})`, () => {
      const never = cvmCalibrationWith(
        c,
        c.thresholds.map(() => null),
      );
      const updates = run(cvmOnline(c.reference, never), c.stream);
      updates.forEach((u, i) => {
        assert.equal(u.t, i + 1);
        u.statistics.forEach((s, k) => {
          const expected = c.statistics[i][k];
          const f32 = c.statistics_float32[i][k];
          if (expected === null || f32 === null) {
            assert.equal(s, null, `${c.name} event ${i + 1} window ${k}`);
            return;
          }
          assert.ok(
            s !== null && Math.abs(s - expected) <= STATISTIC_ABS_TOL,
            `event ${i + 1}: ${s} vs ${expected}`,
          );
          assert.ok(Math.abs(Math.fround(s) - f32) <= 2 * ulp32(f32), `event ${i + 1}: float32 ${f32}`);
        });
      });
    });

    it(`detects at the event alibi-detect does with alibi-detect's thresholds (${c.name})`, () => {
      const updates = run(cvmOnline(c.reference, cvmCalibrationWith(c, c.thresholds)), c.stream);
      const first = updates.find((u) => u.drift);
      assert.equal(first?.t ?? null, c.detection.t);
    });
  }

  it("reports one threshold for every full window and null for the others", () => {
    const c = casesOf("CVMDriftOnline")[0];
    const detector = cvmOnline(c.reference, cvmCalibrationWith(c, c.thresholds));
    const updates = run(detector, c.stream.slice(0, 25));
    assert.deepEqual(updates[8].thresholds, [null, null, null]);
    assert.deepEqual(updates[9].thresholds, [c.thresholds[9], null, null]);
    assert.deepEqual(updates[19].thresholds, [c.thresholds[19], c.thresholds[19], null]);
  });

  it("uses the last threshold for ever after t_max", () => {
    const c = casesOf("CVMDriftOnline")[0];
    const thresholds: (number | null)[] = c.thresholds.map((x) => (x === null ? null : 1e9));
    thresholds[thresholds.length - 1] = 1e8;
    const detector = cvmOnline(c.reference, cvmCalibrationWith(c, thresholds));
    const updates = run(detector, normals(200, 5));
    assert.equal(updates[thresholds.length - 2].thresholds[0], 1e9);
    assert.equal(updates[thresholds.length - 1].thresholds[0], 1e8);
    assert.equal(updates[199].thresholds[0], 1e8);
  });

  it("starts over after a detection, keeping its thresholds", () => {
    const reference = normals(100, 1);
    const calibration = calibrate(
      reference,
      { type: "cvm", ert: 50, window_sizes: [5], n_bootstraps: 2000 },
      3,
    );
    const detector = cvmOnline(reference, calibration);
    let u: OnlineUpdate;
    do u = detector.update(10);
    while (!u.drift);
    assert.equal(u.t, 5);
    assert.deepEqual(detector.state, { t: 0, values: [], events: 5 });
    assert.deepEqual(detector.update(0).statistics, [null]);
  });

  for (const ties of ["count", "break"] as const) {
    it(`round-trips its state through JSON and resumes with the same statistics (ties: ${ties})`, () => {
      const reference = normals(150, 2).map((x) => Math.round(x * 3) / 3);
      const options = { type: "cvm", ert: 100, window_sizes: [7, 30], n_bootstraps: 2000, ties } as const;
      const calibration = calibrate(reference, options, 4);
      const stream = normals(200, 3).map((x, i) => Math.round((i < 120 ? x : x + 0.8) * 3) / 3);
      const whole = run(cvmOnline(reference, calibration), stream);
      assert.ok(whole.some((u) => u.drift));
      for (const cut of [0, 3, 29, 31, 77, 150]) {
        const first = cvmOnline(reference, calibration);
        const before = run(first, stream.slice(0, cut));
        const saved = JSON.parse(JSON.stringify(first.state)) as CvmOnlineState;
        const after = run(
          cvmOnline(reference, JSON.parse(JSON.stringify(calibration)), saved),
          stream.slice(cut),
        );
        assert.deepEqual([...before, ...after], whole, `cut at ${cut}`);
      }
    });
  }

  it("gives the same statistic whether ties are counted or broken, on data without ties", () => {
    const reference = normals(120, 9);
    const calibration = calibrate(
      reference,
      { type: "cvm", ert: 50, window_sizes: [6, 25], n_bootstraps: 1000 },
      1,
    );
    const never = { ...calibration, thresholds: calibration.thresholds.map(() => null) };
    const stream = normals(80, 10);
    const counted = run(cvmOnline(reference, { ...never, ties: "count" }), stream);
    const broken = run(cvmOnline(reference, { ...never, ties: "break" }), stream);
    counted.forEach((u, i) => {
      u.statistics.forEach((s, k) => {
        const b = broken[i].statistics[k];
        assert.ok(s === b || Math.abs((s as number) - (b as number)) < 1e-12, `event ${i + 1}`);
      });
    });
  });

  it("breaks ties between the stream and the reference at random, the same way for the same seed", () => {
    const reference = Array.from({ length: 100 }, (_, i) => i % 4);
    const calibrated = calibrate(
      reference,
      { type: "cvm", ert: 50, window_sizes: [10], n_bootstraps: 1000 },
      1,
    );
    assert.equal(calibrated.ties, "break");
    const never = { ...calibrated, thresholds: calibrated.thresholds.map(() => null) };
    const stream = Array.from({ length: 30 }, (_, i) => (i * 7) % 4);
    const a = run(cvmOnline(reference, never), stream).map((u) => u.statistics[0]);
    assert.deepEqual(
      run(cvmOnline(reference, never), stream).map((u) => u.statistics[0]),
      a,
    );
    const other = run(cvmOnline(reference, { ...never, seed: 2 }), stream).map((u) => u.statistics[0]);
    assert.notDeepEqual(other, a);
    const counted = run(cvmOnline(reference, { ...never, ties: "count" }), stream).map(
      (u) => u.statistics[0],
    );
    assert.notDeepEqual(counted, a);
  });

  it("keeps at most max(window_sizes) values in its state", () => {
    const reference = normals(50, 4);
    const calibration = calibrate(
      reference,
      { type: "cvm", ert: 20, window_sizes: [3, 8], n_bootstraps: 1000 },
      1,
    );
    const detector = cvmOnline(reference, {
      ...calibration,
      thresholds: calibration.thresholds.map(() => null),
    });
    const stream = normals(20, 6);
    run(detector, stream);
    assert.deepEqual(detector.state, { t: 20, values: stream.slice(12), events: 20 });
  });

  it("rejects non-finite values with a RangeError and leaves its state unchanged", () => {
    const reference = normals(50, 4);
    const calibration = calibrate(
      reference,
      { type: "cvm", ert: 20, window_sizes: [3], n_bootstraps: 500 },
      1,
    );
    const detector = cvmOnline(reference, calibration);
    detector.update(0.5);
    for (const bad of [
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      "1" as unknown as number,
    ]) {
      assert.throws(() => detector.update(bad), RangeError);
    }
    assert.deepEqual(detector.state, { t: 1, values: [0.5], events: 1 });
  });

  it("rejects a reference, calibration or state it cannot use", () => {
    const reference = normals(50, 4);
    const calibration = calibrate(
      reference,
      { type: "cvm", ert: 20, window_sizes: [3], n_bootstraps: 500 },
      1,
    );
    assert.throws(() => cvmOnline(reference.slice(1), calibration), /calibration is for a reference of 50/);
    assert.throws(() => cvmOnline([...reference.slice(1), Number.NaN], calibration), RangeError);
    assert.throws(() => cvmOnline([], calibration), RangeError);
    assert.throws(() => cvmOnline(reference, calibration, { t: 5, values: [1, 2], events: 5 }), RangeError);
    assert.throws(() => cvmOnline(reference, calibration, { t: -1, values: [], events: 0 }), RangeError);
    assert.throws(() => cvmOnline(reference, calibration, { t: 2, values: [1, 2], events: 1 }), RangeError);
  });

  it("gives the same statistic for any order of the reference", () => {
    const reference = normals(80, 7).map((x) => Math.round(x * 4) / 4);
    const shuffled = [...reference].reverse();
    const calibrated = calibrate(
      reference,
      { type: "cvm", ert: 20, window_sizes: [4, 9], n_bootstraps: 500 },
      1,
    );
    const calibration = { ...calibrated, thresholds: calibrated.thresholds.map(() => null) };
    const stream = normals(30, 8).map((x) => Math.round(x * 4) / 4);
    assert.deepEqual(
      run(cvmOnline(shuffled, calibration), stream),
      run(cvmOnline(reference, calibration), stream),
    );
  });
});
