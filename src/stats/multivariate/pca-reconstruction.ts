/**
 * `pca_reconstruction`: NannyML's data reconstruction drift (NannyML 0.13,
 * `DataReconstructionDriftCalculator`; "Data Reconstruction with PCA" in NannyML's docs, How it
 * works → Multivariate drift). A PCA fitted on the reference learns its correlation structure;
 * rows that break it lose more in the round trip through the kept components, so the window's mean
 * reconstruction error rises, even when no single column changes.
 */

import { refuseUnknownOptions } from "./options.js";
import { fitPca, type PcaReduction, reconstructionErrors } from "./reduce.js";
import type { MultivariateResult, MultivariateTest, Rows } from "./types.js";

/** NannyML's default `n_components=0.65`: the variance share the kept components exceed. */
export const DEFAULT_VARIANCE = 0.65;
/** NannyML's default chunker splits the reference into 10 chunks. */
export const DEFAULT_CHUNKS = 10;
/** NannyML's `StandardDeviationThreshold(std_lower_multiplier=3, std_upper_multiplier=3)`. */
const STD_MULTIPLIER = 3;

/** Options of `pca_reconstruction`, every default filled in. */
export interface PcaReconstructionOptions {
  /** Variance share the kept components exceed (when `components` is null). */
  readonly variance: number;
  /** A fixed number of components instead of `variance`; null when unset. */
  readonly components: number | null;
  /** Reference chunks the thresholds come from (size ⌊n / chunks⌋), when `chunk_size` is null. */
  readonly chunks: number;
  /** Rows per reference chunk instead of `chunks`; null when unset. */
  readonly chunk_size: number | null;
}

/** What `pca_reconstruction` learns from the reference, plain JSON. */
export interface PcaReconstructionFit {
  /** StandardScaler + PCA fitted on the whole reference. */
  readonly pca: PcaReduction;
  /** Rows per reference chunk. */
  readonly chunk_size: number;
  /** Rows of each reference chunk: full chunks, then the remainder, kept as NannyML keeps it. */
  readonly reference_chunk_sizes: number[];
  /** Mean reconstruction error of each reference chunk. */
  readonly reference_chunk_errors: number[];
  /** Mean of the chunks' errors, the centre of the thresholds. */
  readonly reference_mean_error: number;
  /** Standard deviation of the chunks' errors (ddof 0, as NannyML's `np.nanstd`). */
  readonly reference_std_error: number;
  /** mean − 3·std; null when that is not above 0 (NannyML then drops the lower threshold). */
  readonly lower: number | null;
  /** mean + 3·std. */
  readonly upper: number;
}

const schema = {
  type: "object",
  additionalProperties: false,
  description:
    "Mean PCA reconstruction error of the window against thresholds from reference chunks (NannyML's data reconstruction drift).",
  properties: {
    variance: {
      type: "number",
      exclusiveMinimum: 0,
      exclusiveMaximum: 1,
      default: DEFAULT_VARIANCE,
      description:
        "Keep the fewest principal components (of the standardised reference) whose cumulative explained-variance ratio exceeds this share; NannyML's default n_components=0.65.",
    },
    components: {
      type: "integer",
      minimum: 1,
      description:
        "A fixed number of principal components instead of `variance`; must be below the number of columns (keeping them all reconstructs every row exactly).",
    },
    chunks: {
      type: "integer",
      minimum: 2,
      default: DEFAULT_CHUNKS,
      description:
        "Number of chunks the reference is split into, in order, to learn how much the mean error varies between windows: chunks of ⌊n / chunks⌋ rows, the remainder kept as one more chunk (NannyML's default chunker, 10 chunks). Thresholds suit windows of about the chunks' size: a larger window varies less, a smaller one more.",
    },
    chunk_size: {
      type: "integer",
      minimum: 2,
      description:
        "Rows per reference chunk instead of `chunks` (NannyML's chunk_size); set it to the window's size so that the thresholds fit the windows. The reference needs at least two chunks.",
    },
  },
} as const;

const KEYS = new Set(Object.keys(schema.properties));

function integerOrNull(value: unknown, key: string, minimum: number): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value === "number" && Number.isInteger(value) && value >= minimum) return value;
  throw new RangeError(
    `pca_reconstruction: ${key} must be an integer ≥ ${minimum} (got ${JSON.stringify(value)})`,
  );
}

/**
 * Every default filled in; unknown keys and invalid values throw a RangeError (the config schema
 * rejects them at load; this guards direct callers).
 */
function options(partial: Readonly<Record<string, unknown>>): PcaReconstructionOptions {
  refuseUnknownOptions("pca_reconstruction", partial, KEYS);
  const variance = partial.variance ?? DEFAULT_VARIANCE;
  if (!(typeof variance === "number" && variance > 0 && variance < 1)) {
    throw new RangeError(`pca_reconstruction: variance must be in (0, 1) (got ${JSON.stringify(variance)})`);
  }
  return {
    variance,
    components: integerOrNull(partial.components, "components", 1),
    chunks: integerOrNull(partial.chunks, "chunks", 2) ?? DEFAULT_CHUNKS,
    chunk_size: integerOrNull(partial.chunk_size, "chunk_size", 2),
  };
}

function mean(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return s / values.length;
}

/**
 * `pca_reconstruction`, NannyML 0.13's `DataReconstructionDriftCalculator` with its defaults on
 * rows without missing values:
 *
 * - fit: `StandardScaler` then `PCA(n_components=0.65)` on the whole reference (`fitPca` with
 *   `standardize`; a constant column keeps scale 1, as scikit-learn's scaler leaves it); the
 *   reference, in order, is cut into chunks of ⌊n / chunks⌋ rows (or `chunk_size`), and the
 *   remainder, if any, is one more, smaller chunk, as NannyML's `SizeBasedChunker(incomplete=
 *   "keep")` does. The mean reconstruction error of each chunk gives the thresholds
 *   mean ± 3·std over chunks, std with ddof 0 (`StandardDeviationThreshold`, `np.nanstd`). A lower
 *   threshold at or below 0 is dropped (null), as NannyML's `lower_threshold_value_limit=0` with
 *   `override_using_none=True` drops it: an error cannot fall below 0.
 * - run: the reconstruction error of a row is ‖z − ẑ‖, z the standardised row and ẑ its projection
 *   onto the kept components (`reconstructionErrors`); the statistic is the window's mean error.
 *   Drift when it is outside [lower, upper] (above upper, or below a lower that exists). NannyML
 *   alerts when not (lower < value < upper): the two differ only for a value exactly on a
 *   threshold.
 *
 * Result: `pValue` null; `threshold` is the upper threshold; `details`: `lower` (or null),
 * `upper`, `components`, `variance_share` (of the kept components), `reference_mean_error` (the
 * mean of the reference chunks' errors), `reference_std_error`, `chunk_size`, `reference_chunks`.
 *
 * Throws a RangeError for fewer than 2 rows on a side, a reference too small for two chunks of at
 * least 2 rows, fewer than 2 columns, or kept components as many as columns (every row then
 * reconstructs exactly and the error is 0 whatever happens).
 *
 * @example
 * const opts = pcaReconstructionTest.options({ chunk_size: 500 });
 * const fitted = pcaReconstructionTest.fit(reference, opts, context);
 * pcaReconstructionTest.run(fitted, reference, window, opts, context).statistic // mean error
 */
export const pcaReconstructionTest: MultivariateTest<PcaReconstructionOptions, PcaReconstructionFit> = {
  name: "pca_reconstruction",
  description:
    "Mean PCA reconstruction error of the window outside mean ± 3 std of reference chunks (NannyML data reconstruction)",
  decision: "threshold",
  optionsSchema: schema,
  options,
  fit(reference, opts): PcaReconstructionFit {
    const { n, dim } = reference;
    if (n < 2) throw new RangeError(`pca_reconstruction needs at least 2 reference rows (got ${n})`);
    if (dim < 2) throw new RangeError(`pca_reconstruction needs at least 2 columns (got ${dim})`);
    const size = opts.chunk_size ?? Math.floor(n / opts.chunks);
    const full = Math.floor(n / size);
    if (size < 2 || full < 2) {
      const asked = opts.chunk_size === null ? `${opts.chunks} chunks` : `chunks of ${opts.chunk_size} rows`;
      throw new RangeError(
        `pca_reconstruction: ${n} reference rows are too few for ${asked}; thresholds need at least 2 chunks of 2 rows or more`,
      );
    }
    const pca = fitPca(reference, {
      components: opts.components,
      variance: opts.variance,
      standardize: true,
    });
    const k = pca.components.length;
    if (k >= dim) {
      throw new RangeError(
        `pca_reconstruction keeps all ${dim} components, so every row reconstructs exactly; lower variance or components`,
      );
    }
    const errors = reconstructionErrors(pca, reference);
    const sizes: number[] = [];
    const chunkErrors: number[] = [];
    for (let start = 0; start < n; start += size) {
      const end = Math.min(start + size, n);
      sizes.push(end - start);
      chunkErrors.push(mean(errors.subarray(start, end)));
    }
    const centre = mean(chunkErrors);
    let squares = 0;
    for (const e of chunkErrors) squares += (e - centre) ** 2;
    const std = Math.sqrt(squares / chunkErrors.length);
    const lower = centre - STD_MULTIPLIER * std;
    return {
      pca,
      chunk_size: size,
      reference_chunk_sizes: sizes,
      reference_chunk_errors: chunkErrors,
      reference_mean_error: centre,
      reference_std_error: std,
      lower: lower > 0 ? lower : null,
      upper: centre + STD_MULTIPLIER * std,
    };
  },
  run(fitted, _reference, current: Rows): MultivariateResult {
    if (current.n < 2)
      throw new RangeError(`pca_reconstruction needs at least 2 current rows (got ${current.n})`);
    const statistic = mean(reconstructionErrors(fitted.pca, current));
    const { lower, upper, pca } = fitted;
    return {
      statistic,
      pValue: null,
      threshold: upper,
      drift: statistic > upper || (lower !== null && statistic < lower),
      details: {
        lower,
        upper,
        components: pca.components.length,
        variance_share: pca.explained_variance_ratio.reduce((s, v) => s + v, 0),
        reference_mean_error: fitted.reference_mean_error,
        reference_std_error: fitted.reference_std_error,
        chunk_size: fitted.chunk_size,
        reference_chunks: fitted.reference_chunk_sizes.length,
      },
    };
  },
};
