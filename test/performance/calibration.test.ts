import assert from "node:assert/strict";
import fc from "fast-check";
import {
  addCalibration,
  calibrationBin,
  emptyCalibrationBins,
  expectedCalibrationError,
  mergeCalibration,
} from "../../src/performance/calibration.js";

describe("calibrationBin", () => {
  it("puts a confidence on an edge k/B in the bin below it, 0 in the first and 1 in the last", () => {
    assert.equal(calibrationBin(0, 10), 0);
    assert.equal(calibrationBin(0.1, 10), 0);
    assert.equal(calibrationBin(0.30000000000000004, 10), 3); // just above the double 0.3
    assert.equal(calibrationBin(0.3, 10), 2);
    assert.equal(calibrationBin(0.7, 10), 6);
    assert.equal(calibrationBin(0.7000000000000001, 10), 7);
    assert.equal(calibrationBin(1, 10), 9);
    assert.equal(calibrationBin(0.5, 1), 0);
  });

  it("agrees with counting the edges k/B strictly below the confidence (numpy's searchsorted left)", () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 1, max: 50 }), (c, bins) => {
        let below = 0;
        for (let k = 1; k < bins; k++) if (k / bins < c) below++;
        assert.equal(calibrationBin(c, bins), below);
      }),
    );
  });
});

describe("expectedCalibrationError", () => {
  it("is the count-weighted gap between accuracy and mean confidence", () => {
    const s = emptyCalibrationBins();
    addCalibration(s, 0.9, true);
    addCalibration(s, 0.9, false);
    assert.equal(expectedCalibrationError(s), 0.4);
    addCalibration(s, 0.25, false);
    // (|1 − 1.8| + |0 − 0.25|) / 3
    assert.equal(expectedCalibrationError(s), (0.8 + 0.25) / 3);
  });

  it("is null without observations and rejects a bin count that is not a positive integer", () => {
    assert.equal(expectedCalibrationError(emptyCalibrationBins()), null);
    assert.throws(() => emptyCalibrationBins(0), /calibration bins must be a positive integer \(got 0\)/);
    assert.throws(() => emptyCalibrationBins(2.5), /got 2.5/);
  });

  it("is in [0, 1] and unchanged by merging", () => {
    const item = fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.boolean());
    fc.assert(
      fc.property(fc.array(item), fc.array(item), (a, b) => {
        const sa = emptyCalibrationBins();
        const sb = emptyCalibrationBins();
        const all = emptyCalibrationBins();
        for (const [c, ok] of a) addCalibration(sa, c, ok);
        for (const [c, ok] of b) addCalibration(sb, c, ok);
        for (const [c, ok] of [...a, ...b]) addCalibration(all, c, ok);
        const merged = mergeCalibration(sa, sb);
        assert.deepEqual(merged.count, all.count);
        assert.deepEqual(merged.correct, all.correct);
        const e = expectedCalibrationError(merged);
        const one = expectedCalibrationError(all);
        if (one === null) assert.equal(e, null);
        else {
          assert.ok(e !== null && e >= 0 && e <= 1);
          assert.ok(Math.abs(e - one) <= 1e-15, `${e} vs ${one}`);
        }
      }),
    );
  });
});
