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
  classificationStateJson,
  emptyClassificationState,
  mergeClassificationInto,
  reviveClassificationState,
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
import {
  type JoinCounts,
  type JoinedPair,
  type JoinState,
  LabelJoin,
  type PendingPrediction,
  type PredictionScore,
} from "./join.js";
import { emptyRegressionState, mergeRegression, regressionMetrics, updateRegression } from "./regression.js";
import { compileSlices, type SliceMatcher } from "./slices.js";
import type {
  ClassificationMetrics,
  ClassificationObservation,
  ClassificationState,
  ClassificationStateJson,
  RegressionMetrics,
  RegressionObservation,
  RegressionState,
} from "./types.js";

type TaskState = ClassificationState | RegressionState;
/** A task state as checkpointed (a regression state is plain JSON as it is). */
type TaskStateJson = ClassificationStateJson | RegressionState;

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

/** What the estimation reports: windows estimated or settled, its reference fitted (or not). */
type EstimationOutput = EstimationResult | EstimationReferenceResult | EstimationCheckResult;

/** What one event did: pairs joined, detector changes, windows closed. */
export interface PerformanceUpdate {
  readonly detections: readonly DetectorStatus[];
  readonly closed: readonly PerformanceResult[];
  /** Windows of predictions estimated or settled by their labels, and the estimation's reference fitted (or not). */
  readonly estimated: readonly EstimationOutput[];
}

/** A `PerformanceUpdate` being filled in. */
interface UpdateInProgress {
  detections: DetectorStatus[];
  closed: PerformanceResult[];
  estimated: EstimationOutput[];
}

/** The update of an event that joined nothing, as most do: one shared object, so that they allocate none. */
const NO_UPDATE: PerformanceUpdate = Object.freeze({
  detections: Object.freeze([]),
  closed: Object.freeze([]),
  estimated: Object.freeze([]),
});

/** Whether an event's value can be a class label (a number or boolean is keyed by its text). */
const isLabel = (value: unknown): value is string | number | boolean =>
  typeof value === "string" || typeof value === "number" || typeof value === "boolean";

/** Task state for all pairs and per slice, live (`TaskState`) or as checkpointed. */
interface Scoped<T = TaskState> {
  all: T;
  slices: Record<string, T>;
}

/** The open window's bookkeeping. */
interface WindowCounts {
  events: number;
  index: number;
  start: number | null;
}

/** Checkpointed state of a performance monitor. */
export interface PerformanceMonitorState {
  readonly join: JoinState;
  readonly counts: JoinCounts;
  readonly window: Scoped<TaskStateJson> & WindowCounts;
  readonly cumulative: Scoped<TaskStateJson>;
  readonly detectors: { state: unknown; drifts: number }[];
  pairs: number;
  window_drifts: { detector: string; pair: number }[];
  /** The estimation's state, with `estimation` configured (absent in older checkpoints). */
  estimation?: EstimatorState | null;
}

/** What the monitor keeps beside its join, detectors and estimator. */
interface LiveState {
  window: Scoped & WindowCounts;
  cumulative: Scoped;
  pairs: number;
  window_drifts: { detector: string; pair: number }[];
}

/** The scoped states each mapped by `f`, for converting between the live and checkpointed forms. */
function mapScoped<A, B>(scoped: Scoped<A>, f: (state: A) => B): Scoped<B> {
  const slices: Record<string, B> = {};
  for (const [name, state] of Object.entries(scoped.slices)) slices[name] = f(state);
  return { all: f(scoped.all), slices };
}

/** What a pair tells the classification states, built once for the window and each of its slices. */
function classificationObservation({ prediction, actual }: JoinedPair): ClassificationObservation {
  const score = prediction.score;
  // One object shape whatever the score, which keeps `updateClassification`'s reads monomorphic.
  return {
    actual: String(actual),
    predicted: String(prediction.predicted),
    score: typeof score === "number" ? score : undefined,
    probabilities: score !== null && typeof score === "object" ? score : undefined,
    unusable_score: score === "invalid",
  };
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

/** The id at `pointer`: a string, or a finite number as its text; null for anything else. */
function idAt(event: Record<string, unknown>, pointer: CompiledPointer): string | null {
  const id = getAt(event, pointer);
  return typeof id === "string" ? id : typeof id === "number" && Number.isFinite(id) ? String(id) : null;
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
  private readonly matchSlices: SliceMatcher;
  private s: LiveState;
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
    this.matchSlices = compileSlices(config.slices ?? {});
    this.s = state
      ? {
          window: {
            ...mapScoped(state.window, (task) => this.reviveTask(task)),
            events: state.window.events,
            index: state.window.index,
            start: state.window.start,
          },
          cumulative: mapScoped(state.cumulative, (task) => this.reviveTask(task)),
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
    const { window, cumulative } = this.s;
    return {
      ...this.s,
      window: { ...window, ...mapScoped(window, (task) => this.taskJson(task)) },
      cumulative: mapScoped(cumulative, (task) => this.taskJson(task)),
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

  /** A task state in its checkpointed form. */
  private taskJson(state: TaskState): TaskStateJson {
    return this.config.task === "classification"
      ? classificationStateJson(state as ClassificationState)
      : (state as RegressionState);
  }

  /** A task state back from its checkpointed form. */
  private reviveTask(json: TaskStateJson): TaskState {
    return this.config.task === "classification"
      ? reviveClassificationState(json as ClassificationStateJson)
      : (json as RegressionState);
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
    const estimated: EstimationOutput[] = [];
    const predicted =
      source === this.config.predictions.source ? this.addPrediction(event, features, now, estimated) : null;
    const labelled = source === this.config.labels.source ? this.addLabel(event, now) : null;
    if (predicted === null && labelled === null && estimated.length === 0) return NO_UPDATE;
    const update: UpdateInProgress = { detections: [], closed: [], estimated };
    if (predicted) this.settle(predicted, now, update);
    if (labelled) this.settle(labelled, now, update);
    return update;
  }

  /**
   * Joins a prediction event, after estimating it (with `estimation`, whose results go to
   * `estimated`); returns the pair it completed, if any.
   */
  private addPrediction(
    event: Record<string, unknown>,
    features: Readonly<Record<string, unknown>>,
    now: number,
    estimated: EstimationOutput[],
  ): JoinedPair | null {
    const id = idAt(event, this.pointers.predictionId);
    const predicted = getAt(event, this.pointers.predicted);
    if (id === null || !isLabel(predicted)) return null;
    const score = this.scoreOf(event);
    // Estimated first: the window it lands in goes with it into the join, for its label.
    const estimate = this.estimator?.predict(String(predicted), score, now);
    if (estimate?.closed) estimated.push(estimate.closed, ...(this.estimator?.settled() ?? []));
    const prediction: PendingPrediction = {
      at: now,
      predicted: typeof predicted === "boolean" ? String(predicted) : predicted,
      score,
      slices: this.matchSlices(features),
    };
    return this.join.addPrediction(
      id,
      estimate?.window === undefined ? prediction : { ...prediction, estimated_in: estimate.window },
    );
  }

  /** Joins a label event; returns the pair it completed, if any. */
  private addLabel(event: Record<string, unknown>, now: number): JoinedPair | null {
    const id = idAt(event, this.pointers.labelId);
    const actual = getAt(event, this.pointers.actual);
    if (id === null || !isLabel(actual)) return null;
    return this.join.addLabel(id, { at: now, actual: typeof actual === "boolean" ? String(actual) : actual });
  }

  /** Records a joined pair and closes the windows it completes, adding what happened to `update`. */
  private settle(pair: JoinedPair, now: number, update: UpdateInProgress): void {
    update.closed.push(...this.closeDue(now));
    update.detections.push(...this.record(pair, now));
    const w = this.config.window;
    if ("events" in w && this.s.window.events >= w.events) update.closed.push(this.close(now));
    const labelled = this.estimator?.label(
      String(pair.actual),
      String(pair.prediction.predicted),
      pair.prediction.score,
      pair.prediction.estimated_in,
    );
    if (labelled) update.estimated.push(...labelled);
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
    let error: number;
    let observation: ClassificationObservation | RegressionObservation;
    if (this.config.task === "classification") {
      const obs = classificationObservation(pair);
      error = obs.actual === obs.predicted ? 0 : 1;
      observation = obs;
    } else {
      const obs = { actual: Number(pair.actual), predicted: Number(pair.prediction.predicted) };
      error = Math.abs(obs.actual - obs.predicted);
      observation = obs;
    }
    const window = this.s.window;
    if (window.start === null) window.start = now;
    window.events++;
    // Only the window is updated per pair; it is merged into the cumulative state when it closes
    // (merge equals one pass), which halves the work per pair.
    this.update(window.all, observation);
    for (const slice of pair.prediction.slices) {
      const state = window.slices[slice];
      if (state) this.update(state, observation);
    }
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

  /** Adds one pair's observation (of the monitor's task) to a task state. */
  private update(state: TaskState, observation: ClassificationObservation | RegressionObservation): void {
    if (this.config.task === "classification")
      updateClassification(state as ClassificationState, observation as ClassificationObservation);
    else updateRegression(state as RegressionState, observation as RegressionObservation);
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

  /**
   * The cumulative state with a closed window merged in: a classification state in place, since a
   * copy of its score counts (one cell per distinct score so far) at every close costs more than
   * the merge; a regression state (a few moments) anew.
   */
  private merge(cumulative: TaskState, window: TaskState): TaskState {
    if (this.config.task === "regression")
      return mergeRegression(cumulative as RegressionState, window as RegressionState);
    mergeClassificationInto(cumulative as ClassificationState, window as ClassificationState);
    return cumulative;
  }

  private close(now: number): PerformanceResult {
    const w = this.s.window;
    const cumulative: Scoped = { all: this.merge(this.s.cumulative.all, w.all), slices: {} };
    for (const [name, state] of Object.entries(this.s.cumulative.slices))
      cumulative.slices[name] = this.merge(state, w.slices[name]);
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
