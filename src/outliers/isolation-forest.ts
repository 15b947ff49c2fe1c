/**
 * Isolation Forest: anomalies are few and different, so random axis-parallel cuts isolate them in
 * fewer steps than ordinary rows. A multivariate scorer that needs no distribution assumption.
 */

import type { JSONSchemaType } from "ajv";
import {
  expectArray,
  expectCount,
  expectFinite,
  expectFiniteArray,
  expectObject,
  StateShapeError,
} from "../shape.js";
import { seededRandom } from "../stats/prng.js";
import { checkRowLength, imputedMatrix, median, referenceDimension, sortedColumns } from "./features.js";
import { isMissing, type OutlierScorerKind, type Row } from "./types.js";

/** Trees in the forest when the params give none (Liu et al. 2008, §4; scikit-learn's default). */
export const DEFAULT_TREES = 100;
/** Rows drawn for each tree when the params give none: ψ = min(256, n). */
export const DEFAULT_MAX_SAMPLES = 256;

/** Params of the Isolation Forest. */
export interface IsolationForestParams {
  /** Number of trees (default 100). */
  readonly n_estimators?: number | null;
  /** Rows drawn without replacement for each tree, ψ = min(max_samples, n) (default 256). */
  readonly max_samples?: number | null;
  /** Seed of the random draws (default 0): the same seed and reference give the same forest. */
  readonly seed?: number | null;
}

/**
 * One isolation tree, nodes in depth-first pre-order: node 0 is the root and the left child of an
 * internal node i is node i + 1.
 */
export interface IsolationTree {
  /** Split feature of each internal node; −1 marks a leaf. */
  readonly feature: number[];
  /** Split value of each internal node (x ≤ threshold goes left); 0 for leaves. */
  readonly threshold: number[];
  /** Index of the right child of each internal node; 0 for leaves. */
  readonly right: number[];
  /** For each leaf, its depth plus c(rows that reached it) (the unbuilt subtree's expected depth); 0 for internal nodes. */
  readonly path_length: number[];
}

/** The fitted forest. */
export interface IsolationForestModel {
  /** Reference median of each feature: the value a missing feature takes. */
  readonly median: number[];
  /** ψ, the rows each tree was grown on; c(ψ) normalises the mean path length. */
  readonly sample_size: number;
  readonly trees: IsolationTree[];
}

/**
 * Checks a forest read back from a checkpoint before it scores anything. Scoring walks each tree
 * from the root while the node is internal, to node i + 1 or to `right[i]`; that walk ends only
 * because every pointer leads forward inside the tree, which this checks for every node (a tree
 * of zeros, as a zero-filled side file gave, sent every event round the root for ever). Throws a
 * `StateShapeError` naming the path.
 */
export function checkIsolationForestModel(value: unknown, path: string): void {
  const model = expectObject(value, path);
  const d = expectFiniteArray(model.median, `${path}/median`).length;
  if (expectCount(model.sample_size, `${path}/sample_size`) < 1)
    throw new StateShapeError(`${path}/sample_size: no rows`);
  for (const [t, value] of expectArray(model.trees, `${path}/trees`).entries()) {
    const at = `${path}/trees/${t}`;
    const tree = expectObject(value, at);
    const feature = expectFiniteArray(tree.feature, `${at}/feature`);
    const n = feature.length;
    const threshold = expectFiniteArray(tree.threshold, `${at}/threshold`, n);
    const right = expectFiniteArray(tree.right, `${at}/right`, n);
    expectFiniteArray(tree.path_length, `${at}/path_length`, n);
    if (n === 0) throw new StateShapeError(`${at}: a tree without nodes`);
    for (let i = 0; i < n; i++) {
      const f = feature[i];
      if (f === -1) continue;
      if (!Number.isInteger(f) || f < 0 || f >= d)
        throw new StateShapeError(`${at}/feature/${i}: not a feature index below ${d} or -1 (got ${f})`);
      expectFinite(threshold[i], `${at}/threshold/${i}`);
      if (!(i + 1 < n && Number.isInteger(right[i]) && right[i] > i + 1 && right[i] < n))
        throw new StateShapeError(
          `${at}/right/${i}: not a node after ${i + 1} in a tree of ${n} (got ${right[i]})`,
        );
    }
  }
}

const schema: JSONSchemaType<IsolationForestParams> = {
  type: "object",
  additionalProperties: false,
  description: "Isolation Forest (Liu, Ting & Zhou 2008): 2^(−mean path length / c(ψ)), seeded",
  properties: {
    n_estimators: {
      type: "integer",
      minimum: 1,
      maximum: 10000,
      nullable: true,
      description: "number of trees (default 100)",
    },
    max_samples: {
      type: "integer",
      minimum: 2,
      nullable: true,
      description:
        "reference rows drawn without replacement for each tree, capped at the reference size (default 256)",
    },
    seed: {
      type: "integer",
      minimum: 0,
      maximum: 4294967295,
      nullable: true,
      description: "seed of the random draws; the same seed and reference give the same forest (default 0)",
    },
  },
  required: [],
};

/** The Euler–Mascheroni constant γ (numpy.euler_gamma). */
const EULER_GAMMA = 0.5772156649015329;

/**
 * c(n), the average path length of an unsuccessful search in a binary search tree of n keys, which
 * is the expected depth at which a random tree isolates one of n rows: 2·H(n − 1) − 2(n − 1)/n with
 * H(i) ≈ ln(i) + γ (Liu et al. 2008, eq. 1), written as scikit-learn's `_average_path_length`.
 *
 * Edge cases: c(0) = c(1) = 0, c(2) = 1.
 *
 * @example
 * averagePathLength(256) // 10.244770920119917
 */
export function averagePathLength(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + EULER_GAMMA) - (2 * (n - 1)) / n;
}

/**
 * Grows the forest: each tree on ψ = min(max_samples, n) reference rows drawn without replacement,
 * split recursively on a feature drawn uniformly among those not constant in the node, at a value
 * drawn uniformly between the node's min and max, until a node holds one row, or only identical
 * rows, or reaches the height limit ceil(log2 ψ) (Liu, Ting & Zhou 2008, "Isolation Forest",
 * ICDM, algorithms 1–2; feature choice and height limit as scikit-learn's IsolationForest).
 *
 * Edge cases: missing reference values take the feature's reference median; needs 2 rows.
 * Randomness comes only from `seed` (sfc32), so scikit-learn's forest is not reproduced number for
 * number, only in quality (bench/quality/outliers.ts compares ROC AUC).
 */
export function fitIsolationForest(
  reference: readonly Row[],
  params: IsolationForestParams = {},
): IsolationForestModel {
  const trees = params.n_estimators ?? DEFAULT_TREES;
  const maxSamples = params.max_samples ?? DEFAULT_MAX_SAMPLES;
  const random = seededRandom(params.seed ?? 0);
  const d = referenceDimension(reference, 2, "isolation_forest");
  const med = sortedColumns(reference, d, "isolation_forest").map(median);
  const rows = imputedMatrix(reference, d, med);
  const n = rows.length;
  const psi = Math.min(maxSamples, n);
  const heightLimit = Math.ceil(Math.log2(Math.max(psi, 2)));
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const lo = new Float64Array(d);
  const hi = new Float64Array(d);
  const candidates = new Int32Array(d);

  const grow = (tree: IsolationTree, idx: Int32Array, depth: number): void => {
    const node = tree.feature.length;
    const size = idx.length;
    const leaf = (): void => {
      tree.feature.push(-1);
      tree.threshold.push(0);
      tree.right.push(0);
      tree.path_length.push(depth + averagePathLength(size));
    };
    if (depth >= heightLimit || size <= 1) {
      leaf();
      return;
    }
    lo.fill(Number.POSITIVE_INFINITY);
    hi.fill(Number.NEGATIVE_INFINITY);
    for (const i of idx) {
      const x = rows[i];
      for (let j = 0; j < d; j++) {
        if (x[j] < lo[j]) lo[j] = x[j];
        if (x[j] > hi[j]) hi[j] = x[j];
      }
    }
    let k = 0;
    for (let j = 0; j < d; j++) if (hi[j] > lo[j]) candidates[k++] = j;
    if (k === 0) {
      leaf(); // identical rows cannot be separated
      return;
    }
    const f = candidates[Math.floor(random() * k)];
    let p = lo[f] + random() * (hi[f] - lo[f]);
    // lo + u·(hi − lo) can round up to hi for u near 1, which would send every row left.
    if (p >= hi[f]) p = lo[f];
    let left = 0;
    for (const i of idx) if (rows[i][f] <= p) left++;
    const leftIdx = new Int32Array(left);
    const rightIdx = new Int32Array(size - left);
    let a = 0;
    let b = 0;
    for (const i of idx) {
      if (rows[i][f] <= p) leftIdx[a++] = i;
      else rightIdx[b++] = i;
    }
    tree.feature.push(f);
    tree.threshold.push(p);
    tree.right.push(0);
    tree.path_length.push(0);
    grow(tree, leftIdx, depth + 1);
    tree.right[node] = tree.feature.length;
    grow(tree, rightIdx, depth + 1);
  };

  const forest: IsolationTree[] = [];
  for (let t = 0; t < trees; t++) {
    // Partial Fisher–Yates: the first ψ entries become a uniform sample without replacement.
    for (let i = 0; i < psi; i++) {
      const j = i + Math.floor(random() * (n - i));
      const swap = order[i];
      order[i] = order[j];
      order[j] = swap;
    }
    const tree: IsolationTree = { feature: [], threshold: [], right: [], path_length: [] };
    grow(tree, order.slice(0, psi), 0);
    forest.push(tree);
  }
  return { median: med, sample_size: psi, trees: forest };
}

/**
 * A forest laid out for scoring: every tree's nodes in one set of typed arrays, child pointers
 * absolute. Walking 100 trees of plain arrays costs about 7 ns a node, mostly branch misses and
 * bounds checks on generic arrays; one contiguous Int32Array/Float64Array set takes that down by
 * about a fifth (BENCHMARKS.md, "Where the monitors' time goes").
 */
interface CompiledForest {
  /** Split feature of each node, −1 for a leaf. */
  readonly feature: Int32Array;
  /** Split value of an internal node; a leaf's path length (depth + c(rows)). */
  readonly value: Float64Array;
  /** The absolute index of an internal node's right child (the left one is the next node). */
  readonly right: Int32Array;
  /** Each tree's root. */
  readonly roots: Int32Array;
  readonly median: Float64Array;
  /** c(ψ): the mean path length's normaliser. */
  readonly norm: number;
  /** Scratch row, imputed: scoring allocates nothing. */
  readonly x: Float64Array;
}

/** Compiled once per model (a model is never changed once fitted or restored). */
const compiled = new WeakMap<IsolationForestModel, CompiledForest>();

function compile(model: IsolationForestModel): CompiledForest {
  let nodes = 0;
  for (const tree of model.trees) nodes += tree.feature.length;
  const feature = new Int32Array(nodes);
  const value = new Float64Array(nodes);
  const right = new Int32Array(nodes);
  const roots = new Int32Array(model.trees.length);
  let at = 0;
  for (const [t, tree] of model.trees.entries()) {
    roots[t] = at;
    for (let i = 0; i < tree.feature.length; i++) {
      const leaf = tree.feature[i] < 0;
      feature[at + i] = leaf ? -1 : tree.feature[i];
      value[at + i] = leaf ? tree.path_length[i] : tree.threshold[i];
      right[at + i] = leaf ? 0 : at + tree.right[i];
    }
    at += tree.feature.length;
  }
  return {
    feature,
    value,
    right,
    roots,
    median: Float64Array.from(model.median),
    norm: averagePathLength(model.sample_size),
    x: new Float64Array(model.median.length),
  };
}

/**
 * Anomaly score s(x) = 2^(−E[h(x)] / c(ψ)) (Liu et al. 2008, eq. 2), where h(x) is the depth of
 * the leaf x falls in plus c(rows the leaf held), averaged over the trees. s is in (0, 1]: near 1
 * for anomalies, about 0.5 or below for ordinary rows; it equals −score_samples of scikit-learn's
 * IsolationForest.
 *
 * Edge cases: a missing feature takes the reference median (flag such rows with `countMissing`).
 *
 * @example
 * const model = fitIsolationForest(reference, { seed: 7 });
 * isolationForestScore(model, row) // in (0, 1]
 */
export function isolationForestScore(model: IsolationForestModel, row: Row): number {
  let forest = compiled.get(model);
  if (forest === undefined) {
    forest = compile(model);
    compiled.set(model, forest);
  }
  const { feature, value, right, roots, median, x } = forest;
  checkRowLength(row, x.length);
  for (let j = 0; j < x.length; j++) {
    const v = row[j];
    x[j] = isMissing(v) ? median[j] : v;
  }
  let total = 0;
  for (let t = 0; t < roots.length; t++) {
    let i = roots[t];
    for (let f = feature[i]; f >= 0; f = feature[i]) i = x[f] <= value[i] ? i + 1 : right[i];
    total += value[i];
  }
  return 2 ** -(total / roots.length / forest.norm);
}

/** The Isolation Forest scorer (`type: isolation_forest`). */
export const isolationForest: OutlierScorerKind<IsolationForestParams, IsolationForestModel> = {
  schema,
  example: { n_estimators: 100, max_samples: 256, seed: 42 },
  description: "Isolation Forest (Liu, Ting & Zhou 2008), seeded: 2^(−mean path length / c(ψ))",
  missing: "impute_median",
  fit: fitIsolationForest,
  score: isolationForestScore,
};
