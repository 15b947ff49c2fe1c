import assert from "node:assert/strict";
import fc from "fast-check";
import { pseudoInverseSymmetric, symmetricEigen } from "../../src/outliers/linalg.js";
import { assertClose } from "../support/stats.js";

/** A random symmetric matrix from fast-check: entries in [-10, 10], n in 1..8. */
const symmetric = fc.integer({ min: 1, max: 8 }).chain((n) =>
  fc
    .array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: n * n, maxLength: n * n })
    .map((raw) => {
      const a = new Float64Array(n * n);
      for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = raw[i * n + j];
      return { n, a };
    }),
);

/** B·Bᵀ for a random n×k matrix B (k ≤ n gives rank ≤ k): a covariance-like PSD matrix. */
const semidefinite = fc
  .tuple(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 7 }))
  .chain(([n, k]) =>
    fc.array(fc.integer({ min: -50, max: 50 }), { minLength: n * k, maxLength: n * k }).map((b) => {
      const a = new Float64Array(n * n);
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) for (let l = 0; l < k; l++) a[i * n + j] += b[i * k + l] * b[j * k + l];
      return { n, a };
    }),
  );

function multiply(a: ArrayLike<number>, b: ArrayLike<number>, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) out[i * n + j] += a[i * n + k] * b[k * n + j];
  return out;
}

/** An upper bound of the spectral norm that does not underflow: n · max |a_ij|. */
function norm(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return Math.sqrt(a.length) * m;
}

describe("symmetric eigendecomposition (Jacobi)", () => {
  it("diagonalises the documented example", () => {
    const { values } = symmetricEigen(Float64Array.of(2, 1, 1, 2), 2);
    assert.deepEqual(Array.from(values).sort(), [1, 3]);
  });

  it("returns orthonormal eigenvectors with A·v = λ·v to 1e-13 of ‖A‖", () => {
    fc.assert(
      fc.property(symmetric, ({ n, a }) => {
        const { values, vectors } = symmetricEigen(a, n);
        const scale = Math.max(norm(a), 1e-300);
        for (let k = 0; k < n; k++) {
          for (let i = 0; i < n; i++) {
            let av = 0;
            for (let j = 0; j < n; j++) av += a[i * n + j] * vectors[j * n + k];
            assertClose(av, values[k] * vectors[i * n + k], 0, 1e-13 * scale, `(A v_${k})_${i}`);
          }
          for (let l = 0; l < n; l++) {
            let dot = 0;
            for (let i = 0; i < n; i++) dot += vectors[i * n + k] * vectors[i * n + l];
            assertClose(dot, k === l ? 1 : 0, 0, 1e-13, `v_${k}·v_${l}`);
          }
        }
      }),
    );
  });
});

describe("symmetric pseudo-inverse", () => {
  it("satisfies the Moore–Penrose conditions A·A⁺·A = A and A⁺·A·A⁺ = A⁺ on semi-definite matrices", () => {
    fc.assert(
      fc.property(semidefinite, ({ n, a }) => {
        const { inverse } = pseudoInverseSymmetric(a, n, 1e-12);
        const scale = norm(a);
        const aaa = multiply(multiply(a, inverse, n), a, n);
        for (let i = 0; i < n * n; i++) assertClose(aaa[i], a[i], 0, 1e-9 * scale + 1e-300, `(A A⁺ A)[${i}]`);
        const pap = multiply(multiply(inverse, a, n), inverse, n);
        const pscale = norm(inverse);
        for (let i = 0; i < n * n; i++)
          assertClose(pap[i], inverse[i], 0, 1e-9 * pscale + 1e-300, `(A⁺ A A⁺)[${i}]`);
      }),
    );
  });

  it("finds the rank of a B·Bᵀ product", () => {
    // B is 4×2 with independent columns: rank 2
    const b = [1, 0, 2, 1, 3, -1, 0, 5];
    const a = new Float64Array(16);
    for (let i = 0; i < 4; i++)
      for (let j = 0; j < 4; j++) a[i * 4 + j] = b[i * 2] * b[j * 2] + b[i * 2 + 1] * b[j * 2 + 1];
    assert.equal(pseudoInverseSymmetric(a, 4, 1e-12).rank, 2);
  });

  it("inverts the documented rank-1 example and gives 0 for a zero matrix", () => {
    const { inverse, rank } = pseudoInverseSymmetric(Float64Array.of(1, 1, 1, 1), 2, 1e-12);
    assert.equal(rank, 1);
    for (const v of inverse) assertClose(v, 0.25, 1e-15, 0, "entry");
    assert.deepEqual(pseudoInverseSymmetric(new Float64Array(9), 3, 1e-12), {
      inverse: new Float64Array(9),
      rank: 0,
    });
  });
});
