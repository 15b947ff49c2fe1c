import { expectArray, expectCount, expectFiniteOrNull, expectObject } from "../shape.js";
import {
  type CbpeColumn,
  type CbpeEstimate,
  type CbpeMetric,
  type CbpeOptions,
  type CbpeReference,
  type CbpeRow,
  type CbpeState,
  emptyCbpeState,
  estimateCbpe,
  fitCbpe,
  realizedCbpe,
  updateCbpe,
} from "./cbpe.js";
import { sortLabels } from "./classification.js";
import type { PredictionScore } from "./join.js";
import type { Label } from "./types.js";

// Performance before the labels arrive: a performance monitor's `estimation` runs CBPE (cbpe.ts)
// over windows of predictions. Its reference is the first joined pairs (predictions whose labels
// have come), fitted once; from then on every prediction goes into a window of `chunk_size`
// predictions, estimated when it is full, labels or not.

/** A performance monitor's `estimation` settings. */
export interface EstimationConfig {
  /** The reference: the first `pairs` joined pairs (labels known). */
  readonly reference: { readonly pairs: number };
  /** Predictions per estimation window, and per reference chunk (NannyML's `chunk_size`). */
  readonly chunk_size: number;
  /** The metrics to estimate (default: all CBPE has for the problem). */
  readonly metrics?: readonly CbpeMetric[];
  /** Whether to calibrate each class, overriding NannyML's test (see `CbpeOptions.calibrate`). */
  readonly calibrate?: Readonly<Record<string, boolean>>;
}

/** The checkpointed state of an estimation. */
export interface EstimatorState {
  /** Reference pairs collected so far (null once fitted). */
  rows: CbpeRow[] | null;
  /** The fitted reference, once it is. */
  reference: CbpeReference | null;
  /** The open window of predictions (null until the reference is fitted). */
  window: CbpeState | null;
  /** The open window's index, counted from the fit. */
  index: number;
  /** When its first prediction came (ms). */
  start: number | null;
  /** Labelled predictions of the open window, so far (absent in older checkpoints). */
  open_rows?: CbpeRow[];
  /**
   * Closed windows waiting for their labels, oldest first, at most {@link MAX_SETTLING}: what
   * was estimated, and the labelled predictions so far. A window whose every prediction has its
   * label settles: its estimates are compared with the realized metrics.
   */
  settling?: {
    readonly index: number;
    readonly predictions: number;
    readonly estimated: Partial<Record<CbpeColumn, number | null>>;
    rows: CbpeRow[];
  }[];
}

/** The most closed windows kept waiting for their labels; an older one is dropped unsettled. */
export const MAX_SETTLING = 16;

/** A closed window of predictions and its estimates. */
export interface EstimationResult {
  readonly monitor: string;
  readonly estimation: {
    readonly index: number;
    /** Predictions estimated, and those whose probabilities could not be used. */
    readonly predictions: number;
    readonly invalid: number;
    readonly start: number | null;
    readonly end: number;
    /** Per metric: NannyML's row (value, sampling error, confidence bounds, thresholds, alert). */
    readonly metrics: CbpeEstimate;
  };
}

/**
 * A window of predictions whose labels have all come: each estimated metric beside the realized
 * one (NannyML's `realized` column) and the estimation error, estimated − realized.
 */
export interface EstimationCheckResult {
  readonly monitor: string;
  readonly estimation_check: {
    readonly index: number;
    readonly predictions: number;
    readonly metrics: Partial<
      Record<
        CbpeColumn,
        { readonly estimated: number | null; readonly realized: number | null; readonly error: number | null }
      >
    >;
  };
}

/** The reference of an estimation was fitted, or could not be (then the next pairs are collected). */
export interface EstimationReferenceResult {
  readonly monitor: string;
  readonly estimation_reference: {
    readonly pairs: number;
    /** Whether each class (binary: the positive one) is calibrated, when fitted. */
    readonly calibrated: Readonly<Record<Label, boolean>> | null;
    /** Why it could not be fitted (one class only, too few pairs …), or null. */
    readonly failed: string | null;
  };
}

/** Whether every probability is a number in [0, 1] (CBPE refuses others). */
function usable(score: number | Readonly<Record<string, number>>): boolean {
  const ok = (p: number) => p >= 0 && p <= 1;
  return typeof score === "number" ? ok(score) : Object.values(score).every(ok);
}

/**
 * A labelled prediction as a fitted reference reads it: binary, the positive class's score (from
 * `score`, or its entry among two classes' probabilities); multiclass, every class's probability.
 * Null when it lacks one, as `updateCbpe` left the prediction out of its window then.
 */
function rowFor(
  reference: CbpeReference,
  actual: Label,
  predicted: Label,
  score: number | Readonly<Record<string, number>>,
): CbpeRow | null {
  if (reference.problem === "binary") {
    const positive = reference.classes[0];
    const s =
      typeof score === "number" ? score : Object.hasOwn(score, positive) ? score[positive] : undefined;
    return s === undefined ? null : { actual, predicted, score: s };
  }
  if (typeof score === "number" || !reference.classes.every((c) => Object.hasOwn(score, c))) return null;
  return { actual, predicted, probabilities: score };
}

/** Checks an estimation's checkpointed state. */
export function checkEstimatorState(value: unknown, path: string): void {
  const state = expectObject(value, path);
  if (state.rows !== null) expectArray(state.rows, `${path}/rows`);
  if (state.reference !== null) expectObject(state.reference, `${path}/reference`);
  if (state.window !== null) {
    const window = expectObject(state.window, `${path}/window`);
    expectCount(window.count, `${path}/window/count`);
    expectCount(window.invalid, `${path}/window/invalid`);
    expectObject(window.counts, `${path}/window/counts`);
  }
  expectCount(state.index, `${path}/index`);
  expectFiniteOrNull(state.start, `${path}/start`);
}

/**
 * One monitor's estimation: collects its reference from joined pairs, fits it, then estimates
 * each window of predictions. Binary when the monitor reads `score` (its `positive` class) or
 * per-class probabilities of two classes; multiclass from three.
 */
export class Estimator {
  private s: EstimatorState;

  constructor(
    private readonly monitor: string,
    private readonly config: EstimationConfig,
    /** The monitor's positive class (with `score`, or to pick among two classes' probabilities). */
    private readonly positive: Label | null,
    state?: EstimatorState,
  ) {
    this.s = state ?? { rows: [], reference: null, window: null, index: 0, start: null };
  }

  get state(): EstimatorState {
    return this.s;
  }

  /**
   * Takes a joined pair: into the reference while it is collected (the fit's outcome when it
   * completes), afterwards to the window its prediction was estimated in (`window`), whose
   * comparison with the realized metrics comes when its last label does.
   */
  label(
    actual: Label,
    predicted: Label,
    score: PredictionScore,
    window: number | undefined,
  ): (EstimationReferenceResult | EstimationCheckResult)[] {
    if (score === null || score === "invalid" || !usable(score)) return [];
    const rows = this.s.rows;
    if (rows === null) {
      // A row as the fitted reference reads it, and only if its window counted the prediction.
      const row =
        window === undefined ? null : rowFor(this.s.reference as CbpeReference, actual, predicted, score);
      return row === null || window === undefined ? [] : this.settle(window, row);
    }
    rows.push(
      typeof score === "number" ? { actual, predicted, score } : { actual, predicted, probabilities: score },
    );
    if (rows.length < this.config.reference.pairs) return [];
    try {
      const { fitted, options } = this.prepare(rows);
      const reference = fitCbpe(fitted, options);
      this.s = { rows: null, reference, window: emptyCbpeState(reference), index: 0, start: null };
      const calibrated: Record<Label, boolean> = {};
      for (const [label, c] of Object.entries(reference.calibration)) calibrated[label] = c.needed;
      return [
        { monitor: this.monitor, estimation_reference: { pairs: rows.length, calibrated, failed: null } },
      ];
    } catch (error) {
      // A reference CBPE cannot use (one class, too few rows to split): try the next pairs.
      this.s = { ...this.s, rows: [] };
      return [
        {
          monitor: this.monitor,
          estimation_reference: { pairs: rows.length, calibrated: null, failed: (error as Error).message },
        },
      ];
    }
  }

  /**
   * Adds a prediction to the open window (once fitted): the window's index, for its label to find
   * it, and the window's estimates when it fills.
   */
  predict(
    predicted: Label,
    score: PredictionScore,
    now: number,
  ): { readonly window: number | undefined; readonly closed: EstimationResult | null } {
    const { reference, window } = this.s;
    if (reference === null || window === null) return { window: undefined, closed: null };
    const index = this.s.index;
    if (this.s.start === null) this.s.start = now;
    const binary = reference.problem === "binary";
    updateCbpe(window, reference, {
      predicted,
      ...(score === null || score === "invalid"
        ? {}
        : typeof score === "number"
          ? { score }
          : binary
            ? { score: Object.hasOwn(score, reference.classes[0]) ? score[reference.classes[0]] : Number.NaN }
            : { probabilities: score }),
    });
    return {
      window: index,
      closed: window.count + window.invalid >= this.config.chunk_size ? this.close(now) : null,
    };
  }

  /** Adds a labelled prediction to its window; the comparison when that was the window's last label. */
  /** Adds a labelled prediction to its window; the comparisons of windows that now have every label. */
  private settle(index: number, row: CbpeRow): EstimationCheckResult[] {
    if (index === this.s.index) {
      if (this.s.open_rows === undefined) this.s.open_rows = [];
      this.s.open_rows.push(row);
      return [];
    }
    this.s.settling?.find((w) => w.index === index)?.rows.push(row);
    return this.settled();
  }

  /**
   * The closed windows whose every counted prediction has its label, compared with what was
   * estimated, and let go. A window can be complete when it closes (its last prediction's
   * label came first, or was one the window did not count).
   */
  settled(): EstimationCheckResult[] {
    const done = (this.s.settling ?? []).filter((w) => w.rows.length >= w.predictions);
    if (done.length === 0) return [];
    this.s.settling = (this.s.settling ?? []).filter((w) => !done.includes(w));
    return done.map((waiting) => {
      let realized: Partial<Record<CbpeColumn, number | null>>;
      try {
        realized = realizedCbpe(waiting.rows, this.s.reference as CbpeReference);
      } catch {
        // Rows CBPE's realized metrics refuse: nothing to compare.
        realized = {};
      }
      const metrics: EstimationCheckResult["estimation_check"]["metrics"] = {};
      for (const [column, estimated] of Object.entries(waiting.estimated) as [CbpeColumn, number | null][]) {
        const value = realized[column] ?? null;
        metrics[column] = {
          estimated,
          realized: value,
          error: estimated === null || value === null ? null : estimated - value,
        };
      }
      return {
        monitor: this.monitor,
        estimation_check: { index: waiting.index, predictions: waiting.predictions, metrics },
      };
    });
  }

  /** Closes the open window as it stands (the end of a replay); null when it is empty. */
  flush(now: number): EstimationResult | null {
    const window = this.s.window;
    return window === null || window.count + window.invalid === 0 ? null : this.close(now);
  }

  private close(now: number): EstimationResult {
    const reference = this.s.reference as CbpeReference;
    const window = this.s.window as CbpeState;
    const metrics = estimateCbpe(window, reference);
    const result: EstimationResult = {
      monitor: this.monitor,
      estimation: {
        index: this.s.index,
        predictions: window.count,
        invalid: window.invalid,
        start: this.s.start,
        end: now,
        metrics,
      },
    };
    const estimated: Partial<Record<CbpeColumn, number | null>> = {};
    for (const [column, row] of Object.entries(metrics)) estimated[column as CbpeColumn] = row?.value ?? null;
    const settling = [
      ...(this.s.settling ?? []),
      { index: this.s.index, predictions: window.count, estimated, rows: this.s.open_rows ?? [] },
    ].slice(-MAX_SETTLING);
    this.s = {
      ...this.s,
      window: emptyCbpeState(reference),
      index: this.s.index + 1,
      start: null,
      open_rows: [],
      settling,
    };
    return result;
  }

  /**
   * The rows and options CBPE is fitted with: binary with a score (the monitor's positive class),
   * or with probabilities of two classes (the positive class's, the class being the monitor's
   * positive one, else the greater label as scikit-learn takes it); multiclass from three classes.
   */
  private prepare(rows: readonly CbpeRow[]): { fitted: readonly CbpeRow[]; options: CbpeOptions } {
    const common = {
      chunk_size: this.config.chunk_size,
      ...(this.config.metrics === undefined ? {} : { metrics: this.config.metrics }),
      ...(this.config.calibrate === undefined ? {} : { calibrate: this.config.calibrate }),
    };
    const first = rows[0];
    if ("score" in first) return { fitted: rows, options: { ...common, positive: this.positive ?? "1" } };
    const labels = new Set<Label>();
    for (const row of rows) {
      labels.add(row.actual);
      if ("probabilities" in row) for (const label of Object.keys(row.probabilities)) labels.add(label);
    }
    const classes = sortLabels(labels);
    if (classes.length === 2) {
      const positive = this.positive ?? classes[1];
      // Two classes' probabilities: the positive class's is the score.
      const fitted = rows.map((row) => {
        const p = (row as { probabilities: Readonly<Record<Label, number>> }).probabilities;
        const score = Object.hasOwn(p, positive) ? p[positive] : Number.NaN;
        return { actual: row.actual, predicted: row.predicted, score };
      });
      return { fitted, options: { ...common, positive } };
    }
    return { fitted: rows, options: { ...common, classes } };
  }
}
