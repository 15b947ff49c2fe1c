import assert from "node:assert/strict";
import { calibrate } from "../../../src/stats/online/calibrate.js";
import { type FetOnlineState, fetOnline, fetStatistics, hypergeomSf } from "../../../src/stats/online/fet.js";
import type { OnlineUpdate } from "../../../src/stats/online/types.js";
import { seededRandom } from "../../../src/stats/prng.js";
import { casesOf, fetCalibrationWith } from "./fixture.js";

/**
 * Reference values come from test/fixtures/online/online.py (alibi-detect 0.13.0, scipy 1.17.1).
 * The smoothed statistic is deterministic: it must agree with alibi-detect's, recomputed in
 * float64 by alibi-detect's own `score`, to 1e-12 absolute (scipy's hypergeometric cdf and ours
 * differ by a few 1e-16); and with the float32 values alibi-detect returns to 1e-6 (alibi-detect
 * smooths from the float32-rounded previous value, so its rounding accumulates a little).
 */
const STATISTIC_ABS_TOL = 1e-12;
const FLOAT32_ABS_TOL = 1e-6;

const run = (detector: { update(x: number): OnlineUpdate }, values: readonly number[]) =>
  values.map((x) => detector.update(x));

const bernoulli = (count: number, p: number, seed: number) => {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => (random() < p ? 1 : 0));
};

describe("fetOnline", () => {
  for (const c of casesOf("FETDriftOnline")) {
    it(`matches alibi-detect's smoothed statistic on every event and window (${c.name})`, () => {
      const none = c.thresholds.map(() => null);
      const updates = run(fetOnline(c.reference, fetCalibrationWith(c, none, none)), c.stream);
      updates.forEach((u, i) => {
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
          assert.ok(Math.abs(s - f32) <= FLOAT32_ABS_TOL, `event ${i + 1}: float32 ${f32}`);
        });
      });
    });

    it(`detects where alibi-detect does with alibi-detect's thresholds (${c.name})`, () => {
      const calibration = fetCalibrationWith(c, c.thresholds, c.permit_probabilities ?? []);
      const updates = run(fetOnline(c.reference, calibration), c.stream);
      const first = updates.find((u) => u.drift);
      if (!c.detection.tie) {
        assert.equal(first?.t ?? null, c.detection.t);
        return;
      }
      // alibi-detect detected on a tie with its float32 threshold, by a numpy draw no port can
      // replay: check that it was a tie here too (to float32 rounding), and that we did not detect earlier.
      const t = c.detection.t as number;
      const at = updates[t - 1];
      const max = Math.max(...at.statistics.filter((s) => s !== null));
      assert.ok(Math.abs(Math.fround(max) - (c.thresholds[t - 1] as number)) <= FLOAT32_ABS_TOL);
      assert.ok(first === undefined || first.t >= t);
    });
  }

  it("gives 1 − hypergeom.cdf: 1 and 0 off the support, exact values by hand inside", () => {
    assert.equal(hypergeomSf(-1, 10, 4, 3), 1);
    assert.equal(hypergeomSf(3, 10, 4, 3), 0);
    // P(X = 0) for 3 draws from 10 with 4 successes is C(6,3)/C(10,3) = 20/120.
    assert.ok(Math.abs(hypergeomSf(0, 10, 4, 3) - 100 / 120) < 1e-15);
    assert.ok(Math.abs(hypergeomSf(2, 10, 4, 3) - 4 / 120) < 1e-15);
  });

  it("tabulates a statistic that rises with the window's ones for greater and falls for less", () => {
    const greater = fetStatistics(200, 60, 20, "greater");
    const less = fetStatistics(200, 60, 20, "less");
    for (let s = 1; s <= 20; s++) {
      assert.ok(greater[s] >= greater[s - 1]);
      assert.ok(less[s] <= less[s - 1]);
    }
  });

  it("breaks a tie with its threshold by the permit probability, from a seeded draw", () => {
    const reference = [...Array(50).fill(0), ...Array(50).fill(1)];
    const constant = fetStatistics(100, 50, 4, "greater")[2];
    const calibration = (permit: number) =>
      fetCalibrationWith(
        {
          ...casesOf("FETDriftOnline")[0],
          reference,
          options: { ert: 10, window_sizes: [4], n_bootstraps: 100 },
        },
        [null, null, null, constant, constant],
        [null, null, null, permit, permit],
      );
    const stream = [0, 1, 0, 1];
    assert.equal(run(fetOnline(reference, calibration(1)), stream)[3].drift, false);
    assert.equal(run(fetOnline(reference, calibration(0)), stream)[3].drift, true);
    const detector = fetOnline(reference, calibration(0.5));
    const decisions = Array.from({ length: 400 }, () => {
      const u = run(detector, stream)[3];
      detector.reset();
      return u.drift;
    });
    const rate = decisions.filter(Boolean).length / decisions.length;
    assert.ok(Math.abs(rate - 0.5) < 0.1, `drift on ${rate} of ties`);
    assert.equal(detector.state.tie_draws, 400);
  });

  it("round-trips its state through JSON and resumes with the same statistics and decisions", () => {
    const reference = bernoulli(300, 0.4, 1);
    const calibration = calibrate(
      reference,
      { type: "fet", ert: 50, window_sizes: [10, 20], n_bootstraps: 2000 },
      2,
    );
    const stream = [...bernoulli(100, 0.4, 3), ...bernoulli(100, 0.75, 4)];
    const whole = run(fetOnline(reference, calibration), stream);
    for (const cut of [0, 1, 9, 10, 19, 64, 150]) {
      const first = fetOnline(reference, calibration);
      const before = run(first, stream.slice(0, cut));
      const saved = JSON.parse(JSON.stringify(first.state)) as FetOnlineState;
      const after = run(
        fetOnline(reference, JSON.parse(JSON.stringify(calibration)), saved),
        stream.slice(cut),
      );
      assert.deepEqual([...before, ...after], whole, `cut at ${cut}`);
    }
    assert.ok(whole.some((u) => u.drift));
  });

  it("takes booleans as 0 and 1", () => {
    const reference = bernoulli(100, 0.3, 5);
    const calibration = calibrate(
      reference,
      { type: "fet", ert: 30, window_sizes: [5], n_bootstraps: 1000 },
      1,
    );
    const stream = bernoulli(40, 0.3, 6);
    assert.deepEqual(
      stream.map((x) => fetOnline(reference.map(Boolean), calibration).update(x === 1)),
      stream.map((x) => fetOnline(reference, calibration).update(x)),
    );
  });

  it("rejects values other than 0, 1, false and true with a RangeError, leaving its state unchanged", () => {
    const reference = bernoulli(100, 0.3, 5);
    const calibration = calibrate(
      reference,
      { type: "fet", ert: 30, window_sizes: [5], n_bootstraps: 1000 },
      1,
    );
    const detector = fetOnline(reference, calibration);
    detector.update(1);
    for (const bad of [2, 0.5, -1, Number.NaN, Number.POSITIVE_INFINITY, "1" as unknown as number]) {
      assert.throws(() => detector.update(bad), RangeError, String(bad));
    }
    assert.deepEqual(detector.state, { t: 1, values: [1], smoothed: [null], tie_draws: 0 });
  });

  it("rejects a reference that is not binary or has a single value", () => {
    const options = { type: "fet", ert: 30, window_sizes: [5], n_bootstraps: 1000 } as const;
    assert.throws(() => calibrate([0, 1, 2], options, 1), /must be 0, 1, false or true/);
    assert.throws(() => calibrate([0, 1, 0.5], options, 1), RangeError);
    assert.throws(() => calibrate([0, 0, 0], options, 1), /all 0s/);
    assert.throws(() => calibrate([1, 1], options, 1), /all 1s/);
    assert.throws(() => calibrate([], options, 1), RangeError);
  });

  it("rejects a calibration made for another reference", () => {
    const reference = bernoulli(100, 0.3, 5);
    const calibration = calibrate(
      reference,
      { type: "fet", ert: 30, window_sizes: [5], n_bootstraps: 1000 },
      1,
    );
    const flipped = reference.map((x, i) => (i === reference.indexOf(0) ? 1 : x));
    assert.throws(() => fetOnline(flipped, calibration), /calibration is for a reference of 100 values/);
  });
});
