/**
 * `ks_reduced`: two-sample Kolmogorov–Smirnov tests on a few dimensions learnt from the reference,
 * the approach Rabanser, Günnemann & Lipton (2019, "Failing Loudly: An Empirical Study of Methods
 * for Detecting Dataset Shift") found hard to beat: reduce, test each reduced dimension, combine
 * with Bonferroni. As alibi-detect's `KSDrift(x_ref, p_val=alpha, preprocess_fn=reduce,
 * correction="bonferroni")`.
 */

import { ksTest } from "../ks.js";
import { sortFloat64 } from "../sort.js";
import { refuseUnknownOptions } from "./options.js";
import { fitPca, fitRandomProjection, project, type Reduction } from "./reduce.js";
import type { MultivariateResult, MultivariateTest, Rows, RunContext } from "./types.js";

/** Variance share the principal components keep when `components` is not given. */
export const DEFAULT_VARIANCE = 0.9;
/** Dimensions of the random projection when `components` is not given (fewer when `dim` is smaller). */
export const DEFAULT_RANDOM_COMPONENTS = 32;

/** Options of `ks_reduced`, every default filled in. */
export interface KsReducedOptions {
  /** `pca`: principal components of the reference; `random`: a seeded Gaussian random projection. */
  readonly reduction: "pca" | "random";
  /** Reduced dimensions; null: the count reaching `variance` (pca) or min(dim, 32) (random). */
  readonly components: number | null;
  /** Variance share the principal components keep when `components` is null. */
  readonly variance: number;
  /** Whether columns are turned into z-scores with the reference moments before reducing. */
  readonly standardize: boolean;
}

/** What `ks_reduced` learns from the reference: the reduction, plain JSON. */
export interface KsReducedFit {
  readonly reduction: Reduction;
}

/** One reduced dimension's KS test, as reported in `details.per_component`. */
export interface ComponentResult {
  /** `pc1`, `pc2`, … for principal components; `rp1`, `rp2`, … for random projections. */
  readonly name: string;
  /** KS D between the reference and the window along this dimension. */
  readonly statistic: number;
  /** Its uncorrected two-sided p-value (scipy's `ks_2samp`, method 'auto'). */
  readonly p_value: number;
}

const schema = {
  type: "object",
  additionalProperties: false,
  description:
    "Kolmogorov–Smirnov test on each dimension of a reduction fitted on the reference, Bonferroni-corrected.",
  properties: {
    reduction: {
      type: "string",
      enum: ["pca", "random"],
      default: "pca",
      description:
        "How rows are reduced: `pca`, the principal components of the reference (directions of largest variance); `random`, a Gaussian random projection drawn from the run's seed (no fitting beyond the scaling, keeps every direction's distances roughly).",
    },
    components: {
      type: "integer",
      minimum: 1,
      description:
        "Number of reduced dimensions. Default: for `pca`, the fewest principal components whose variance share exceeds `variance` (capped at the components in which the reference varies); for `random`, min(dim, 32). Each dimension is one KS test, and the Bonferroni correction divides alpha by their number.",
    },
    variance: {
      type: "number",
      exclusiveMinimum: 0,
      exclusiveMaximum: 1,
      default: DEFAULT_VARIANCE,
      description:
        "For `pca` without `components`: keep the fewest components whose cumulative explained-variance ratio exceeds this share (scikit-learn's `PCA(n_components=share)` rule).",
    },
    standardize: {
      type: "boolean",
      default: true,
      description:
        "Turn each column into z-scores with the reference mean and standard deviation before reducing, so that features in large units do not dominate. Set false for embeddings, whose dimensions share one scale and whose low-variance dimensions should stay small.",
    },
  },
} as const;

const KEYS = new Set(Object.keys(schema.properties));

/**
 * Every default filled in; unknown keys and invalid values throw a RangeError (the config schema
 * rejects them at load; this guards direct callers).
 */
function options(partial: Readonly<Record<string, unknown>>): KsReducedOptions {
  refuseUnknownOptions("ks_reduced", partial, KEYS);
  const reduction = partial.reduction ?? "pca";
  if (reduction !== "pca" && reduction !== "random") {
    throw new RangeError(
      `ks_reduced: reduction must be "pca" or "random" (got ${JSON.stringify(reduction)})`,
    );
  }
  const components = partial.components ?? null;
  if (
    components !== null &&
    !(typeof components === "number" && Number.isInteger(components) && components >= 1)
  ) {
    throw new RangeError(`ks_reduced: components must be an integer ≥ 1 (got ${JSON.stringify(components)})`);
  }
  const variance = partial.variance ?? DEFAULT_VARIANCE;
  if (!(typeof variance === "number" && variance > 0 && variance < 1)) {
    throw new RangeError(`ks_reduced: variance must be in (0, 1) (got ${JSON.stringify(variance)})`);
  }
  const standardize = partial.standardize ?? true;
  if (typeof standardize !== "boolean") {
    throw new RangeError(`ks_reduced: standardize must be a boolean (got ${JSON.stringify(standardize)})`);
  }
  return { reduction, components, variance, standardize };
}

function checkSide(rows: Rows, side: string, dim: number): void {
  if (rows.n < 2) throw new RangeError(`ks_reduced needs at least 2 ${side} rows (got ${rows.n})`);
  if (rows.dim !== dim)
    throw new RangeError(`ks_reduced: ${side} rows have ${rows.dim} columns, expected ${dim}`);
}

/** Each reduced column of the rows, sorted ascending: the samples the KS tests compare. */
function sortedColumns(rows: Rows): Float64Array[] {
  const { n, dim, data } = rows;
  const columns: Float64Array[] = [];
  for (let c = 0; c < dim; c++) {
    const column = new Float64Array(n);
    for (let i = 0; i < n; i++) column[i] = data[i * dim + c];
    columns.push(sortFloat64(column));
  }
  return columns;
}

/**
 * `ks_reduced`: reduces the reference and the window with the reduction fitted on the reference
 * (`reduce.ts`), runs the two-sample KS test (`ksTest`, scipy's `ks_2samp` exactly) on each of
 * the k reduced dimensions and drifts when the smallest p-value is below alpha / k (Bonferroni,
 * alibi-detect's `KSDrift` rule `(p_vals < p_val / n_features).any()`).
 *
 * Result: `statistic` is the largest KS D over the dimensions, which is the D of the dimension
 * with the smallest p-value (both samples have the same sizes on every dimension, and the KS
 * p-value decreases with D at fixed sizes); `pValue` is the Bonferroni-adjusted smallest p-value,
 * min(1, k · min p), so that `pValue < alpha` reads as usual; `threshold` is alpha. `details`:
 * `reduction`, `components` (k), `variance_share` (of the kept principal components; null for a
 * random projection), `standardize`, `alpha_per_component` (alpha / k), `max_component` (the name
 * of the dimension giving the statistic) and `per_component` (name, statistic, p_value).
 *
 * Defaults: principal components, standardised, keeping 90% of the variance: the directions
 * along which the reference varies most, enough of them that a change in most of its structure
 * (including correlations no single column shows) moves one of them, while for correlated
 * features k stays far below dim and the Bonferroni division stays mild. PCA misses a change
 * confined to the discarded low-variance directions; `pca_reconstruction` watches exactly those.
 * A random projection keeps min(dim, 32) dimensions: every direction is represented, which suits
 * embeddings whose variance is spread thin, at a fixed Bonferroni cost of alpha / 32.
 *
 * @example
 * const fitted = ksReducedTest.fit(reference, ksReducedTest.options({}), context);
 * ksReducedTest.run(fitted, reference, window, options, context).drift
 */
export const ksReducedTest: MultivariateTest<KsReducedOptions, KsReducedFit> = {
  name: "ks_reduced",
  description:
    "KS test per dimension after PCA (or a random projection) fitted on the reference, Bonferroni-corrected",
  decision: "p_value",
  optionsSchema: schema,
  options,
  fit(reference, opts, context: RunContext): KsReducedFit {
    if (reference.n < 2)
      throw new RangeError(`ks_reduced needs at least 2 reference rows (got ${reference.n})`);
    if (opts.reduction === "pca") {
      return {
        reduction: fitPca(reference, {
          components: opts.components,
          variance: opts.variance,
          standardize: opts.standardize,
        }),
      };
    }
    return {
      reduction: fitRandomProjection(reference, {
        components: opts.components ?? Math.min(reference.dim, DEFAULT_RANDOM_COMPONENTS),
        seed: context.seed,
        standardize: opts.standardize,
      }),
    };
  },
  run(fitted, reference, current, _options, context): MultivariateResult {
    const { reduction } = fitted;
    checkSide(reference, "reference", reduction.dim);
    checkSide(current, "current", reduction.dim);
    const left = sortedColumns(project(reduction, reference));
    const right = sortedColumns(project(reduction, current));
    const k = left.length;
    const prefix = reduction.type === "pca" ? "pc" : "rp";
    const perComponent: ComponentResult[] = [];
    let best = 0;
    let minP = Number.POSITIVE_INFINITY;
    for (let c = 0; c < k; c++) {
      const r = ksTest.run({ kind: "numeric", sorted: left[c] }, { kind: "numeric", sorted: right[c] });
      const p = r.pValue as number;
      perComponent.push({ name: `${prefix}${c + 1}`, statistic: r.statistic, p_value: p });
      const top = perComponent[best];
      if (r.statistic > top.statistic || (r.statistic === top.statistic && p < top.p_value)) best = c;
      if (p < minP) minP = p;
    }
    const alphaPerComponent = context.alpha / k;
    return {
      statistic: perComponent[best].statistic,
      pValue: Math.min(1, minP * k),
      threshold: context.alpha,
      drift: minP < alphaPerComponent,
      details: {
        reduction: reduction.type,
        components: k,
        variance_share:
          reduction.type === "pca" ? reduction.explained_variance_ratio.reduce((s, v) => s + v, 0) : null,
        standardize: reduction.scale !== null,
        alpha_per_component: alphaPerComponent,
        max_component: perComponent[best].name,
        per_component: perComponent,
      },
    };
  },
};
