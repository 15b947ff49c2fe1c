import assert from "node:assert/strict";
import fc from "fast-check";
import { covariance, fitMahalanobis, mahalanobisScore } from "../../src/outliers/mahalanobis.js";
import { assertClose } from "../support/stats.js";
import { fixture } from "./fixture.js";

/**
 * Tolerances. The mean is summed in another order than numpy's axis-0 reduction: 1e-13 of the
 * feature's spread. Covariances come from different summation orders (numpy uses BLAS): 1e-12 of
 * sqrt(Σ_ii·Σ_jj). Distances go through an eigendecomposition (Jacobi here, LAPACK's in numpy)
 * whose rounding is amplified by the condition number of the correlation matrix: 1e-12 relative.
 * The worst error seen on these fixtures is 1.7e-15.
 */
const MEAN_RTOL = 1e-13;
const COV_RTOL = 1e-12;
const DISTANCE_RTOL = 1e-12;

describe("mahalanobis", () => {
  for (const c of fixture.mahalanobis) {
    describe(`fixture ${c.name}`, () => {
      const model = fitMahalanobis(c.reference);
      const d = c.mean.length;

      it("imputes missing features with numpy's median and fits numpy's mean", () => {
        assert.deepEqual(model.median, c.median);
        c.mean.forEach((m, j) => {
          assertClose(
            model.mean[j],
            m,
            0,
            MEAN_RTOL * Math.max(Math.sqrt(c.cov[j][j]), Math.abs(m)),
            `mean ${j}`,
          );
        });
      });

      it("computes numpy.cov (ddof 1) of the imputed reference", () => {
        const rows = c.reference.map((row) =>
          Float64Array.from(row, (v, j) => (v === null ? c.median[j] : v)),
        );
        const { cov } = covariance(rows, d);
        for (let i = 0; i < d; i++) {
          for (let j = 0; j < d; j++) {
            const scale = Math.sqrt(c.cov[i][i] * c.cov[j][j]);
            assertClose(
              cov[i * d + j],
              c.cov[i][j],
              0,
              Math.max(COV_RTOL * scale, 1e-300),
              `cov[${i}][${j}]`,
            );
          }
        }
      });

      it("finds the rank of the correlation matrix that numpy.linalg.matrix_rank finds", () => {
        assert.equal(model.rank, c.rank);
      });

      it("has a precision that inverts numpy.cov (ddof 1) on its span", () => {
        // Σ·P·Σ = Σ (a Moore–Penrose condition), checked entrywise against numpy's Σ.
        const cov = c.cov;
        const precision = model.inverse_correlation.map((row, a) =>
          row.map((v, b) => v / (model.scale[a] * model.scale[b])),
        );
        const sp = cov.map((row) =>
          Array.from({ length: d }, (_, j) => row.reduce((s, v, k) => s + v * precision[k][j], 0)),
        );
        for (let i = 0; i < d; i++) {
          for (let j = 0; j < d; j++) {
            const sps = sp[i].reduce((s, v, k) => s + v * cov[k][j], 0);
            const scale = Math.sqrt(cov[i][i] * cov[j][j]);
            assertClose(sps, cov[i][j], 0, Math.max(1e-9 * scale, 1e-300), `(ΣPΣ)[${i}][${j}]`);
          }
        }
      });

      it("gives numpy's distances (pseudo-inverse of the correlation matrix, rcond 1e-12)", () => {
        c.queries.forEach((row, i) => {
          assertClose(mahalanobisScore(model, row), c.distance[i], DISTANCE_RTOL, 1e-12, `query ${i}`);
        });
      });

      if (c.distance_scipy !== undefined) {
        const scipy = c.distance_scipy;
        it("agrees with scipy.spatial.distance.mahalanobis under numpy.linalg.inv(cov)", () => {
          c.queries.forEach((row, i) => {
            assertClose(mahalanobisScore(model, row), scipy[i], DISTANCE_RTOL, 0, `query ${i}`);
          });
        });
      }

      if (c.rank_cov_numpy === c.rank) {
        it("agrees with numpy.linalg.pinv(cov) on every deviation inside the reference's span", () => {
          c.queries.forEach((row, i) => {
            const expected = c.distance_pinv[i];
            if (expected !== null)
              assertClose(mahalanobisScore(model, row), expected, DISTANCE_RTOL, 1e-12, `query ${i}`);
          });
        });
      }
    });
  }

  it("keeps a full rank where numpy's default pinv(cov) loses one to the units (1e6 beside 1e-6)", () => {
    const c = fixture.mahalanobis.find((m) => m.name === "units_1e6_1e-6");
    assert.ok(c?.distance_scipy);
    assert.equal(c.rank, 3);
    assert.equal(c.rank_cov_numpy, 2);
    const model = fitMahalanobis(c.reference);
    // pinv(cov) drops the 1e-12-variance direction and is off by 100× on query 1; the scaled one is not
    assert.ok(Math.abs((c.distance_pinv[1] ?? 0) - c.distance_scipy[1]) > 1);
    assertClose(mahalanobisScore(model, c.queries[1]), c.distance_scipy[1], DISTANCE_RTOL, 0, "query 1");
  });

  it("scores the mean 0 and the documented example", () => {
    const model = fitMahalanobis([
      [0, 0],
      [2, 0],
      [0, 2],
      [2, 2],
    ]);
    assert.equal(mahalanobisScore(model, [1, 1]), 0);
    assertClose(mahalanobisScore(model, [3, 1]), 2 / Math.sqrt(4 / 3), 1e-15, 0, "example");
  });

  it("treats a missing feature as the reference median", () => {
    const c = fixture.mahalanobis[0];
    const model = fitMahalanobis(c.reference);
    const row = [...(c.queries[0] as number[])];
    const filled = [...row];
    row[2] = Number.NaN;
    filled[2] = model.median[2];
    assert.equal(mahalanobisScore(model, row), mahalanobisScore(model, filled));
  });

  it("stays finite for a constant reference (rank 0)", () => {
    const model = fitMahalanobis([
      [1, 2],
      [1, 2],
      [1, 2],
    ]);
    assert.equal(model.rank, 0);
    assert.equal(mahalanobisScore(model, [5, -5]), 0);
  });

  it("treats a constant feature whose mean does not round exactly (0.1) like an exact constant", () => {
    const reference = [1, 2, 3, 4, 5, 6, 7].map((x) => [x, 0.1]);
    const exact = fitMahalanobis(reference.map(([x]) => [x, 0]));
    const model = fitMahalanobis(reference);
    assert.notEqual(model.mean[1], 0.1); // the pairwise sum rounds
    assert.equal(model.rank, 1);
    assert.equal(mahalanobisScore(model, [9, 0.2]), mahalanobisScore(exact, [9, 0.1]));
  });

  it("is unchanged when one feature is rescaled by a power of two", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: -1000, max: 1000 })), {
          minLength: 3,
          maxLength: 30,
        }),
        fc.integer({ min: -30, max: 30 }),
        (pairs, k) => {
          const f = 2 ** k;
          const a = fitMahalanobis(pairs.map(([x, y]) => [x, y]));
          const b = fitMahalanobis(pairs.map(([x, y]) => [x * f, y]));
          assert.equal(a.rank, b.rank);
          const [x, y] = pairs[0];
          assert.equal(mahalanobisScore(b, [x * f + f, y - 1]), mahalanobisScore(a, [x + 1, y - 1]));
        },
      ),
    );
  });
});
