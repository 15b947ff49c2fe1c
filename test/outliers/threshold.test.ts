import assert from "node:assert/strict";
import { fitRobustZ, robustZ, robustZScore } from "../../src/outliers/robust-z.js";
import { calibrate, referenceThreshold } from "../../src/outliers/threshold.js";
import { assertClose } from "../support/stats.js";
import { fixture } from "./fixture.js";

describe("threshold", () => {
  for (const c of fixture.percentiles) {
    it(`matches numpy.percentile bit for bit on ${c.name}`, () => {
      c.percentiles.forEach((p, i) => {
        assert.equal(referenceThreshold(c.values, { percentile: p }), c.expected[i], `percentile ${p}`);
      });
    });
  }

  it("defaults to the 99th percentile, and takes the scores in any order", () => {
    assert.equal(referenceThreshold([5, 1, 4, 2, 3]), 4.96);
    assert.equal(referenceThreshold([1, 2, 3, 4, 5], { percentile: null }), 4.96);
  });

  it("returns an explicit value as given, even with no reference scores", () => {
    assert.equal(referenceThreshold([], { value: 3.5 }), 3.5);
    assert.throws(() => referenceThreshold([]), /no reference scores/);
  });

  for (const c of fixture.univariate) {
    it(`takes numpy's percentiles of the reference robust z-scores (${c.name})`, () => {
      const model = fitRobustZ(c.reference);
      const scores = c.reference.map((row) => robustZScore(model, row));
      for (const [p, expected] of Object.entries(c.percentiles)) {
        assertClose(referenceThreshold(scores, { percentile: Number(p) }), expected, 1e-14, 0, `p${p}`);
      }
    });
  }

  it("calibrates a scorer on its reference so about 1 % of reference rows are above the threshold", () => {
    const reference = Array.from({ length: 1000 }, (_, i) => [Math.sin(i) * 10 + (i % 7)]);
    const { model, threshold } = calibrate(robustZ, reference, {});
    const above = reference.filter((row) => robustZ.score(model, row) > threshold).length;
    assert.ok(above >= 5 && above <= 10, `${above} rows above`);
    assert.equal(calibrate(robustZ, reference, {}, { value: 3 }).threshold, 3);
  });
});
