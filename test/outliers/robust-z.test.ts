import assert from "node:assert/strict";
import fc from "fast-check";
import { CONSTANT_DEPARTURE_SCORE, fitRobustZ, robustZScore } from "../../src/outliers/robust-z.js";
import { assertClose } from "../support/stats.js";
import { fixture } from "./fixture.js";

/**
 * Medians and MADs are order statistics and match numpy/scipy bit for bit. The mean-absolute-deviation
 * fallback sums in a different order from np.mean, so it and the scores get 1e-14 relative.
 */
const SCORE_RTOL = 1e-14;

describe("robust z-score", () => {
  for (const c of fixture.univariate) {
    describe(`fixture ${c.name}`, () => {
      const model = fitRobustZ(c.reference);

      it("fits the medians of numpy.median bit for bit", () => {
        assert.deepEqual(
          model.median,
          c.features.map((f) => f.median),
        );
      });

      it("fits the scale of scipy's median_abs_deviation(scale='normal'), or the mean-AD fallback", () => {
        c.features.forEach((f, j) => {
          if (f.mad > 0) assert.equal(model.scale[j], f.mad_normal, `feature ${j}`);
          else assertClose(model.scale[j], f.sigma, SCORE_RTOL, 0, `feature ${j} (MAD 0)`);
        });
      });

      it("scores the query rows as the numpy reference does", () => {
        c.queries.forEach((row, i) => {
          const expected = c.robust_z[i];
          const got = robustZScore(model, row);
          if (expected === CONSTANT_DEPARTURE_SCORE) assert.equal(got, expected, `query ${i}`);
          else assertClose(got, expected, SCORE_RTOL, 0, `query ${i}`);
        });
      });
    });
  }

  it("takes the maximum over features and skips missing ones", () => {
    const model = fitRobustZ([
      [1, 10],
      [2, 20],
      [3, 30],
      [4, 40],
      [100, 50],
    ]);
    // medians 3 and 30; MADs 1 and 10
    const z0 = 4 / (1 / 0.6744897501960817);
    assert.equal(robustZScore(model, [7, 30]), z0);
    assert.equal(robustZScore(model, [7, 70]), robustZScore(model, [3, 70]));
    assert.equal(robustZScore(model, [null, 30]), 0);
    assert.equal(robustZScore(model, [Number.NaN, null]), 0);
  });

  it("falls back to the mean absolute deviation when the MAD is 0, and flags departures from a constant", () => {
    const model = fitRobustZ([
      [0, 5],
      [0, 5],
      [0, 5],
      [1, 5],
      [3, 5],
    ]);
    // feature 0: median 0, MAD 0, mean |x| = 0.8; feature 1 constant
    assert.equal(model.scale[0], 1.2533141373155001 * 0.8);
    assert.equal(model.scale[1], 0);
    assert.equal(robustZScore(model, [0, 5]), 0);
    assert.equal(robustZScore(model, [0, 5.5]), CONSTANT_DEPARTURE_SCORE);
  });

  it("caps at the largest double when a subnormal scale would overflow to Infinity", () => {
    // found by the conformance suite: values 0, 0, 1e-323 give a mean-AD scale of 5e-324
    const model = fitRobustZ([[0], [0], [1e-323]]);
    assert.equal(model.scale[0], 5e-324);
    assert.equal(robustZScore(model, [1e-15]), CONSTANT_DEPARTURE_SCORE);
    assert.equal(robustZScore(fitRobustZ([[-1], [0], [1e-300]]), [1.7e308]), CONSTANT_DEPARTURE_SCORE);
  });

  it("is unchanged when every value is scaled by a power of two", () => {
    // Normal doubles only: a power-of-two scaling is exact unless it reaches the subnormals.
    const value = fc
      .double({ min: -1e6, max: 1e6, noNaN: true })
      .filter((x) => x === 0 || Math.abs(x) > 1e-200);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(value, value), { minLength: 1, maxLength: 40 }),
        fc.tuple(value, value),
        fc.integer({ min: -20, max: 20 }),
        (rows, query, k) => {
          const f = 2 ** k;
          const scaled = rows.map(([a, b]) => [a * f, b * f]);
          const m1 = fitRobustZ(rows);
          const m2 = fitRobustZ(scaled);
          assert.equal(robustZScore(m2, [query[0] * f, query[1] * f]), robustZScore(m1, query));
        },
      ),
    );
  });

  it("throws on a row of the wrong length", () => {
    const model = fitRobustZ([[1, 2]]);
    assert.throws(() => robustZScore(model, [1]), /row has 1 features, the model has 2/);
  });
});
