/**
 * The maximum mean discrepancy (MMD) two-sample test with a Gaussian kernel and a permutation
 * p-value (Gretton, Borgwardt, Rasch, Schölkopf & Smola 2012, "A Kernel Two-Sample Test", JMLR 13:
 * 723–773), computed as alibi-detect 0.13's `MMDDrift` computes it: the bandwidth from the median
 * heuristic on the reference (`sigma_median`), the unbiased MMD² estimate from the joint kernel
 * matrix with its diagonal left out (`mmd2_from_kernel_matrix`), and `p = mean(mmd2 <= mmd2_permuted)`
 * over random relabellings of the pooled rows.
 *
 * Written by hand: no maintained JavaScript library computes this test (alibi-detect runs it on
 * PyTorch or TensorFlow tensors), and its cost is two tight loops that typed arrays do well: the
 * pairwise distances (n² · dim multiply-adds, about 0.8 G for 1000 + 1000 rows of 384 dimensions)
 * and one sum over the cross block per permutation. `ml-matrix` would allocate a matrix of row
 * arrays and multiply through generic accessors; plain loops over Float64Array are faster here and
 * allocate nothing per element.
 */

import { seededRandom } from "../prng.js";
import { sortFloat64 } from "../sort.js";
import { refuseUnknownOptions } from "./options.js";
import type { MultivariateResult, MultivariateTest, Rows, RunContext } from "./types.js";

/** The `mmd` test's options, with defaults filled in. */
export interface MmdOptions {
  /** Random relabellings of the pooled rows behind the p-value (alibi-detect's `n_permutations`). */
  readonly permutations: number;
  /** A fixed kernel bandwidth sigma (alibi-detect's `sigma`); null infers it from the reference. */
  readonly bandwidth: number | null;
}

/** What `mmd` learns from the reference: the Gaussian kernel's bandwidth. Plain JSON. */
export interface MmdFitted {
  /** Bandwidth sigma of k(x, y) = exp(-‖x − y‖² / (2σ²)). */
  readonly sigma: number;
}

/**
 * The bandwidth used when the median squared distance is 0 (more than half of the pairs are equal
 * rows, e.g. a constant reference). alibi-detect would take sigma = sqrt(0.5 · 1e-30) from its
 * distance clamp (or a round-off value), a kernel that only tells identical rows apart; 1 keeps the
 * kernel meaningful in the features' own units instead.
 */
export const MEDIAN_BANDWIDTH_FALLBACK = 1;

const DEFAULT_PERMUTATIONS = 100;
const MAX_PERMUTATIONS = 100_000;

function checkRows(rows: Rows, what: string): void {
  if (!Number.isInteger(rows.n) || rows.n < 2) {
    throw new RangeError(`mmd needs at least 2 ${what} rows (got ${rows.n})`);
  }
  if (!Number.isInteger(rows.dim) || rows.dim < 1) {
    throw new RangeError(`mmd needs at least 1 dimension in the ${what} rows (got ${rows.dim})`);
  }
  if (rows.data.length !== rows.n * rows.dim) {
    throw new RangeError(
      `${what} rows hold ${rows.data.length} numbers, not n × dim = ${rows.n} × ${rows.dim} = ${rows.n * rows.dim}`,
    );
  }
}

function checkSameDim(x: Rows, y: Rows): void {
  if (x.dim !== y.dim)
    throw new RangeError(`mmd compares rows of equal dimension (got ${x.dim} and ${y.dim})`);
}

/**
 * ‖a_i − b_j‖² for row i of `a` (starting at `ai`) and row j of `b` (starting at `bj`): squares of
 * the even coordinates summed in one lane, of the odd ones in another (a last odd coordinate joins
 * the even lane), then the two lanes added. {@link fillDistances} sums every pair in this same
 * order, so a distance is the same double whichever routine computed it, and symmetric bit for
 * bit (swapping the rows only flips the signs of the differences).
 *
 * The difference form is used rather than alibi-detect's ‖x‖² + ‖y‖² − 2x·y, which loses digits
 * when the rows lie far from the origin compared with their distance; the two agree to about
 * 1e-16 · ‖x‖² / ‖x − y‖² relative.
 */
export function rowDistance(
  a: ArrayLike<number>,
  ai: number,
  b: ArrayLike<number>,
  bj: number,
  dim: number,
): number {
  let even = 0;
  let odd = 0;
  let k = 0;
  for (; k + 1 < dim; k += 2) {
    const d = a[ai + k] - b[bj + k];
    even += d * d;
    const e = a[ai + k + 1] - b[bj + k + 1];
    odd += e * e;
  }
  if (k < dim) {
    const d = a[ai + k] - b[bj + k];
    even += d * d;
  }
  return even + odd;
}

/**
 * The four distances between rows (a0, a0 + dim) of `x` and (b0, b0 + dim) of `y`, into
 * `out[at]`, `out[at + 1]`, `out[at + stride]`, `out[at + stride + 1]`, each summed in the order
 * of {@link rowDistance}. A function of its own so that V8 optimises it as a whole (inlined into
 * the block loop, it ran three times slower).
 */
function distanceTile(
  x: Float64Array,
  a0: number,
  y: Float64Array,
  b0: number,
  dim: number,
  out: Float64Array,
  at: number,
  stride: number,
): void {
  const a1 = a0 + dim;
  const b1 = b0 + dim;
  let s00 = 0;
  let s01 = 0;
  let s10 = 0;
  let s11 = 0;
  let t00 = 0;
  let t01 = 0;
  let t10 = 0;
  let t11 = 0;
  let k = 0;
  for (; k + 1 < dim; k += 2) {
    const x0 = x[a0 + k];
    const x1 = x[a1 + k];
    const y0 = y[b0 + k];
    const y1 = y[b1 + k];
    let d = x0 - y0;
    s00 += d * d;
    d = x0 - y1;
    s01 += d * d;
    d = x1 - y0;
    s10 += d * d;
    d = x1 - y1;
    s11 += d * d;
    const u0 = x[a0 + k + 1];
    const u1 = x[a1 + k + 1];
    const v0 = y[b0 + k + 1];
    const v1 = y[b1 + k + 1];
    d = u0 - v0;
    t00 += d * d;
    d = u0 - v1;
    t01 += d * d;
    d = u1 - v0;
    t10 += d * d;
    d = u1 - v1;
    t11 += d * d;
  }
  if (k < dim) {
    const x0 = x[a0 + k];
    const x1 = x[a1 + k];
    const y0 = y[b0 + k];
    const y1 = y[b1 + k];
    let d = x0 - y0;
    s00 += d * d;
    d = x0 - y1;
    s01 += d * d;
    d = x1 - y0;
    s10 += d * d;
    d = x1 - y1;
    s11 += d * d;
  }
  out[at] = s00 + t00;
  out[at + 1] = s01 + t01;
  out[at + stride] = s10 + t10;
  out[at + stride + 1] = s11 + t11;
}

/** Rows i of the distance loop kept in cache while the rows j stream past them (even). */
const BLOCK_ROWS = 64;

/**
 * Writes ‖x_i − y_j‖² into `out[i * stride + j]` for every i < nx and j < ny or, when `upper`
 * (x and y the same rows), only for j > i. The hot loop of the test: tiles of 2 × 2 rows share
 * each load between two pairs (about twice as fast in V8 as one pair at a time), and blocks of
 * {@link BLOCK_ROWS} rows i stay in cache while every row j is read once per block.
 */
function fillDistances(
  x: Float64Array,
  nx: number,
  y: Float64Array,
  ny: number,
  dim: number,
  out: Float64Array,
  stride: number,
  upper: boolean,
): void {
  const evenX = nx - (nx % 2);
  const evenY = ny - (ny % 2);
  for (let i0 = 0; i0 < evenX; i0 += BLOCK_ROWS) {
    const i1 = Math.min(i0 + BLOCK_ROWS, evenX);
    for (let j = upper ? i0 : 0; j < evenY; j += 2) {
      const b0 = j * dim;
      for (let i = i0; i < i1; i += 2) {
        const a0 = i * dim;
        if (upper && i >= j) {
          // i === j (same parity): of the tile only (i, i + 1) lies above the diagonal.
          if (i === j) out[i * stride + i + 1] = rowDistance(x, a0, x, a0 + dim, dim);
          continue;
        }
        distanceTile(x, a0, y, b0, dim, out, i * stride + j, stride);
      }
    }
  }
  if (upper) {
    // An odd count leaves the last row, above the diagonal in every other row's column.
    if (nx > evenX) {
      const j = nx - 1;
      for (let i = 0; i < j; i++) out[i * stride + j] = rowDistance(x, i * dim, x, j * dim, dim);
    }
    return;
  }
  if (nx > evenX) {
    const i = nx - 1;
    for (let j = 0; j < ny; j++) out[i * stride + j] = rowDistance(x, i * dim, y, j * dim, dim);
  }
  if (ny > evenY) {
    const j = ny - 1;
    for (let i = 0; i < evenX; i++) out[i * stride + j] = rowDistance(x, i * dim, y, j * dim, dim);
  }
}

/**
 * Pairwise squared Euclidean distances between the rows of `x` and of `y`: an `x.n × y.n`
 * row-major matrix, entry (i, j) = ‖x_i − y_j‖². alibi-detect's `squared_pairwise_distance`,
 * without its clamp at 1e-30 (equal rows give exactly 0 here).
 *
 * @example
 * const x = { n: 2, dim: 2, data: Float64Array.of(0, 0, 3, 4) };
 * squaredDistances(x, x) // Float64Array [0, 25, 25, 0]
 */
export function squaredDistances(x: Rows, y: Rows): Float64Array {
  checkSameDim(x, y);
  const out = new Float64Array(x.n * y.n);
  if (x.data === y.data && x.n === y.n) {
    fillDistances(x.data, x.n, x.data, x.n, x.dim, out, x.n, true);
    mirrorUpper(out, x.n);
  } else {
    fillDistances(x.data, x.n, y.data, y.n, x.dim, out, y.n, false);
  }
  return out;
}

/** Copies the upper triangle of a size × size matrix onto the lower, in tiles that stay in cache. */
function mirrorUpper(matrix: Float64Array, size: number): void {
  const TILE = 64;
  for (let i0 = 0; i0 < size; i0 += TILE) {
    const i1 = Math.min(i0 + TILE, size);
    for (let j0 = i0; j0 < size; j0 += TILE) {
      const j1 = Math.min(j0 + TILE, size);
      for (let i = i0; i < i1; i++) {
        for (let j = Math.max(j0, i + 1); j < j1; j++) matrix[j * size + i] = matrix[i * size + j];
      }
    }
  }
}

/**
 * The Gaussian kernel's bandwidth by the median heuristic (Gretton et al. 2012, section 8), exactly
 * as alibi-detect's `sigma_median(x, y, dist)`: with n = min(x.n, y.n), kept only when `x` and `y`
 * have the same shape and their first n rows are equal (x against itself) and 0 otherwise, sigma =
 * sqrt(0.5 · s[n + (x.n · y.n − n) // 2 − 1]) for s the sorted flattened squared distances. When
 * x is y, the n zeros of the diagonal are skipped and the index lands on the lower median of the
 * distances between distinct rows.
 *
 * When x equals y only the upper triangle is computed and sorted: the off-diagonal distances come
 * in equal pairs (d(i, j) = d(j, i) bit for bit), so that element is the ⌊(U − 1) / 2⌋-th smallest
 * of the U = n(n − 1) / 2 upper-triangle distances.
 *
 * Edge cases: at least 2 rows per side (RangeError otherwise). When that median squared distance
 * is 0 (more than half the pairs are equal rows) or so small that 1 / (2σ²) overflows, returns
 * {@link MEDIAN_BANDWIDTH_FALLBACK} (alibi-detect would return a sigma near 1e-15).
 *
 * @example
 * const x = { n: 3, dim: 1, data: Float64Array.of(0, 1, 3) };
 * medianBandwidth(x, x) // sqrt(0.5 * 4) = 1.4142135623730951 (distances 1, 4, 9)
 */
export function medianBandwidth(x: Rows, y: Rows): number {
  checkRows(x, "first");
  checkRows(y, "second");
  checkSameDim(x, y);
  const { dim } = x;
  let same = x.n === y.n;
  for (let k = 0; same && k < x.data.length; k++) same = x.data[k] === y.data[k];
  let median: number;
  if (same) {
    const n = x.n;
    const full = new Float64Array(n * n);
    fillDistances(x.data, n, x.data, n, dim, full, n, true);
    const upper = new Float64Array((n * (n - 1)) / 2);
    let u = 0;
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) upper[u++] = full[i * n + j];
    }
    median = sortFloat64(upper)[Math.floor((upper.length - 1) / 2)];
  } else {
    const all = squaredDistances(x, y);
    median = sortFloat64(all)[Math.floor(all.length / 2) - 1];
  }
  // 2σ² = median: the kernel divides by it.
  if (!(median > 0) || !Number.isFinite(1 / median)) return MEDIAN_BANDWIDTH_FALLBACK;
  return Math.sqrt(0.5 * median);
}

function checkSigma(sigma: number): number {
  const gamma = 1 / (2 * sigma ** 2);
  if (!(sigma > 0) || !Number.isFinite(gamma) || !Number.isFinite(sigma)) {
    throw new RangeError(
      `the kernel bandwidth must be a positive finite number with finite 1/(2σ²) (got ${sigma})`,
    );
  }
  return gamma;
}

/**
 * The Gaussian RBF kernel k = exp(−d² / (2σ²)) applied to each squared distance, as alibi-detect's
 * `GaussianRBF` with one bandwidth (alibi-detect also averages the kernels of several bandwidths;
 * this takes one). Returns a new array of the same length.
 *
 * @example
 * gaussianKernel(Float64Array.of(0, 2), 1) // Float64Array [1, 0.36787944117144233]
 */
export function gaussianKernel(sqDist: Float64Array, sigma: number): Float64Array {
  const gamma = checkSigma(sigma);
  const out = new Float64Array(sqDist.length);
  for (let i = 0; i < sqDist.length; i++) out[i] = Math.exp(-(gamma * sqDist[i]));
  return out;
}

/**
 * The unbiased estimate of MMD² (Gretton et al. 2012, eq. 3) from the joint (m + n) × (m + n)
 * kernel matrix of a first sample (rows and columns 0 … m − 1) and a second (the last n): the mean
 * kernel within each sample without the diagonal, minus twice the mean across. alibi-detect's
 * `mmd2_from_kernel_matrix(kernel, n, permute, zero_diag=True)`: the diagonal is left out (the
 * matrix is not modified), and with `permutation` the matrix is read as
 * `kernel[permutation][:, permutation]`, i.e. the first m entries of the permutation index the first
 * sample, through index arrays rather than a copy. Does not assume the matrix is symmetric.
 *
 * Edge cases: m and n must be at least 2 (the within-sample means divide by m(m − 1) and n(n − 1)),
 * `kernel` must hold (m + n)² numbers and `permutation` m + n indices (RangeError otherwise).
 *
 * @example
 * // Two samples of 2 rows, kernel 1 within each sample and 0 across: 1 + 1 − 0.
 * mmd2Unbiased(Float64Array.of(1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1), 2, 2) // 2
 */
export function mmd2Unbiased(
  kernel: Float64Array,
  m: number,
  n: number,
  permutation: Int32Array | null = null,
): number {
  if (!Number.isInteger(m) || !Number.isInteger(n) || m < 2 || n < 2) {
    throw new RangeError(`mmd2Unbiased needs at least 2 rows per sample (got m = ${m}, n = ${n})`);
  }
  const size = m + n;
  if (kernel.length !== size * size) {
    throw new RangeError(`the kernel matrix holds ${kernel.length} numbers, not (m + n)² = ${size * size}`);
  }
  if (permutation !== null && permutation.length !== size) {
    throw new RangeError(`the permutation has ${permutation.length} indices, not m + n = ${size}`);
  }
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (let a = 0; a < size; a++) {
    const row = (permutation === null ? a : permutation[a]) * size;
    let first = 0;
    for (let b = 0; b < m; b++) {
      if (b !== a) first += kernel[row + (permutation === null ? b : permutation[b])];
    }
    let second = 0;
    if (a >= m) {
      for (let b = m; b < size; b++) {
        if (b !== a) second += kernel[row + (permutation === null ? b : permutation[b])];
      }
      syy += second;
      sxy += first;
    } else {
      sxx += first;
    }
  }
  return (1 / (m * (m - 1))) * sxx + (1 / (n * (n - 1))) * syy - 2 * (sxy / (m * n));
}

/** Rows of the pooled sample [reference; current], the kernel between them, and its row sums. */
interface JointKernel {
  readonly size: number;
  /** size × size, row-major, symmetric bit for bit, diagonal 0 (alibi's `zero_diag`). */
  readonly kernel: Float64Array;
  /** Sum of each row of `kernel` (diagonal excluded, being 0). */
  readonly rowSums: Float64Array;
}

function jointKernel(reference: Rows, current: Rows, sigma: number): JointKernel {
  const gamma = checkSigma(sigma);
  const { dim } = reference;
  const size = reference.n + current.n;
  const data = new Float64Array(size * dim);
  data.set(reference.data, 0);
  data.set(current.data, reference.n * dim);
  const kernel = new Float64Array(size * size);
  fillDistances(data, size, data, size, dim, kernel, size, true);
  for (let i = 0; i < size; i++) {
    const row = i * size;
    for (let j = i + 1; j < size; j++) kernel[row + j] = Math.exp(-(gamma * kernel[row + j]));
  }
  mirrorUpper(kernel, size);
  const rowSums = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    let s = 0;
    const row = i * size;
    for (let j = 0; j < size; j++) s += kernel[row + j];
    rowSums[i] = s;
  }
  return { size, kernel, rowSums };
}

/**
 * MMD² of the split of the pooled rows into `xs` (first sample, m rows) and `ys` (second, n rows),
 * both ascending. Only the cross block is summed (m · n terms instead of (m + n)²): with the
 * kernel symmetric and its diagonal 0, the within sums are the row sums of each side less it.
 * Depends only on the split, so a relabelling that reproduces the observed split gives the observed
 * statistic bit for bit, as the p-value's `<=` needs.
 */
function splitMmd2(joint: JointKernel, xs: Int32Array, ys: Int32Array): number {
  const { size, kernel, rowSums } = joint;
  const m = xs.length;
  const n = ys.length;
  let sxy = 0;
  let ry = 0;
  for (let a = 0; a < n; a++) {
    const i = ys[a];
    const row = i * size;
    let s = 0;
    for (let b = 0; b < m; b++) s += kernel[row + xs[b]];
    sxy += s;
    ry += rowSums[i];
  }
  let rx = 0;
  for (let b = 0; b < m; b++) rx += rowSums[xs[b]];
  return (1 / (m * (m - 1))) * (rx - sxy) + (1 / (n * (n - 1))) * (ry - sxy) - 2 * (sxy / (m * n));
}

/** The permutation test: observed MMD² and `permutations` MMD² of random relabellings. */
interface PermutationOutcome {
  readonly mmd2: number;
  readonly permuted: Float64Array;
}

/**
 * Draws relabellings with a Fisher–Yates shuffle from `seededRandom(seed)`: one index array,
 * starting at the identity and shuffled in place for each permutation (for i from size − 1 down to
 * 1, swap i with ⌊random() · (i + 1)⌋); its first m entries are the first sample. Each shuffle is
 * uniform whatever the array held before, so the draws are independent.
 */
function permutationTest(
  joint: JointKernel,
  m: number,
  permutations: number,
  seed: number,
): PermutationOutcome {
  const { size } = joint;
  const n = size - m;
  const xs = new Int32Array(m);
  const ys = new Int32Array(n);
  for (let i = 0; i < m; i++) xs[i] = i;
  for (let i = 0; i < n; i++) ys[i] = m + i;
  const mmd2 = splitMmd2(joint, xs, ys);

  const random = seededRandom(seed);
  const order = new Int32Array(size);
  for (let i = 0; i < size; i++) order[i] = i;
  const inFirst = new Uint8Array(size);
  const permuted = new Float64Array(permutations);
  for (let p = 0; p < permutations; p++) {
    for (let i = size - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      const t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    inFirst.fill(0);
    for (let a = 0; a < m; a++) inFirst[order[a]] = 1;
    let x = 0;
    let y = 0;
    for (let i = 0; i < size; i++) {
      if (inFirst[i] === 1) xs[x++] = i;
      else ys[y++] = i;
    }
    permuted[p] = splitMmd2(joint, xs, ys);
  }
  return { mmd2, permuted };
}

const optionsSchema = {
  type: "object",
  description:
    "maximum mean discrepancy with a Gaussian kernel and a permutation p-value (Gretton et al. 2012), as alibi-detect's MMDDrift",
  additionalProperties: false,
  properties: {
    permutations: {
      type: "integer",
      minimum: 1,
      maximum: MAX_PERMUTATIONS,
      default: DEFAULT_PERMUTATIONS,
      description:
        "random relabellings of the pooled reference and current rows behind the p-value (alibi-detect's n_permutations); the p-value's resolution is 1 / permutations",
    },
    bandwidth: {
      type: "number",
      exclusiveMinimum: 0,
      description:
        "fixed bandwidth sigma of the Gaussian kernel exp(-|x - y|² / (2 sigma²)), in the features' units; by default inferred from the reference by the median heuristic (alibi-detect's sigma_median)",
    },
  },
} as const;

/**
 * The `mmd` multivariate drift test: the kernel two-sample test of Gretton et al. 2012 ("A Kernel
 * Two-Sample Test", JMLR 13: 723–773) on whole rows (an embedding, or numeric features together),
 * as alibi-detect 0.13's `MMDDrift(x_ref, p_val=alpha, n_permutations=permutations)`: drift when
 * the permutation p-value is below alpha.
 *
 * `fit` infers the bandwidth from the reference against itself ({@link medianBandwidth}, alibi's
 * `configure_kernel_from_x_ref=True`) unless `bandwidth` fixes it. `run` builds the joint kernel
 * matrix of [reference; current] once, takes the unbiased MMD² ({@link mmd2Unbiased}) and compares
 * it with the MMD² of `permutations` random relabellings drawn from `seededRandom(seed)`:
 * p = (relabellings with MMD² ≥ the observed) / permutations, with no +1 (alibi's estimate, so p can
 * be 0). numpy's random stream cannot be reproduced, so p agrees with alibi-detect's within
 * Monte-Carlo error; sigma and the statistic agree to about 1e-12 relative.
 *
 * Details: `sigma`, `bandwidth` ("median_heuristic" or "fixed"), `permutations`, `seed`,
 * `mmd2_permuted_mean`, and `mmd2_threshold`, alibi's `distance_threshold`: the permuted MMD² at
 * index ⌊alpha · permutations⌋ in descending order, above which the statistic would drift.
 *
 * Edge cases: fewer than 2 rows on a side, or rows of another dimension than the reference, throw
 * a RangeError. Memory: the (m + n)² kernel matrix (32 MB for 1000 + 1000 rows).
 *
 * @example
 * const reference = { n: 3, dim: 1, data: Float64Array.of(0, 1, 2) };
 * const current = { n: 3, dim: 1, data: Float64Array.of(5, 6, 7) };
 * const context = { alpha: 0.05, seed: 1, names: ["x"] };
 * const options = mmdTest.options({});
 * const fitted = mmdTest.fit(reference, options, context); // { sigma: 0.7071067811865476 }
 * const result = mmdTest.run(fitted, reference, current, options, context);
 * result.statistic // 0.5026888730619459
 * result.pValue // 0.08: with 3 + 3 rows, 2 of the 20 splits are this extreme (0.1 in expectation)
 */
export const mmdTest: MultivariateTest<MmdOptions, MmdFitted> = {
  name: "mmd",
  description:
    "maximum mean discrepancy two-sample test, Gaussian kernel with median-heuristic bandwidth and permutation p-value (alibi-detect MMDDrift)",
  decision: "p_value",
  optionsSchema,

  options(partial) {
    refuseUnknownOptions("mmd", partial, Object.keys(optionsSchema.properties));
    const permutations = partial.permutations ?? DEFAULT_PERMUTATIONS;
    if (
      typeof permutations !== "number" ||
      !Number.isInteger(permutations) ||
      permutations < 1 ||
      permutations > MAX_PERMUTATIONS
    ) {
      throw new RangeError(
        `mmd permutations must be an integer from 1 to ${MAX_PERMUTATIONS} (got ${permutations})`,
      );
    }
    const bandwidth = partial.bandwidth ?? null;
    if (
      bandwidth !== null &&
      (typeof bandwidth !== "number" || !(bandwidth > 0) || !Number.isFinite(bandwidth))
    ) {
      throw new RangeError(`mmd bandwidth must be a positive number (got ${String(bandwidth)})`);
    }
    return { permutations, bandwidth };
  },

  fit(reference, options) {
    checkRows(reference, "reference");
    const sigma = options.bandwidth ?? medianBandwidth(reference, reference);
    checkSigma(sigma);
    return { sigma };
  },

  run(fitted, reference, current, options, context: RunContext): MultivariateResult {
    checkRows(reference, "reference");
    checkRows(current, "current");
    checkSameDim(reference, current);
    const joint = jointKernel(reference, current, fitted.sigma);
    const { mmd2, permuted } = permutationTest(joint, reference.n, options.permutations, context.seed);
    let atLeast = 0;
    let sum = 0;
    for (let p = 0; p < permuted.length; p++) {
      if (mmd2 <= permuted[p]) atLeast++;
      sum += permuted[p];
    }
    const pValue = atLeast / permuted.length;
    const descending = sortFloat64(Float64Array.from(permuted)).reverse();
    const thresholdIndex = Math.min(Math.floor(context.alpha * permuted.length), permuted.length - 1);
    return {
      statistic: mmd2,
      pValue,
      threshold: context.alpha,
      drift: pValue < context.alpha,
      details: {
        sigma: fitted.sigma,
        bandwidth: options.bandwidth === null ? "median_heuristic" : "fixed",
        permutations: options.permutations,
        seed: context.seed,
        mmd2_permuted_mean: sum / permuted.length,
        mmd2_threshold: descending[thresholdIndex],
      },
    };
  },
};
