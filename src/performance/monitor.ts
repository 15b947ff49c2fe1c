import { type CompiledPointer, compilePointer, getAt } from "../decode/pointer.js";
import { type AnyDetectorKind, type DetectorName, detectors } from "../detectors/registry.js";
import type { Detector } from "../detectors/types.js";
import {
  expectArray,
  expectCount,
  expectFinite,
  expectFiniteOrNull,
  expectObject,
  expectString,
} from "../shape.js";
import {
  classificationMetrics,
  emptyClassificationState,
  mergeClassification,
  updateClassification,
} from "./classification.js";
import { MAX_CLASSES, type PerformanceMonitorConfig } from "./config.js";
import {
  checkEstimatorState,
  type EstimationCheckResult,
  type EstimationReferenceResult,
  type EstimationResult,
  Estimator,
  type EstimatorState,
} from "./estimation.js";
import { type JoinCounts, type JoinedPair, type JoinState, LabelJoin, type PredictionScore } from "./join.js";
import { emptyRegressionState, mergeRegression, regressionMetrics, updateRegression } from "./regression.js";
import { matchingSlices } from "./slices.js";
import type {
  ClassificationMetrics,
  ClassificationState,
  RegressionMetrics,
  RegressionState,
} from "./types.js";

type TaskState = ClassificationState | RegressionState;

/** Metrics of one scope: overall and per declared slice. */
export interface ScopeMetrics {
  readonly all: ClassificationMetrics | RegressionMetrics;
  readonly slices: Readonly<Record<string, ClassificationMetrics | RegressionMetrics>>;
}

/** A detector's standing after an update. */
export interface DetectorStatus {
  readonly detector: string;
  readonly drift: boolean;
  readonly warning: boolean;
  readonly estimate: number | null;
  /** Drifts detected since the monitor started (kept across restarts). */
  readonly drifts: number;
}

/** A closed window of joined pairs. */
export interface PerformanceResult {
  readonly monitor: string;
  readonly task: "classification" | "regression";
  readonly window: {
    readonly index: number;
    readonly events: number;
    readonly start: number | null;
    readonly end: number | null;
  };
  readonly window_metrics: ScopeMetrics;
  readonly cumulative_metrics: ScopeMetrics;
  readonly join: JoinCounts & { readonly pending_predictions: number; readonly pending_labels: number };
  readonly detectors: readonly DetectorStatus[];
  /** Pair indices (since start) at which a detector fired during this window. */
  readonly drifts: readonly { readonly detector: string; readonly pair: number }[];
}

/** What one event did: pairs joined, detector changes, windows closed. */
export interface PerformanceUpdate {
  readonly detections: readonly DetectorStatus[];
  readonly closed: readonly PerformanceResult[];
  /** Windows of predictions estimated or settled by their labels, and the estimation's reference fitted (or not). */
  readonly estimated: readonly (EstimationResult | EstimationReferenceResult | EstimationCheckResult)[];
}

/** Task state for all pairs and per slice. */
interface Scoped {
  all: TaskState;
  slices: Record<string, TaskState>;
}

/** Checkpointed state of a performance monitor. */
export interface PerformanceMonitorState {
  readonly join: JoinState;
  readonly counts: JoinCounts;
  readonly window: Scoped & { events: number; index: number; start: number | null };
  readonly cumulative: Scoped;
  readonly detectors: { state: unknown; drifts: number }[];
  pairs: number;
  window_drifts: { detector: string; pair: number }[];
  /** The estimation's state, with `estimation` configured (absent in older checkpoints). */
  estimation?: EstimatorState | null;
}

/**
 * Checks a performance monitor's state read back from a checkpoint (throws a `StateShapeError`):
 * the join's buffers, the counts, and the windows' and detectors' bookkeeping. The metric states
 * inside are sums and moments of finite numbers, which the checkpoint's checksums already vouch for.
 */
export function checkPerformanceMonitorState(value: unknown, path: string): void {
  const state = expectObject(value, path);
  const join = expectObject(state.join, `${path}/join`);
  for (const side of ["predictions", "labels"]) {
    for (const [i, entry] of expectArray(join[side], `${path}/join/${side}`).entries()) {
      const at = `${path}/join/${side}/${i}`;
      const pair = expectArray(entry, at);
      expectString(pair[0], `${at}/0`);
      const pending = expectObject(pair[1], `${at}/1`);
      expectFinite(pending.at, `${at}/1/at`);
      const score = pending.score;
      if (side === "predictions" && score !== null && score !== "invalid") {
        if (typeof score === "object")
          for (const [label, p] of Object.entries(expectObject(score, `${at}/1/score`)))
            expectFinite(p, `${at}/1/score/${label}`);
        else expectFinite(score, `${at}/1/score`);
      }
    }
  }
  for (const [key, n] of Object.entries(expectObject(state.counts, `${path}/counts`)))
    expectCount(n, `${path}/counts/${key}`);
  for (const scope of ["window", "cumulative"]) {
    const scoped = expectObject(state[scope], `${path}/${scope}`);
    expectObject(scoped.all, `${path}/${scope}/all`);
    expectObject(scoped.slices, `${path}/${scope}/slices`);
  }
  const window = state.window as Record<string, unknown>;
  expectCount(window.events, `${path}/window/events`);
  expectCount(window.index, `${path}/window/index`);
  expectFiniteOrNull(window.start, `${path}/window/start`);
  if (state.estimation !== undefined && state.estimation !== null)
    checkEstimatorState(state.estimation, `${path}/estimation`);
  for (const [i, detector] of expectArray(state.detectors, `${path}/detectors`).entries())
    expectCount(expectObject(detector, `${path}/detectors/${i}`).drifts, `${path}/detectors/${i}/drifts`);
  expectCount(state.pairs, `${path}/pairs`);
  for (const [i, drift] of expectArray(state.window_drifts, `${path}/window_drifts`).entries()) {
    const entry = expectObject(drift, `${path}/window_drifts/${i}`);
    expectString(entry.detector, `${path}/window_drifts/${i}/detector`);
    expectCount(entry.pair, `${path}/window_drifts/${i}/pair`);
  }
}

/**
 * A performance monitor: predictions from one source and labels from another (often days later)
 * are joined by id (`LabelJoin`), and every joined pair updates the window's and the cumulative
 * metric states (overall and per declared slice) and feeds the error to the concept-drift
 * detectors: 1/0 for a misclassification, the absolute error for regression. Windows are tumbling,
 * by joined pairs or by processing time. The state is plain data for checkpoints.
 */
export class PerformanceMonitor {
  readonly kind = "performance";
  private readonly join: LabelJoin;
  private readonly pointers: {
    readonly predictionId: CompiledPointer;
    readonly predicted: CompiledPointer;
    readonly score: CompiledPointer | null;
    readonly probabilities: CompiledPointer | null;
    readonly labelId: CompiledPointer;
    readonly actual: CompiledPointer;
  };
  /** Each detector under its name (its `name`, or its type) with its drifts so far. */
  private readonly detectors: { name: string; detector: Detector<unknown>; drifts: number }[];
  private s: Omit<PerformanceMonitorState, "join" | "counts" | "detectors" | "estimation">;
  private readonly estimator: Estimator | null;

  constructor(
    readonly name: string,
    readonly config: PerformanceMonitorConfig,
    state?: PerformanceMonitorState,
    private readonly now: () => number = Date.now,
  ) {
    this.join = new LabelJoin(
      {
        ttl_ms: (config.join?.ttl_secs ?? 86_400) * 1000,
        max_pending: config.join?.max_pending ?? 1_000_000,
      },
      state?.join,
      state?.counts,
    );
    this.pointers = {
      predictionId: compilePointer(config.predictions.id),
      predicted: compilePointer(config.predictions.label),
      score: config.predictions.score === undefined ? null : compilePointer(config.predictions.score),
      probabilities:
        config.predictions.probabilities === undefined
          ? null
          : compilePointer(config.predictions.probabilities),
      labelId: compilePointer(config.labels.id),
      actual: compilePointer(config.labels.label),
    };
    this.detectors = (config.detectors ?? []).map(({ type, name, ...params }, i) => {
      const kind = detectors[type as DetectorName] as AnyDetectorKind;
      const saved = state?.detectors[i];
      return {
        name: typeof name === "string" ? name : type,
        detector: kind.create(params, saved?.state),
        drifts: saved?.drifts ?? 0,
      };
    });
    this.estimator =
      config.estimation === undefined
        ? null
        : new Estimator(name, config.estimation, config.positive ?? null, state?.estimation ?? undefined);
    this.s = state
      ? {
          window: state.window,
          cumulative: state.cumulative,
          pairs: state.pairs,
          window_drifts: state.window_drifts,
        }
      : {
          window: { ...this.emptyScoped(), events: 0, index: 0, start: null },
          cumulative: this.emptyScoped(),
          pairs: 0,
          window_drifts: [],
        };
  }

  /** Always: the join expires on a timer. */
  get needsTick(): boolean {
    return true;
  }

  /** Performance monitors have no reference and no late events (time windows follow processing time). */
  get referenceEvents(): number {
    return 0;
  }

  get lateEvents(): number {
    return 0;
  }

  /** The sources this monitor reads. */
  get sources(): readonly string[] {
    return [...new Set([this.config.predictions.source, this.config.labels.source])];
  }

  get state(): PerformanceMonitorState {
    return {
      ...this.s,
      join: this.join.state,
      counts: this.join.counts,
      detectors: this.detectors.map((d) => ({ state: d.detector.state, drifts: d.drifts })),
      estimation: this.estimator?.state ?? null,
    };
  }

  get pending(): { predictions: number; labels: number } {
    return { predictions: this.join.pendingPredictions, labels: this.join.pendingLabels };
  }

  get joinCounts(): JoinCounts {
    return this.join.counts;
  }

  private emptyTask(): TaskState {
    return this.config.task === "classification"
      ? emptyClassificationState({ positive: this.config.positive ?? null })
      : emptyRegressionState();
  }

  private emptyScoped(): Scoped {
    const slices: Record<string, TaskState> = {};
    for (const name of Object.keys(this.config.slices ?? {})) slices[name] = this.emptyTask();
    return { all: this.emptyTask(), slices };
  }

  /**
   * Takes one valid event of `source` (predictions, labels, or both when they share a source);
   * `features` are that source's configured feature values, for slices.
   */
  add(
    source: string,
    event: Record<string, unknown>,
    features: Readonly<Record<string, unknown>>,
  ): PerformanceUpdate {
    const now = this.now();
    const detections: DetectorStatus[] = [];
    const closed: PerformanceResult[] = [];
    const estimated: (EstimationResult | EstimationReferenceResult | EstimationCheckResult)[] = [];
    const pairs: JoinedPair[] = [];
    const idOf = (pointer: CompiledPointer): string | null => {
      const id = getAt(event, pointer);
      return typeof id === "string" ? id : typeof id === "number" && Number.isFinite(id) ? String(id) : null;
    };
    if (source === this.config.predictions.source) {
      const id = idOf(this.pointers.predictionId);
      const predicted = getAt(event, this.pointers.predicted);
      if (
        id !== null &&
        (typeof predicted === "string" || typeof predicted === "number" || typeof predicted === "boolean")
      ) {
        const slices = matchingSlices(this.config.slices ?? {}, (feature) => features[feature]);
        const score = this.scoreOf(event);
        // Estimated first: the window it lands in goes with it into the join, for its label.
        const estimate = this.estimator?.predict(String(predicted), score, now);
        if (estimate?.closed) estimated.push(estimate.closed, ...(this.estimator?.settled() ?? []));
        const pair = this.join.addPrediction(id, {
          at: now,
          predicted: typeof predicted === "boolean" ? String(predicted) : predicted,
          score,
          slices,
          ...(estimate?.window === undefined ? {} : { estimated_in: estimate.window }),
        });
        if (pair) pairs.push(pair);
      }
    }
    if (source === this.config.labels.source) {
      const id = idOf(this.pointers.labelId);
      const actual = getAt(event, this.pointers.actual);
      if (
        id !== null &&
        (typeof actual === "string" || typeof actual === "number" || typeof actual === "boolean")
      ) {
        const pair = this.join.addLabel(id, {
          at: now,
          actual: typeof actual === "boolean" ? String(actual) : actual,
        });
        if (pair) pairs.push(pair);
      }
    }
    for (const pair of pairs) {
      closed.push(...this.closeDue(now));
      detections.push(...this.record(pair, now));
      const w = this.config.window;
      if ("events" in w && this.s.window.events >= w.events) closed.push(this.close(now));
      const labelled = this.estimator?.label(
        String(pair.actual),
        String(pair.prediction.predicted),
        pair.prediction.score,
        pair.prediction.estimated_in,
      );
      if (labelled) estimated.push(...labelled);
    }
    return { detections, closed, estimated };
  }

  /**
   * The probabilities a prediction event carries: a finite number at `score`; at
   * `probabilities`, an object of finite numbers by label, or an array of them in the order of
   * `classes`. Anything else (absent, text, the wrong length) is "invalid" and counted as such.
   */
  private scoreOf(event: Record<string, unknown>): PredictionScore {
    const { score, probabilities } = this.pointers;
    if (score !== null) {
      const value = getAt(event, score);
      return typeof value === "number" && Number.isFinite(value) ? value : "invalid";
    }
    if (probabilities === null) return null;
    const value = getAt(event, probabilities);
    const finite = (p: unknown): p is number => typeof p === "number" && Number.isFinite(p);
    const classes = this.config.predictions.classes;
    if (Array.isArray(value)) {
      if (classes === undefined || value.length !== classes.length || !value.every(finite)) return "invalid";
      // fromEntries defines own properties, so a class named "__proto__" is an ordinary key.
      return Object.fromEntries(classes.map((label, i) => [label, value[i] as number]));
    }
    if (value === null || typeof value !== "object") return "invalid";
    const entries = Object.entries(value);
    if (entries.length === 0 || entries.length > MAX_CLASSES || !entries.every(([, p]) => finite(p)))
      return "invalid";
    return Object.fromEntries(entries) as Record<string, number>;
  }

  /** Expires what waited past the TTL and closes a time window that has ended. */
  tick(now: number): PerformanceResult[] {
    this.join.expire(now);
    return this.closeDue(now);
  }

  /** Closes the open windows as they stand (the end of a replay): pairs, and predictions estimated. */
  flush(now: number): (PerformanceResult | EstimationResult)[] {
    const estimate = this.estimator?.flush(now) ?? null;
    return [
      ...(this.s.window.events === 0 ? [] : [this.close(now)]),
      ...(estimate === null ? [] : [estimate]),
    ];
  }

  private closeDue(now: number): PerformanceResult[] {
    const w = this.config.window;
    if (!("duration_secs" in w) || this.s.window.start === null) return [];
    return now >= this.s.window.start + w.duration_secs * 1000 ? [this.close(now)] : [];
  }

  private record(pair: JoinedPair, now: number): DetectorStatus[] {
    const { prediction, actual } = pair;
    let error: number;
    const update = (state: TaskState): void => {
      if (this.config.task === "classification") {
        const score = prediction.score;
        updateClassification(state as ClassificationState, {
          actual: String(actual),
          predicted: String(prediction.predicted),
          ...(score === null
            ? {}
            : score === "invalid"
              ? { unusable_score: true }
              : typeof score === "number"
                ? { score }
                : { probabilities: score }),
        });
      } else {
        updateRegression(state as RegressionState, {
          actual: Number(actual),
          predicted: Number(prediction.predicted),
        });
      }
    };
    if (this.config.task === "classification")
      error = String(actual) === String(prediction.predicted) ? 0 : 1;
    else error = Math.abs(Number(actual) - Number(prediction.predicted));
    const window = this.s.window;
    if (window.start === null) window.start = now;
    window.events++;
    // Only the window is updated per pair; it is merged into the cumulative state when it closes
    // (merge equals one pass), which halves the work per pair.
    update(window.all);
    for (const slice of prediction.slices) if (window.slices[slice]) update(window.slices[slice]);
    this.s.pairs++;
    const changes: DetectorStatus[] = [];
    if (!Number.isFinite(error)) return changes;
    for (const d of this.detectors) {
      const wasWarning = d.detector.warningDetected;
      d.detector.update(error);
      if (d.detector.driftDetected) {
        d.drifts++;
        this.s.window_drifts.push({ detector: d.name, pair: this.s.pairs });
      }
      if (d.detector.driftDetected || d.detector.warningDetected !== wasWarning) changes.push(this.status(d));
    }
    return changes;
  }

  private status(d: { name: string; detector: Detector<unknown>; drifts: number }): DetectorStatus {
    return {
      detector: d.name,
      drift: d.detector.driftDetected,
      warning: d.detector.warningDetected,
      estimate: d.detector.estimate,
      drifts: d.drifts,
    };
  }

  private metrics(scoped: Scoped): ScopeMetrics {
    const level = { level: this.config.level ?? 0.95 };
    const of = (state: TaskState): ClassificationMetrics | RegressionMetrics =>
      this.config.task === "classification"
        ? classificationMetrics(state as ClassificationState, level)
        : regressionMetrics(state as RegressionState, level);
    const slices: Record<string, ClassificationMetrics | RegressionMetrics> = {};
    for (const [name, state] of Object.entries(scoped.slices)) slices[name] = of(state);
    return { all: of(scoped.all), slices };
  }

  private close(now: number): PerformanceResult {
    const w = this.s.window;
    const merge = (a: TaskState, b: TaskState): TaskState =>
      this.config.task === "classification"
        ? mergeClassification(a as ClassificationState, b as ClassificationState)
        : mergeRegression(a as RegressionState, b as RegressionState);
    const cumulative: Scoped = { all: merge(this.s.cumulative.all, w.all), slices: {} };
    for (const [name, state] of Object.entries(this.s.cumulative.slices))
      cumulative.slices[name] = merge(state, w.slices[name]);
    this.s = { ...this.s, cumulative };
    const result: PerformanceResult = {
      monitor: this.name,
      task: this.config.task,
      window: { index: w.index, events: w.events, start: w.start, end: now },
      window_metrics: this.metrics(w),
      cumulative_metrics: this.metrics(this.s.cumulative),
      join: {
        ...this.join.counts,
        pending_predictions: this.join.pendingPredictions,
        pending_labels: this.join.pendingLabels,
      },
      detectors: this.detectors.map((d) => this.status(d)),
      drifts: this.s.window_drifts,
    };
    this.s = {
      ...this.s,
      window: { ...this.emptyScoped(), events: 0, index: w.index + 1, start: null },
      window_drifts: [],
    };
    return result;
  }
}
