import type { ConfigProblem } from "../errors.js";
import type { ConfigOf } from "../monitors/schema.js";
import { quantileLinear } from "../stats/bins.js";
import { permutationNull, pValueScore, scorePValue } from "../stats/permutation.js";
import { seededRandom } from "../stats/prng.js";
import { type DriftTestName, driftTests } from "../stats/registry.js";
import type { ColumnSample, DriftTest, TestResult } from "../stats/types.js";
import type { WindowConfig } from "../windows/config.js";

// Data-driven thresholds: each feature's outcome is compared with a threshold read off its
// distribution over window-sized draws from the reference (`stats/permutation.ts`), instead of the
// test's p-value against a fixed alpha or a distance against a fixed threshold.
//
// A p-value test is calibrated on its p-values (through their normal scores), not on its
// statistic: the p-value already accounts for what the draws cannot reproduce, above all a
// categorical window's categories that the reference never saw (each adds a degree of freedom
// to chi2: on 20 000 flights' 220 origins, stationary windows' chi2 statistics run about 10 %
// above those of draws from the reference, their p-values do not). A distance is calibrated on
// its statistic.

/** Default quantile of the draws a window must be more extreme than. */
const DEFAULT_THRESHOLD_QUANTILE = 0.99;
/** Default number of window-sized draws from the reference. */
const DEFAULT_THRESHOLD_SAMPLES = 1000;
/** Draws beyond the threshold, at the least, for a quantile to be estimated (`samples × (1 − q) ≥ this`). */
const MIN_TAIL_DRAWS = 10;

/** The schema of a drift monitor's `thresholds` key. */
export const thresholdsSchema = {
  type: "object",
  additionalProperties: false,
  description:
    "data-driven thresholds: each feature's p-value (or a distance's statistic) is compared with its distribution over window-sized draws from the reference, instead of a fixed alpha or threshold",
  properties: {
    quantile: {
      type: "number",
      exclusiveMinimum: 0.5,
      exclusiveMaximum: 1,
      description: `a window drifts in a feature when it is more extreme than this quantile of the draws: a p-value below all but 1 − q of theirs, a distance above q of theirs (default ${DEFAULT_THRESHOLD_QUANTILE}: about 1 false alarm per feature per 100 windows; per feature, the tail divided among the features under correction: bonferroni)`,
    },
    std: {
      type: "number",
      exclusiveMinimum: 0,
      description:
        "instead of a quantile, the mean of the draws plus this many standard deviations (NannyML's rule; for p-value tests on the normal scores of their p-values)",
    },
    samples: {
      type: "integer",
      minimum: 100,
      maximum: 100000,
      description: `window-sized draws from the reference (default ${DEFAULT_THRESHOLD_SAMPLES}); the cost is one test per draw and feature when the reference is set`,
    },
    window_events: {
      type: "integer",
      minimum: 1,
      description:
        "events per window to draw (default: the count window's `events`; required with time windows)",
    },
    seed: { type: "integer", minimum: 0, description: "seed of the draws (default 0)" },
  },
} as const;

/** A drift monitor's `thresholds` key (its type is its schema's). */
export type ThresholdsConfig = ConfigOf<typeof thresholdsSchema>;

/** One feature's data-driven threshold, as results and metrics report it. */
export interface ReferenceThreshold {
  /**
   * `p_value`: a window drifts when its p-value is below `threshold` (the feature's own alpha);
   * `statistic` (distances): when its statistic exceeds `threshold`.
   */
  readonly on: "p_value" | "statistic";
  readonly threshold: number;
  /**
   * `quantile` (the level, per feature) or `std` (mean + k·σ), as configured; a p-value test reads
   * both on its p-values' normal scores Φ⁻¹(1 − p), so that quantile q is a p-value exceeded by
   * 1 − q of the draws.
   */
  readonly rule: { readonly quantile: number } | { readonly std: number };
  /** Window-sized draws the threshold was read from (draws without a finite outcome left out). */
  readonly samples: number;
  /** Events per draw. */
  readonly window_events: number;
}

/** A feature's threshold, or why it has none (too few reference values): it is then decided by its test's own rule. */
export type ThresholdEntry = ReferenceThreshold | { readonly unavailable: string };

/** Whether a result's `details.reference_threshold` is a threshold (not the reason for none). */
export function isReferenceThreshold(value: unknown): value is ReferenceThreshold {
  return typeof value === "object" && value !== null && "threshold" in value;
}

/** Events per window the draws take: `window_events`, else a count window's `events`; null when neither. */
export function thresholdWindowEvents(thresholds: ThresholdsConfig, window: WindowConfig): number | null {
  if (thresholds.window_events !== undefined) return thresholds.window_events;
  return "events" in window ? window.events : null;
}

/**
 * The quantile each feature's threshold takes: the configured one, with its tail divided among the
 * features under `correction: bonferroni` (so that a window of stationary data alarms on any
 * feature at most at the configured rate).
 */
export function featureQuantile(thresholds: ThresholdsConfig, correction: string, features: number): number {
  const q = thresholds.quantile ?? DEFAULT_THRESHOLD_QUANTILE;
  return correction === "bonferroni" ? 1 - (1 - q) / Math.max(1, features) : q;
}

/** Config problems of `thresholds` on a drift monitor (paths under `base`). */
export function thresholdProblems(
  monitor: {
    readonly thresholds?: ThresholdsConfig;
    readonly window: WindowConfig;
    readonly reference: { readonly type: string; readonly events?: number };
    readonly features: readonly string[];
    readonly correction?: string;
    readonly mode?: string;
    readonly segment_by?: string;
  },
  base: string,
): ConfigProblem[] {
  const t = monitor.thresholds;
  if (t === undefined) return [];
  const problems: ConfigProblem[] = [];
  const at = `${base}/thresholds`;
  if (t.quantile !== undefined && t.std !== undefined)
    problems.push({ path: at, message: "give either `quantile` or `std`, not both" });
  const events = thresholdWindowEvents(t, monitor.window);
  if (events === null)
    problems.push({
      path: `${at}/window_events`,
      message: "a time window needs `window_events`, the events per window the thresholds are drawn for",
    });
  if (monitor.reference.type === "rolling")
    problems.push({
      path: at,
      message: "a rolling reference moves with every window; data-driven thresholds need a fixed reference",
    });
  if (monitor.mode === "sketch")
    problems.push({
      path: at,
      message: "sketch mode keeps no reference values to draw windows from; use exact mode with thresholds",
    });
  if (monitor.segment_by !== undefined)
    problems.push({
      path: at,
      message:
        "segments' windows differ in size from the monitor's; thresholds cannot be combined with segment_by",
    });
  if (monitor.correction === "fdr")
    problems.push({
      path: `${base}/correction`,
      message: "fdr adjusts p-values; with data-driven thresholds use none or bonferroni",
    });
  if (monitor.correction === "bonferroni" && t.std !== undefined)
    problems.push({
      path: `${base}/correction`,
      message: "bonferroni divides a quantile's tail among the features; with `std`, raise it instead",
    });
  if (events !== null && monitor.reference.type === "first" && (monitor.reference.events ?? 0) < 2 * events)
    problems.push({
      path: `${base}/reference/events`,
      message: `thresholds draw windows of ${events} events from the reference, which needs at least ${2 * events} (got ${monitor.reference.events})`,
    });
  if (t.std === undefined) {
    const q = featureQuantile(t, monitor.correction ?? "none", monitor.features.length);
    const samples = t.samples ?? DEFAULT_THRESHOLD_SAMPLES;
    if (samples * (1 - q) < MIN_TAIL_DRAWS)
      problems.push({
        path: `${at}/samples`,
        message: `quantile ${formatLevel(q)}${monitor.correction === "bonferroni" ? " per feature (bonferroni)" : ""} needs at least ${Math.ceil(MIN_TAIL_DRAWS / (1 - q))} draws, ${MIN_TAIL_DRAWS} beyond it (got ${samples})`,
      });
  }
  return problems;
}

function formatLevel(q: number): string {
  return String(Number(q.toPrecision(6)));
}

/**
 * Each feature's threshold from the reference: `samples` window-sized draws per feature, seeded per
 * feature (the seed and the feature's position), so that a restart, a replay and `report --config`
 * give the same thresholds. A feature whose reference has fewer than two windows of values (or no
 * draw with a finite statistic) gets the reason instead.
 */
export function referenceThresholds(
  reference: ReadonlyMap<string, ColumnSample>,
  tests: Readonly<Record<string, DriftTestName>>,
  thresholds: ThresholdsConfig,
  windowEvents: number,
  quantile: number,
): Map<string, ThresholdEntry> {
  const out = new Map<string, ThresholdEntry>();
  const samples = thresholds.samples ?? DEFAULT_THRESHOLD_SAMPLES;
  let position = 0;
  for (const [name, sample] of reference) {
    const random = seededRandom(((thresholds.seed ?? 0) + Math.imul(position++, 0x9e3779b1)) >>> 0);
    const test = driftTests[tests[name]] as DriftTest;
    const on = test.decision === "p_value" ? "p_value" : "statistic";
    let draws: Float64Array;
    try {
      draws = permutationNull(sample, windowEvents, test, samples, random, scoreOf(on));
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      out.set(name, { unavailable: error.message });
      continue;
    }
    out.set(
      name,
      thresholdOf(draws, on, thresholds, quantile, windowEvents) ?? {
        unavailable: "no draw from the reference had a finite statistic",
      },
    );
  }
  return out;
}

/** What a draw's result is ranked by: its p-value's normal score, or its statistic's magnitude. */
function scoreOf(on: "p_value" | "statistic"): (result: TestResult) => number {
  return on === "p_value"
    ? (result) => (result.pValue === null ? Number.NaN : pValueScore(result.pValue))
    : (result) => Math.abs(result.statistic);
}

/**
 * The threshold from the draws' ascending scores (`scoreOf`), back in the unit of the decision (a
 * p-value, or a statistic); null when no draw had a finite score.
 */
function thresholdOf(
  draws: Float64Array,
  on: "p_value" | "statistic",
  thresholds: ThresholdsConfig,
  quantile: number,
  windowEvents: number,
): ReferenceThreshold | null {
  const n = draws.length;
  if (n === 0) return null;
  let score: number;
  if (thresholds.std !== undefined) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += draws[i];
    mean /= n;
    let ss = 0;
    for (let i = 0; i < n; i++) ss += (draws[i] - mean) ** 2;
    score = mean + thresholds.std * Math.sqrt(ss / n);
  } else score = quantileLinear(draws, quantile);
  return {
    on,
    threshold: on === "p_value" ? scorePValue(score) : score,
    rule: thresholds.std !== undefined ? { std: thresholds.std } : { quantile },
    samples: n,
    window_events: windowEvents,
  };
}
