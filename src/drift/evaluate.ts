import { showValue, UserError } from "../errors.js";
import type { ColumnReport, DatasetSummary } from "../report/model.js";
import { sharedBins, toHistogram } from "../stats/bins.js";
import { adjustPValues, type Correction } from "../stats/corrections.js";
import { columnDistances, hellinger, jensenShannon, psi, WASSERSTEIN_MIN_NORM } from "../stats/distances.js";
import { type DriftTestName, driftTests } from "../stats/registry.js";
import {
  binsFromViews,
  type CdfView,
  isExactView,
  ksFromViews,
  viewHistogram,
  wassersteinFromViews,
} from "../stats/sketch.js";
import type { ColumnSample, DriftTest, TestResult } from "../stats/types.js";
import type { ThresholdEntry } from "./thresholds.js";

/**
 * Effect-size floors per p-value test, each in its test's own unit (KS D; Cramér's V for chi2;
 * Cohen's w for chi2_gof; |Δp| for z); a test not named has none.
 */
export type EffectFloors = Readonly<Partial<Record<DriftTestName, number>>>;

/** How drift is decided; the same names as the `report` flags and the monitor config keys. */
export interface DriftOptions {
  /** Test for numeric columns (default `ks`). */
  readonly numeric_test: DriftTestName;
  /** Test for categorical columns (default `chi2`). */
  readonly categorical_test: DriftTestName;
  /** Significance level for p-value tests (default 0.05). */
  readonly alpha: number;
  /** Threshold for distance tests; when absent, each test's default (0.1). */
  readonly threshold?: number;
  /** Multiple-testing correction across the columns of one evaluation (default none). */
  readonly correction: Correction;
  /** Dataset drift when the share of drifted columns reaches this (default 0.5). */
  readonly drift_share: number;
  /**
   * Effect-size floor for p-value tests (default 0, off): a column drifts only when its effect
   * (KS D; Cramér's V for chi2; Cohen's w for chi2_gof; |Δp| for z) also reaches this, so that
   * huge samples do not alarm on negligible shifts. One number for every test, or one per test.
   */
  readonly min_effect: number | EffectFloors;
}

/** The effect-size floor of a test under `min_effect` (0: none). */
export function effectFloor(minEffect: number | EffectFloors, test: DriftTestName): number {
  return typeof minEffect === "number" ? minEffect : (minEffect[test] ?? 0);
}

/** Defaults shared by the CLI and the daemon. */
export const defaultDriftOptions: DriftOptions = {
  numeric_test: "ks",
  categorical_test: "chi2",
  alpha: 0.05,
  correction: "none",
  drift_share: 0.5,
  min_effect: 0,
};

/** One column to compare: both sides as samples, with their missing counts. */
export interface ColumnInput {
  readonly name: string;
  readonly kind: "numeric" | "categorical";
  readonly reference: ColumnSample;
  readonly current: ColumnSample;
  readonly missing_reference: number;
  readonly missing_current: number;
}

/**
 * One numeric column of a monitor in sketch mode: both sides as CDF views (a sketch's, or an exact
 * one for a reference loaded from a file), with their missing counts.
 */
export interface SketchColumnInput {
  readonly name: string;
  readonly kind: "numeric";
  readonly views: { readonly reference: CdfView; readonly current: CdfView };
  readonly missing_reference: number;
  readonly missing_current: number;
}

/**
 * The numeric tests that run from sketches in `mode: sketch`, each as its exact counterpart reads
 * the raw values: KS from the approximate CDFs (asymptotic p-value), Wasserstein-1 normed by the
 * reference standard deviation (kept exactly beside the sketch), and the binned distances with the
 * reference deciles taken from its sketch. A numeric test missing here is a config problem in
 * sketch mode.
 */
export const SKETCH_TESTS: ReadonlySet<DriftTestName> = new Set<DriftTestName>([
  "ks",
  "wasserstein",
  "psi",
  "jensenshannon",
  "hellinger",
]);

/**
 * A sketch-mode numeric column's test, distances and histogram, the counterpart of `analyzeColumn`
 * (the p-value-test and threshold decision then happen in `decideColumns` as for exact columns).
 * KS reports `details: { method: "sketch", d_error_bound, n_effective }`; every test reports the
 * bound on |D_sketch − D_exact| as `d_error_bound`.
 */
export function analyzeSketchColumn(input: SketchColumnInput, test: DriftTestName): ColumnAnalysis {
  const { reference, current } = input.views;
  if (reference.n === 0 || current.n === 0)
    return {
      name: input.name,
      skipped: `no values in the ${reference.n === 0 ? "reference" : "current"} data`,
    };
  if (!SKETCH_TESTS.has(test))
    throw new UserError(`column ${showValue(input.name)}: ${test} cannot run from a sketch`);
  // Sketches that never compacted hold every value: the column is then evaluated as in exact mode.
  if (isExactView(reference) && isExactView(current))
    return analyzeColumn(
      {
        name: input.name,
        kind: "numeric",
        reference: { kind: "numeric", sorted: reference.values },
        current: { kind: "numeric", sorted: current.values },
        missing_reference: input.missing_reference,
        missing_current: input.missing_current,
      },
      test,
    );
  const bins = binsFromViews(reference, current);
  const raw = wassersteinFromViews(reference, current);
  const distances = {
    wasserstein: raw,
    psi: psi(bins.reference, bins.current),
    jensen_shannon: jensenShannon(bins.reference, bins.current),
    hellinger: hellinger(bins.reference, bins.current),
  };
  const d_error_bound = reference.rankError + current.rankError;
  let result: TestResult;
  if (test === "ks") result = ksFromViews(reference, current);
  else if (test === "wasserstein") {
    const norm = Math.max(reference.std, WASSERSTEIN_MIN_NORM);
    result = {
      statistic: raw / norm,
      pValue: null,
      details: { method: "sketch", d_error_bound, raw, reference_std: reference.std, norm },
    };
  } else {
    const statistic =
      test === "psi" ? distances.psi : test === "hellinger" ? distances.hellinger : distances.jensen_shannon;
    result = {
      statistic,
      pValue: null,
      details: { method: "sketch", d_error_bound, bins: bins.reference.length },
    };
  }
  return {
    name: input.name,
    kind: "numeric",
    test,
    result,
    n_reference: reference.n,
    n_current: current.n,
    missing_reference: input.missing_reference,
    missing_current: input.missing_current,
    distances,
    histogram: viewHistogram(bins),
  };
}

/** The outcome of evaluating a set of columns. */
export interface Evaluation {
  readonly columns: ColumnReport[];
  readonly dataset: DatasetSummary;
  /** Columns that could not be compared (a side with no values), with the reason. */
  readonly skipped: { name: string; reason: string }[];
}

function sampleSize(sample: ColumnSample): number {
  if (sample.kind === "numeric") return sample.sorted.length;
  let n = 0;
  for (const count of sample.counts.values()) n += count;
  return n;
}

/**
 * Everything about one column that does not depend on the other columns: the test result, the
 * distances, the shared-bin histogram. Plain data, so it can be computed in a worker thread.
 */
export type ColumnAnalysis =
  | {
      readonly name: string;
      readonly skipped: string;
    }
  | {
      readonly name: string;
      readonly skipped?: undefined;
      readonly kind: "numeric" | "categorical";
      readonly test: DriftTestName;
      readonly result: TestResult;
      readonly n_reference: number;
      readonly n_current: number;
      readonly missing_reference: number;
      readonly missing_current: number;
      readonly distances: ColumnReport["distances"];
      readonly histogram: ColumnReport["histogram"];
      readonly only_in_reference?: string[];
      readonly only_in_current?: string[];
    };

/** The test each column kind gets under these options. */
export function testFor(
  kind: "numeric" | "categorical",
  options: Pick<DriftOptions, "numeric_test" | "categorical_test">,
): DriftTestName {
  return kind === "numeric" ? options.numeric_test : options.categorical_test;
}

/** Runs a column's test and computes its distances and histogram (the per-column half of `evaluateColumns`). */
export function analyzeColumn(input: ColumnInput, test: DriftTestName): ColumnAnalysis {
  const n_reference = sampleSize(input.reference);
  const n_current = sampleSize(input.current);
  if (n_reference === 0 || n_current === 0) {
    return {
      name: input.name,
      skipped: `no values in the ${n_reference === 0 ? "reference" : "current"} data`,
    };
  }
  let result: TestResult;
  try {
    result = (driftTests[test] as DriftTest).run(input.reference, input.current);
  } catch (error) {
    // A test that cannot apply to this column's data (the z test on a column with three
    // categories) is the user's choice to revisit, not a crash.
    if (error instanceof RangeError)
      throw new UserError(`column ${showValue(input.name)}: ${test}: ${error.message}`);
    throw error;
  }
  const bins = sharedBins(input.reference, input.current);
  const analysis = {
    name: input.name,
    kind: input.kind,
    test,
    result,
    n_reference,
    n_current,
    missing_reference: input.missing_reference,
    missing_current: input.missing_current,
    distances: columnDistances(input.reference, input.current, bins),
    histogram: toHistogram(bins),
  };
  if (
    bins.kind === "categorical" &&
    input.reference.kind === "categorical" &&
    input.current.kind === "categorical"
  ) {
    const ref = input.reference.counts;
    const cur = input.current.counts;
    return {
      ...analysis,
      only_in_reference: bins.categories.filter((c) => (ref.get(c) ?? 0) > 0 && (cur.get(c) ?? 0) === 0),
      only_in_current: bins.categories.filter((c) => (cur.get(c) ?? 0) > 0 && (ref.get(c) ?? 0) === 0),
    };
  }
  return analysis;
}

/**
 * Decides drift from per-column analyses: the multiple-testing correction across the p-value
 * tests, the effect-size floor, distance thresholds, and the dataset verdict. A column with a
 * threshold drawn from its reference in `thresholds` (`drift/thresholds.ts`) drifts when its raw
 * p-value is below that alpha (a distance: when its statistic exceeds that threshold) and its effect
 * reaches the floor; the monitor's alpha and correction then do not apply to it.
 */
export function decideColumns(
  analyses: readonly ColumnAnalysis[],
  options: DriftOptions,
  thresholds?: ReadonlyMap<string, ThresholdEntry>,
): Evaluation {
  const skipped = analyses.flatMap((a) =>
    a.skipped === undefined ? [] : [{ name: a.name, reason: a.skipped }],
  );
  const partial = analyses.filter(
    (a): a is Extract<ColumnAnalysis, { kind: string }> => a.skipped === undefined,
  );
  const pIndex = partial.flatMap((p, i) => (p.result.pValue === null ? [] : [i]));
  const adjusted = adjustPValues(
    pIndex.map((i) => partial[i].result.pValue as number),
    options.correction,
  );
  const adjustedByIndex = new Map(pIndex.map((i, k) => [i, adjusted[k]]));
  const columns = partial.map((a, i): ColumnReport => {
    const entry = driftTests[a.test] as DriftTest;
    const pAdjusted = adjustedByIndex.get(i) ?? null;
    const effect =
      entry.decision === "p_value" ? entry.effectSize(a.result, a.n_reference, a.n_current) : null;
    const floor = effectFloor(options.min_effect, a.test);
    // Distances have no effect size apart from their statistic: the floor is for p-value tests.
    const large = entry.decision !== "p_value" || floor <= 0 || (effect ?? 0) >= floor;
    const own = thresholds?.get(a.name);
    const fromReference = own === undefined || "unavailable" in own ? null : own;
    let threshold: number;
    let drift: boolean;
    if (fromReference !== null) {
      // The correction is in the threshold (bonferroni divides its tail): the raw p-value decides.
      threshold = fromReference.threshold;
      drift =
        (fromReference.on === "p_value"
          ? (a.result.pValue as number) < threshold
          : Math.abs(a.result.statistic) > threshold) && large;
    } else if (entry.decision === "p_value") {
      threshold = options.alpha;
      drift = (pAdjusted as number) < options.alpha && large;
    } else {
      threshold = options.threshold ?? entry.defaultThreshold;
      drift = a.result.statistic >= threshold;
    }
    const details: Record<string, unknown> = { ...(a.result.details ?? {}) };
    if (effect !== null) details.effect_size = effect;
    if (fromReference !== null) details.reference_threshold = fromReference;
    else if (own !== undefined) details.reference_threshold = own;
    const report: ColumnReport = {
      name: a.name,
      kind: a.kind,
      test: a.test,
      statistic: a.result.statistic,
      p_value: a.result.pValue,
      // With a threshold from the reference the correction is in the threshold, not the p-value.
      p_value_adjusted: fromReference !== null ? a.result.pValue : pAdjusted,
      threshold,
      drift,
      n_reference: a.n_reference,
      n_current: a.n_current,
      missing_reference: a.missing_reference,
      missing_current: a.missing_current,
      distances: a.distances,
      details,
      histogram: a.histogram,
    };
    return a.only_in_reference === undefined
      ? report
      : { ...report, only_in_reference: a.only_in_reference, only_in_current: a.only_in_current };
  });
  const drifted = columns.filter((c) => c.drift).length;
  const share = columns.length === 0 ? 0 : drifted / columns.length;
  return {
    columns,
    skipped,
    dataset: {
      columns: columns.length,
      drifted_columns: drifted,
      share,
      drift_share: options.drift_share,
      drift: columns.length > 0 && share >= options.drift_share,
      alpha: options.alpha,
      correction: options.correction,
    },
  };
}

/**
 * Compares every column's reference and current samples with the configured tests, applies the
 * multiple-testing correction across the p-value tests, and decides dataset drift. Pure: the
 * `report` command and the daemon's drift monitor both come here (the report may analyze columns
 * in worker threads first), so the same rows give the same numbers offline and online.
 */
export function evaluateColumns(
  inputs: readonly (ColumnInput | SketchColumnInput)[],
  options: DriftOptions,
  thresholds?: ReadonlyMap<string, ThresholdEntry>,
): Evaluation {
  return decideColumns(
    inputs.map((input) =>
      "views" in input
        ? analyzeSketchColumn(input, testFor(input.kind, options))
        : analyzeColumn(input, testFor(input.kind, options)),
    ),
    options,
    thresholds,
  );
}
