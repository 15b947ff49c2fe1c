import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  componentsForVariance,
  fitPca,
  fitRandomProjection,
  project,
  reconstruct,
  reconstructionErrors,
} from "../../../src/stats/multivariate/reduce.js";
import type { Rows } from "../../../src/stats/multivariate/types.js";
import { seededRandom } from "../../../src/stats/prng.js";

/**
 * Reference values come from test/fixtures/reduction/reduction.py (scikit-learn 1.9.1's PCA and
 * StandardScaler). PCA components are unique only up to sign, so only sign-invariant quantities
 * are compared: variances and their ratios, each component up to one sign, |projections| and
 * reconstructions. Tolerance 1e-9 relative: both sides solve the same symmetric eigenproblem in
 * double precision, and the small eigenvalues of the unstandardised reference (columns in units
 * 1 to 100 apart, a condition number near 1e5) carry a relative rounding error up to about
 * ε·λmax/λ ≈ 1e-11; the worst seen is 6e-13.
 */
const REL_TOL = 1e-9;

interface PcaCase {
  readonly standardize: boolean;
  readonly mean: number[];
  readonly scale: number[] | null;
  readonly explained_variance: number[];
  readonly explained_variance_ratio: number[];
  readonly components: number[][];
  readonly k_for_share: Record<string, number>;
  readonly window_head: number[][];
  readonly window_head_projection_k3: number[][];
  readonly window_head_reconstruction_k3: number[][];
}

interface Fixture {
  readonly reference: number[][];
  readonly wide: number[][];
  readonly pca: { readonly raw: PcaCase; readonly standardized: PcaCase; readonly wide: PcaCase };
}

const fixture = JSON.parse(
  readFileSync(new URL("../../fixtures/reduction/reduction.json", import.meta.url), "utf8"),
) as Fixture;

function toRows(values: readonly (readonly number[])[]): Rows {
  return { n: values.length, dim: values[0].length, data: Float64Array.from(values.flat()) };
}

function assertClose(actual: number, expected: number, what: string, floor = 1e-12): void {
  const error = Math.abs(actual - expected);
  assert.ok(
    error <= REL_TOL * Math.abs(expected) || error <= floor,
    `${what}: ${actual} vs ${expected} (error ${error})`,
  );
}

/** Gaussian rows with a seeded stream (Box–Muller), for property tests. */
function gaussianRows(n: number, dim: number, seed: number, scale = 1): Rows {
  const random = seededRandom(seed);
  const data = new Float64Array(n * dim);
  for (let i = 0; i < data.length; i++) {
    data[i] = scale * Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  }
  return { n, dim, data };
}

const reference = toRows(fixture.reference.slice(0, 400));

describe("componentsForVariance", () => {
  it("keeps the fewest components whose cumulative share is strictly above the target", () => {
    assert.equal(componentsForVariance([0.5, 0.3, 0.2], 0.4), 1);
    assert.equal(componentsForVariance([0.5, 0.3, 0.2], 0.5), 2); // 0.5 is not above 0.5
    assert.equal(componentsForVariance([0.5, 0.25, 0.25], 0.75), 3);
    assert.equal(componentsForVariance([0.5, 0.3, 0.2], 0.99), 3);
  });

  it("never exceeds the number of ratios", () => {
    assert.equal(componentsForVariance([0.6, 0.39999], 0.99999), 2);
  });
});

describe("fitPca", () => {
  for (const name of ["raw", "standardized", "wide"] as const) {
    const expected = fixture.pca[name];
    const rows = name === "wide" ? toRows(fixture.wide) : reference;

    describe(`against scikit-learn (${name})`, () => {
      // The wide case has 6 rows of 10 columns: rank 5, so scikit-learn's 6th component has
      // variance ~1e-33 and is never kept here.
      const rank = name === "wide" ? 5 : 6;
      const all = fitPca(rows, { components: 10, standardize: expected.standardize });

      it("keeps the components of non-zero variance", () => {
        assert.equal(all.components.length, rank);
      });

      it("matches the means and the scaler's scales", () => {
        for (const [j, m] of all.mean.entries()) assertClose(m, expected.mean[j], `mean ${j}`);
        if (expected.scale === null) assert.equal(all.scale, null);
        else
          for (const [j, s] of (all.scale ?? []).entries()) assertClose(s, expected.scale[j], `scale ${j}`);
      });

      it("matches the explained variances and their ratios", () => {
        for (let c = 0; c < rank; c++) {
          assertClose(all.explained_variance[c], expected.explained_variance[c], `variance ${c}`);
          assertClose(all.explained_variance_ratio[c], expected.explained_variance_ratio[c], `ratio ${c}`);
        }
      });

      it("matches each component up to its sign, and is signed as scikit-learn signs it", () => {
        for (let c = 0; c < rank; c++) {
          const ours = all.components[c];
          const theirs = expected.components[c];
          const dot = ours.reduce((s, v, j) => s + v * theirs[j], 0);
          const sign = Math.sign(dot);
          for (const [j, v] of ours.entries()) assertClose(v, sign * theirs[j], `component ${c}[${j}]`);
          assert.equal(sign, 1, `component ${c} sign`);
        }
      });

      it("keeps as many components as PCA(n_components=share)", () => {
        for (const [share, k] of Object.entries(expected.k_for_share)) {
          const fitted = fitPca(rows, { variance: Number(share), standardize: expected.standardize });
          assert.equal(fitted.components.length, Math.min(k, rank), `share ${share}`);
        }
      });

      it("projects and reconstructs rows as transform and inverse_transform do", () => {
        const three = fitPca(rows, { components: 3, standardize: expected.standardize });
        const head = toRows(expected.window_head);
        const projected = project(three, head);
        assert.equal(projected.dim, 3);
        for (const [i, row] of expected.window_head_projection_k3.entries()) {
          for (const [c, v] of row.entries()) {
            assertClose(Math.abs(projected.data[i * 3 + c]), Math.abs(v), `|y[${i}][${c}]|`);
          }
        }
        const back = reconstruct(three, projected);
        for (const [i, row] of expected.window_head_reconstruction_k3.entries()) {
          for (const [j, v] of row.entries()) assertClose(back.data[i * head.dim + j], v, `x̂[${i}][${j}]`);
        }
      });
    });
  }

  it("gives a constant column scale 1 and leaves the other components unchanged", () => {
    const n = reference.n;
    const data = new Float64Array(n * 7);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < 6; j++) data[i * 7 + j] = reference.data[i * 6 + j];
      data[i * 7 + 6] = 5;
    }
    const withConstant = fitPca({ n, dim: 7, data }, { components: 6, standardize: true });
    const without = fitPca(reference, { components: 6, standardize: true });
    assert.equal(withConstant.scale?.[6], 1);
    assert.equal(withConstant.mean[6], 5);
    // The constant column is all zeros once centred: no variance, so rank 6 and the same spectrum.
    assert.equal(withConstant.components.length, 6);
    for (const [c, v] of without.explained_variance.entries()) {
      assertClose(withConstant.explained_variance[c], v, `variance ${c}`);
    }
  });

  it("throws a RangeError for one row, a constant reference or bad options", () => {
    assert.throws(
      () => fitPca({ n: 1, dim: 2, data: Float64Array.of(1, 2) }, { variance: 0.9, standardize: false }),
      {
        name: "RangeError",
        message: /at least 2 reference rows/,
      },
    );
    const constant = { n: 3, dim: 2, data: Float64Array.of(1, 2, 1, 2, 1, 2) };
    assert.throws(() => fitPca(constant, { variance: 0.9, standardize: true }), {
      name: "RangeError",
      message: /every column is constant/,
    });
    assert.throws(() => fitPca(reference, { variance: 1, standardize: true }), RangeError);
    assert.throws(() => fitPca(reference, { components: 0, standardize: true }), RangeError);
  });

  it("is plain JSON: a round trip projects identically", () => {
    const fitted = fitPca(reference, { variance: 0.9, standardize: true });
    const copy = JSON.parse(JSON.stringify(fitted));
    assert.deepEqual(project(copy, reference).data, project(fitted, reference).data);
  });
});

describe("reconstructionErrors", () => {
  it("is the distance between each standardised row and its reconstruction", () => {
    const pca = fitPca(reference, { components: 3, standardize: true });
    const head = toRows(fixture.pca.standardized.window_head);
    const errors = reconstructionErrors(pca, head);
    const back = reconstruct(pca, project(pca, head));
    for (let i = 0; i < head.n; i++) {
      let sum = 0;
      for (let j = 0; j < head.dim; j++) {
        const scale = (pca.scale as number[])[j];
        sum += ((head.data[i * head.dim + j] - back.data[i * head.dim + j]) / scale) ** 2;
      }
      assertClose(errors[i], Math.sqrt(sum), `error ${i}`);
    }
  });

  it("is zero when every component is kept", () => {
    const pca = fitPca(reference, { components: 6, standardize: true });
    for (const e of reconstructionErrors(pca, reference)) assert.ok(e < 1e-12, `${e}`);
  });
});

describe("fitRandomProjection", () => {
  const rows = gaussianRows(50, 384, 3);

  it("draws the same matrix from the same seed and another from another seed", () => {
    const a = fitRandomProjection(rows, { components: 16, seed: 7, standardize: false });
    const b = fitRandomProjection(rows, { components: 16, seed: 7, standardize: false });
    const c = fitRandomProjection(rows, { components: 16, seed: 8, standardize: false });
    assert.deepEqual(a.components, b.components);
    assert.notDeepEqual(a.components, c.components);
    assert.equal(a.components.length, 16);
    assert.equal(a.components[0].length, 384);
  });

  it("has entries of mean 0 and variance 1/k", () => {
    const k = 32;
    const entries = fitRandomProjection(rows, {
      components: k,
      seed: 11,
      standardize: false,
    }).components.flat();
    const mean = entries.reduce((s, v) => s + v, 0) / entries.length;
    const variance = entries.reduce((s, v) => s + (v - mean) ** 2, 0) / entries.length;
    // 12288 draws: the standard error of the mean is 0.0016 and of k·variance about 0.013.
    assert.ok(Math.abs(mean) < 0.01, `mean ${mean}`);
    assert.ok(Math.abs(variance * k - 1) < 0.05, `k·variance ${variance * k}`);
  });

  it("roughly preserves pairwise distances (Johnson–Lindenstrauss)", () => {
    const k = 256;
    const projected = project(
      fitRandomProjection(rows, { components: k, seed: 5, standardize: false }),
      rows,
    );
    const ratios: number[] = [];
    for (let a = 0; a < rows.n; a++) {
      for (let b = a + 1; b < rows.n; b++) {
        let before = 0;
        let after = 0;
        for (let j = 0; j < rows.dim; j++)
          before += (rows.data[a * rows.dim + j] - rows.data[b * rows.dim + j]) ** 2;
        for (let c = 0; c < k; c++) after += (projected.data[a * k + c] - projected.data[b * k + c]) ** 2;
        ratios.push(after / before);
      }
    }
    // Each ratio is about χ²_k / k, standard deviation √(2/k) ≈ 0.09.
    const mean = ratios.reduce((s, v) => s + v, 0) / ratios.length;
    assert.ok(Math.abs(mean - 1) < 0.05, `mean ratio ${mean}`);
    for (const r of ratios) assert.ok(r > 0.6 && r < 1.4, `ratio ${r}`);
  });

  it("throws a RangeError for one reference row or no components", () => {
    assert.throws(
      () =>
        fitRandomProjection(
          { n: 1, dim: 2, data: Float64Array.of(1, 2) },
          { components: 2, seed: 1, standardize: false },
        ),
      RangeError,
    );
    assert.throws(
      () => fitRandomProjection(rows, { components: 0, seed: 1, standardize: false }),
      RangeError,
    );
  });
});

describe("project", () => {
  it("rejects rows with another number of columns", () => {
    const pca = fitPca(reference, { components: 2, standardize: true });
    assert.throws(() => project(pca, { n: 1, dim: 3, data: Float64Array.of(1, 2, 3) }), {
      name: "RangeError",
      message: /3 columns; the reduction was fitted on 6/,
    });
  });
});
