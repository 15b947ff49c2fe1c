/**
 * The little dense linear algebra the Mahalanobis scorer needs: a symmetric eigendecomposition and
 * the pseudo-inverse built from it. Matrices are small (one row and column per feature), so a
 * cyclic Jacobi solver is both simple and accurate: it finds small eigenvalues to high relative
 * accuracy, which is what deciding the rank of a covariance needs.
 */

/** A symmetric eigendecomposition A = V·diag(values)·Vᵀ. */
export interface SymmetricEigen {
  /** Eigenvalues, in no particular order. */
  readonly values: Float64Array;
  /** Eigenvectors as columns of a row-major n×n matrix: vector k is vectors[i·n + k], i = 0..n−1. */
  readonly vectors: Float64Array;
}

/** The sweeps after which the Jacobi solver gives up; it converges quadratically, in under 10. */
const MAX_SWEEPS = 64;

/**
 * Eigenvalues and eigenvectors of a real symmetric n×n matrix (row-major; only its upper triangle
 * is read), by the cyclic Jacobi method with threshold sweeps (Rutishauser 1966; Press et al.,
 * "Numerical Recipes", 3rd ed., §11.1, `Jacobi`). Each rotation zeroes one off-diagonal entry; the
 * sweeps stop when every off-diagonal entry is 0 or negligible against both diagonal entries.
 *
 * Edge cases: a 1×1 or already diagonal matrix returns at once; a matrix with NaN entries never
 * converges and throws an Error (a bug upstream: callers impute missing values first).
 *
 * @example
 * symmetricEigen(Float64Array.of(2, 1, 1, 2), 2).values // [1, 3]
 */
export function symmetricEigen(matrix: ArrayLike<number>, n: number): SymmetricEigen {
  const a = Float64Array.from(matrix);
  const v = new Float64Array(n * n);
  const d = new Float64Array(n);
  const b = new Float64Array(n);
  const z = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    v[i * n + i] = 1;
    d[i] = a[i * n + i];
    b[i] = d[i];
  }
  let s = 0;
  let tau = 0;
  const rotate = (m: Float64Array, i: number, j: number, k: number, l: number): void => {
    const g = m[i * n + j];
    const h = m[k * n + l];
    m[i * n + j] = g - s * (h + g * tau);
    m[k * n + l] = h + s * (g - h * tau);
  };
  for (let sweep = 1; sweep <= MAX_SWEEPS; sweep++) {
    let sm = 0;
    for (let p = 0; p < n - 1; p++) for (let q = p + 1; q < n; q++) sm += Math.abs(a[p * n + q]);
    if (sm === 0) return { values: d, vectors: v };
    // Early sweeps rotate only entries above a threshold, so the big ones go first.
    const tresh = sweep < 4 ? (0.2 * sm) / (n * n) : 0;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        const g = 100 * Math.abs(apq);
        if (sweep > 4 && Math.abs(d[p]) + g === Math.abs(d[p]) && Math.abs(d[q]) + g === Math.abs(d[q])) {
          // Below the rounding of both diagonal entries: dropping it changes no eigenvalue.
          a[p * n + q] = 0;
        } else if (Math.abs(apq) > tresh) {
          let h = d[q] - d[p];
          let t: number;
          if (Math.abs(h) + g === Math.abs(h)) {
            t = apq / h;
          } else {
            const theta = (0.5 * h) / apq;
            t = 1 / (Math.abs(theta) + Math.sqrt(1 + theta * theta));
            if (theta < 0) t = -t;
          }
          const c = 1 / Math.sqrt(1 + t * t);
          s = t * c;
          tau = s / (1 + c);
          h = t * apq;
          z[p] -= h;
          z[q] += h;
          d[p] -= h;
          d[q] += h;
          a[p * n + q] = 0;
          for (let j = 0; j < p; j++) rotate(a, j, p, j, q);
          for (let j = p + 1; j < q; j++) rotate(a, p, j, j, q);
          for (let j = q + 1; j < n; j++) rotate(a, p, j, q, j);
          for (let j = 0; j < n; j++) rotate(v, j, p, j, q);
        }
      }
    }
    for (let p = 0; p < n; p++) {
      b[p] += z[p];
      d[p] = b[p];
      z[p] = 0;
    }
  }
  throw new Error(`jacobi eigen solver did not converge in ${MAX_SWEEPS} sweeps (n = ${n})`);
}

/** A pseudo-inverse and the number of eigenvalues it kept. */
export interface PseudoInverse {
  /** The n×n pseudo-inverse, row-major. */
  readonly inverse: Float64Array;
  /** The numerical rank: how many eigenvalues were above the cutoff. */
  readonly rank: number;
}

/**
 * Moore–Penrose pseudo-inverse of a symmetric positive semi-definite matrix (a covariance):
 * A⁺ = Σ_k [λ_k > rcond·λ_max] v_k v_kᵀ / λ_k, which for such a matrix is
 * `numpy.linalg.pinv(a, rcond, hermitian=True)` (singular values are the eigenvalues).
 *
 * Edge cases: eigenvalues at or below the cutoff are dropped, so are negative ones (rounding noise
 * of a semi-definite matrix, which numpy would invert through their absolute value); a zero
 * matrix has rank 0 and pseudo-inverse 0.
 *
 * @example
 * pseudoInverseSymmetric(Float64Array.of(1, 1, 1, 1), 2, 1e-12) // inverse ≈ [0.25, 0.25, 0.25, 0.25], rank 1
 */
export function pseudoInverseSymmetric(matrix: ArrayLike<number>, n: number, rcond: number): PseudoInverse {
  const { values, vectors } = symmetricEigen(matrix, n);
  let top = 0;
  for (const lambda of values) top = Math.max(top, Math.abs(lambda));
  const cutoff = rcond * top;
  const inverse = new Float64Array(n * n);
  let rank = 0;
  for (let k = 0; k < n; k++) {
    const lambda = values[k];
    if (!(lambda > cutoff)) continue;
    rank++;
    for (let i = 0; i < n; i++) {
      const vi = vectors[i * n + k] / lambda;
      if (vi === 0) continue;
      for (let j = 0; j < n; j++) inverse[i * n + j] += vi * vectors[j * n + k];
    }
  }
  // Symmetrise: the two triangles were summed in different orders.
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const m = (inverse[i * n + j] + inverse[j * n + i]) / 2;
      inverse[i * n + j] = m;
      inverse[j * n + i] = m;
    }
  }
  return { inverse, rank };
}
