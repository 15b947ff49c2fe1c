import assert from "node:assert/strict";
import { fitIqr, iqrScore } from "../../src/outliers/iqr.js";
import { CONSTANT_DEPARTURE_SCORE } from "../../src/outliers/robust-z.js";
import { assertClose } from "../support/stats.js";
import { fixture } from "./fixture.js";

/** Quartiles match np.quantile bit for bit; fences and scores take one more rounding each: 1e-14 relative. */
const SCORE_RTOL = 1e-14;

describe("iqr fences", () => {
  for (const c of fixture.univariate) {
    describe(`fixture ${c.name}`, () => {
      for (const k of [1.5, 3]) {
        const model = fitIqr(c.reference, { k });
        const expected = k === 1.5 ? c["iqr_k1.5"] : c.iqr_k3;

        it(`puts the fences at np.quantile's Q1 − ${k}·IQR and Q3 + ${k}·IQR`, () => {
          c.features.forEach((f, j) => {
            const iqr = f.q3 - f.q1;
            assert.equal(model.lower[j], f.q1 - k * iqr, `lower fence of feature ${j}`);
            assert.equal(model.upper[j], f.q3 + k * iqr, `upper fence of feature ${j}`);
            assert.equal(model.unit[j], f.unit, `unit of feature ${j}`);
          });
        });

        it(`scores the query rows as the numpy reference does (k = ${k})`, () => {
          c.queries.forEach((row, i) => {
            const got = iqrScore(model, row);
            if (expected[i] === CONSTANT_DEPARTURE_SCORE) assert.equal(got, expected[i], `query ${i}`);
            else assertClose(got, expected[i], SCORE_RTOL, 0, `query ${i}`);
          });
        });
      }
    });
  }

  it("defaults to k = 1.5 and measures distance beyond the fence in IQRs", () => {
    const model = fitIqr([[1], [2], [3], [4], [5]]); // Q1 2, Q3 4, IQR 2, fences [-1, 7]
    assert.deepEqual(model, { lower: [-1], upper: [7], unit: [2] });
    assert.equal(iqrScore(model, [7]), 0);
    assert.equal(iqrScore(model, [9]), 1);
    assert.equal(iqrScore(model, [-4]), 1.5);
  });

  it("skips missing features and scores a fully missing row 0", () => {
    const model = fitIqr([
      [1, 1],
      [2, 2],
      [3, 3],
      [4, 4],
    ]);
    assert.equal(iqrScore(model, [null, 100]), iqrScore(model, [2.5, 100]));
    assert.equal(iqrScore(model, [Number.NaN, undefined]), 0);
  });

  it("uses the range as the unit when the IQR is 0, and flags departures from a constant", () => {
    const model = fitIqr([
      [0, 9],
      [0, 9],
      [0, 9],
      [0, 9],
      [0, 9],
      [4, 9],
    ]);
    assert.deepEqual(model.unit, [4, 0]);
    assert.equal(iqrScore(model, [8, 9]), 2);
    assert.equal(iqrScore(model, [0, 9.001]), CONSTANT_DEPARTURE_SCORE);
  });
});
