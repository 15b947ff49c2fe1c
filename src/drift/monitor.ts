import { basename } from "node:path";
import { type CompiledPointer, compilePointer, getAt } from "../decode/pointer.js";
import { checkSegmentedState, type SegmentedState } from "../monitors/segments.js";
import { expectArray, expectCount, expectObject, expectString, pointerSegment } from "../shape.js";
import { type CdfView, exactView, KLL_DEFAULT_K, kllView } from "../stats/sketch.js";
import type { ColumnSample } from "../stats/types.js";
import {
  checkFeatureState,
  emptyFeatureState,
  type FeatureSpec,
  type FeatureState,
  featureCount,
  mergeFeatureStates,
  pooledCount,
  reviveFeatureState,
  toSample,
  updateFeatureState,
} from "../windows/feature-state.js";
import {
  type ClosedWindow,
  checkWindowState,
  type EventMeta,
  Windower,
  type WindowState,
} from "../windows/window.js";
import type { DriftMonitorConfig } from "./config.js";
import {
  type ColumnInput,
  type DriftOptions,
  defaultDriftOptions,
  type Evaluation,
  evaluateColumns,
  type SketchColumnInput,
  testFor,
} from "./evaluate.js";
import type { SegmentVerdict } from "./scope.js";
import {
  featureQuantile,
  referenceThresholds,
  type ThresholdEntry,
  thresholdWindowEvents,
} from "./thresholds.js";

/** What triggered an evaluation. */
export type Trigger = "window_close" | "schedule";

/** Per-feature data-quality figures of an evaluated window. */
export interface FeatureQuality {
  readonly missing_ratio: number;
  /** Share of a categorical feature's values whose category the reference never had (null for numeric). */
  readonly unseen_category_ratio: number | null;
  /**
   * Sketch mode, categorical features: the window's values pooled in `__other__` because their
   * category was not among the `sketch.max_categories` most frequent. Absent otherwise.
   */
  readonly pooled_values?: number;
}

/** Default `sketch.max_categories`: categories a sketch-mode window keeps per categorical feature. */
export const DEFAULT_MAX_CATEGORIES = 10_000;

/**
 * What a window keeps per feature under a monitor's `mode`: the kinds themselves in exact mode; in
 * sketch mode a KLL sketch per numeric feature and capped counts per categorical one.
 */
export function featureSpecs(
  config: Pick<DriftMonitorConfig, "mode" | "sketch">,
  kinds: Record<string, "numeric" | "categorical">,
): Record<string, FeatureSpec> {
  if (config.mode !== "sketch") return kinds;
  const k = config.sketch?.k ?? KLL_DEFAULT_K;
  const limit = config.sketch?.max_categories ?? DEFAULT_MAX_CATEGORIES;
  const specs: Record<string, FeatureSpec> = {};
  for (const [name, kind] of Object.entries(kinds))
    specs[name] = kind === "numeric" ? { kind: "sketch", k, seed: 0 } : { kind: "capped", limit };
  return specs;
}

/** A sketch-mode numeric side: a sketch's CDF, or the exact CDF of raw values (a reference file). */
function cdfViewOf(state: FeatureState): CdfView {
  if (state.kind === "sketch") return kllView(state.sketch);
  const sample = toSample(state);
  if (sample.kind !== "numeric") throw new TypeError(`a ${state.kind} state has no CDF`);
  return exactView(sample.sorted);
}

/** The view of a sketch that is empty: no values, so the column is skipped as an exact empty one is. */
const EMPTY_VIEW: CdfView = {
  values: new Float64Array(0),
  cumulative: new Float64Array(0),
  n: 0,
  rankError: 0,
  min: 0,
  max: 0,
  std: 0,
};

/** One evaluated window: the engine's verdict plus the window's bounds. */
export interface DriftResult {
  readonly monitor: string;
  readonly trigger: Trigger;
  /** The reference the window was compared with (`first:1000`, `file:reference.csv`, `window:12`, `rolling:5`). */
  readonly reference: string;
  readonly window: Omit<ClosedWindow, "features">;
  readonly evaluation: Evaluation;
  readonly quality: Record<string, FeatureQuality>;
  /** Wall time the evaluation took, in seconds (for the evaluation-duration histogram). */
  readonly duration_secs: number;
  /**
   * A segmented monitor's (`segment_by`) segments in this window; the rest of the result is then
   * the pooled window (every event against the whole reference). Absent for other monitors.
   */
  readonly segments?: DriftSegments;
}

/** One segment's evaluation in a window: its events against its reference, in the window's bounds. */
export interface SegmentDriftResult extends DriftResult {
  /** The segment's value, or `__other__`. */
  readonly segment: string;
}

/** The segments of a segmented drift monitor's window, and the window's dataset-level verdict. */
export interface DriftSegments {
  /** The segment feature. */
  readonly by: string;
  /**
   * `per_segment`: each segment is compared with its own reference (the rows of its value in the
   * reference file, or its own first events, or its own last windows); `shared`: every segment
   * with the monitor's one reference (a profile, or a file without the segment column).
   */
  readonly reference: "per_segment" | "shared";
  /**
   * How values got a segment of their own: `reference` (the `max_segments` values with the most
   * reference rows) or `arrival` (the first `max_segments` values seen).
   */
  readonly admission: "reference" | "arrival";
  readonly max_segments: number;
  /** Segments of their own so far (`__other__` not counted). */
  readonly admitted: number;
  /** Events sent to `__other__` so far because their value had no segment of its own. */
  readonly overflow_events: number;
  readonly verdict: SegmentVerdict;
  /** The segments with events in the window, in order of admission, `__other__` last. */
  readonly results: readonly SegmentDriftResult[];
}

/** Checkpointed state of a drift monitor. */
export interface DriftMonitorState {
  /** Reference being collected from the stream (`first` references), or null when loaded from a file. */
  readonly collecting: { features: Record<string, FeatureState>; events: number } | null;
  readonly window: WindowState;
  /**
   * A reference set while running (`driftwatch reference set`), with its label: it stands in for
   * the configured one, also after a restart. Absent in checkpoints written before it existed.
   */
  readonly replaced?: { readonly from: string; readonly features: Record<string, FeatureState> } | null;
  /** `reference set --from window:N`: the index of the window that becomes the reference when it closes. */
  readonly from_window?: number | null;
  /** A `rolling` reference: the last closed windows' states, oldest first, at most its `windows`. */
  readonly rolling?: Record<string, FeatureState>[] | null;
  /** A segmented monitor's segments (this state is then the pooled one's); absent otherwise. */
  readonly segmented?: SegmentedState<DriftMonitorState> | null;
}

/** Checks a drift monitor's state read back from a checkpoint (throws a `StateShapeError`). */
export function checkDriftMonitorState(value: unknown, path: string): void {
  const state = expectObject(value, path);
  if (state.collecting !== null) {
    const collecting = expectObject(state.collecting, `${path}/collecting`);
    expectCount(collecting.events, `${path}/collecting/events`);
    const features = expectObject(collecting.features, `${path}/collecting/features`);
    for (const [name, feature] of Object.entries(features))
      checkFeatureState(feature, `${path}/collecting/features/${pointerSegment(name)}`);
  }
  checkWindowState(state.window, `${path}/window`);
  const checkFeatures = (value: unknown, at: string) => {
    for (const [name, feature] of Object.entries(expectObject(value, at)))
      checkFeatureState(feature, `${at}/${pointerSegment(name)}`);
  };
  if (state.replaced !== undefined && state.replaced !== null) {
    const replaced = expectObject(state.replaced, `${path}/replaced`);
    expectString(replaced.from, `${path}/replaced/from`);
    checkFeatures(replaced.features, `${path}/replaced/features`);
  }
  if (state.from_window !== undefined && state.from_window !== null)
    expectCount(state.from_window, `${path}/from_window`);
  if (state.rolling !== undefined && state.rolling !== null)
    for (const [i, features] of expectArray(state.rolling, `${path}/rolling`).entries())
      checkFeatures(features, `${path}/rolling/${i}`);
  if (state.segmented !== undefined && state.segmented !== null)
    checkSegmentedState(state.segmented, `${path}/segmented`, checkDriftMonitorState);
}

/** The state of several windows' features in one (a rolling reference). */
function mergeAll(windows: readonly Record<string, FeatureState>[]): Record<string, FeatureState> {
  const out: Record<string, FeatureState> = { ...windows[0] };
  for (const features of windows.slice(1))
    for (const [name, state] of Object.entries(features)) out[name] = mergeFeatureStates(out[name], state);
  return out;
}

/**
 * A drift monitor: a reference, a window over one source's events, and the shared engine
 * (`evaluateColumns`) on each closed window. Its state is plain data (`state`), restored through
 * the constructor, so a checkpoint holds it as is.
 */
export class DriftMonitor {
  private readonly windower: Windower;
  private readonly kinds: Record<string, "numeric" | "categorical">;
  private readonly names: readonly string[];
  private readonly options: DriftOptions;
  private current: Record<string, FeatureState> | null;
  private referenceSamples: Map<string, ColumnSample | CdfView> | null = null;
  /** Data-driven thresholds of the reference in `referenceSamples` (`thresholds`), else null. */
  private thresholds: Map<string, ThresholdEntry> | null = null;
  private readonly sketchMode: boolean;
  private collecting: DriftMonitorState["collecting"];
  private replaced: DriftMonitorState["replaced"];
  private fromWindow: number | null;
  /** A rolling reference's windows, oldest first; null for the other reference types. */
  private readonly rolling: Record<string, FeatureState>[] | null;
  private readonly idPointer: CompiledPointer | null;

  constructor(
    readonly name: string,
    readonly config: DriftMonitorConfig,
    kinds: Record<string, "numeric" | "categorical">,
    /** Reference loaded from a file or profile; null for a `first` or `rolling` reference, or one replaced in `state`. */
    reference: Record<string, FeatureState> | null,
    state?: DriftMonitorState,
  ) {
    this.kinds = kinds;
    this.names = Object.keys(kinds);
    this.sketchMode = config.mode === "sketch";
    const specs = featureSpecs(config, kinds);
    this.idPointer = config.id === undefined ? null : compilePointer(config.id);
    this.options = {
      numeric_test: config.numeric_test ?? defaultDriftOptions.numeric_test,
      categorical_test: config.categorical_test ?? defaultDriftOptions.categorical_test,
      alpha: config.alpha ?? defaultDriftOptions.alpha,
      threshold: config.threshold,
      correction: config.correction ?? defaultDriftOptions.correction,
      drift_share: config.drift_share ?? defaultDriftOptions.drift_share,
      min_effect: config.min_effect ?? defaultDriftOptions.min_effect,
    };
    const revive = (features: Record<string, FeatureState>) =>
      Object.fromEntries(Object.entries(features).map(([n, f]) => [n, reviveFeatureState(f)]));
    this.current = reference;
    const restored = state?.collecting ?? null;
    this.collecting = restored && { events: restored.events, features: revive(restored.features) };
    this.replaced = state?.replaced
      ? { from: state.replaced.from, features: revive(state.replaced.features) }
      : null;
    this.fromWindow = state?.from_window ?? null;
    this.rolling =
      config.reference.type === "rolling" ? (state?.rolling ?? []).map((features) => revive(features)) : null;
    if (this.replaced !== null) {
      this.current = this.replaced.features;
      this.collecting = null;
    } else if (config.reference.type === "first" && this.collecting === null && reference === null) {
      const features: Record<string, FeatureState> = {};
      for (const [name, spec] of Object.entries(specs)) features[name] = emptyFeatureState(spec);
      this.collecting = { features, events: 0 };
    }
    if (
      this.config.reference.type === "first" &&
      this.collecting !== null &&
      this.collecting.events >= this.config.reference.events
    ) {
      this.current = this.collecting.features;
    }
    this.windower = new Windower(config.window, specs, state?.window);
    // Thresholds of a reference known at start are drawn now, so a cost or a problem shows at once.
    if (config.thresholds !== undefined && this.current !== null) this.samples();
  }

  /**
   * Each feature's data-driven threshold, or why it has none, when the monitor has `thresholds`
   * and its reference is set; null otherwise.
   */
  get referenceThresholds(): ReadonlyMap<string, ThresholdEntry> | null {
    if (this.config.thresholds === undefined || this.current === null) return null;
    this.samples();
    return this.thresholds;
  }

  /** The monitor's state as plain data, for checkpoints. */
  get state(): DriftMonitorState {
    return {
      collecting: this.collecting,
      window: this.windower.state,
      replaced: this.replaced,
      from_window: this.fromWindow,
      rolling: this.rolling,
    };
  }

  /**
   * The reference's label: the one set while running, else the configured one (`first:N`,
   * `file:NAME`, `profile:NAME`, `rolling:K`).
   */
  get reference(): string {
    if (this.replaced) return this.replaced.from;
    const ref = this.config.reference;
    return ref.type === "first"
      ? `first:${ref.events}`
      : ref.type === "rolling"
        ? `rolling:${ref.windows}`
        : `${ref.type}:${basename(ref.path)}`;
  }

  /** The index the next window to close will have. */
  get nextWindow(): number {
    return this.windower.state.emitted;
  }

  /**
   * Replaces the reference at once with `features` (from a file or a profile), labelled `from`:
   * the window in flight is compared with it when it closes. A pending `window:N` is dropped.
   */
  replaceReference(features: Record<string, FeatureState>, from: string): void {
    if (this.rolling !== null) throw new RangeError("a rolling reference cannot be replaced");
    this.replaced = { from, features };
    this.current = features;
    this.referenceSamples = null;
    this.collecting = null;
    this.fromWindow = null;
  }

  /** Makes window `index` the reference when it closes (after it is compared with the current one). */
  referenceFromWindow(index: number): void {
    if (this.rolling !== null) throw new RangeError("a rolling reference cannot be replaced");
    if (index < this.nextWindow) throw new RangeError(`window ${index} has closed`);
    this.fromWindow = index;
  }

  /** The event's id for a window's samples: the `id` pointer's value as text, or null. */
  idOf(event: unknown): string | null {
    if (this.idPointer === null) return null;
    const id = getAt(event, this.idPointer);
    return id === undefined || id === null ? null : typeof id === "string" ? id : JSON.stringify(id);
  }

  /** Events in the reference so far. */
  get referenceEvents(): number {
    if (this.collecting !== null) return this.collecting.events;
    const count = (features: Record<string, FeatureState>) => {
      const any = Object.values(features)[0];
      return any ? featureCount(any) + any.missing + any.invalid : 0;
    };
    if (this.rolling !== null && this.replaced === null)
      return this.rolling.reduce((sum, features) => sum + count(features), 0);
    return count(this.current ?? {});
  }

  /** Events that arrived after their time window closed. */
  get lateEvents(): number {
    return this.windower.state.late;
  }

  /** True when the window follows processing time and needs `tick`. */
  get needsTick(): boolean {
    return this.windower.processingTime;
  }

  /**
   * Adds one event's feature values. While a `first` reference is incomplete the event goes to
   * the reference; afterwards to the window. Returns the evaluations of windows this event closed.
   */
  add(
    values: Record<string, unknown>,
    now: number,
    eventTime: number | null,
    meta: EventMeta = {},
  ): DriftResult[] {
    // The reference is set exactly when a `first` reference has its N events (or was loaded).
    if (this.current === null && this.collecting !== null) {
      const collecting = this.collecting as NonNullable<DriftMonitorState["collecting"]>;
      collecting.events++;
      const names = this.names;
      for (let k = 0; k < names.length; k++)
        updateFeatureState(collecting.features[names[k]], values[names[k]]);
      if (this.config.reference.type === "first" && collecting.events >= this.config.reference.events) {
        this.current = collecting.features;
        this.referenceSamples = null;
      }
      return [];
    }
    const time = this.windower.processingTime ? now : (eventTime ?? now);
    return this.closed(this.windower.add(values, time, eventTime, meta));
  }

  /** Closes processing-time windows that ended by `now`. */
  tick(now: number): DriftResult[] {
    if (this.current === null && this.rolling === null) return [];
    return this.closed(this.windower.tick(now));
  }

  /** Closes the open window as it stands (the end of a replay); nothing when it is empty or the reference is not ready. */
  flush(_now: number): DriftResult[] {
    if (this.current === null && this.rolling === null) return [];
    const window = this.windower.flush();
    return window === null ? [] : this.closed([window]);
  }

  /** Evaluates the open window as it stands (scheduled evaluations); null when it is empty or the reference is not ready. */
  evaluateOpen(): DriftResult | null {
    if (!this.ready()) return null;
    const current = this.windower.current();
    if (current.events === 0) return null;
    return this.evaluate({ index: this.windower.state.emitted, ...current }, "schedule");
  }

  /**
   * Judges a window built elsewhere (merged from every partition's by a cluster's merger) as if
   * this monitor's own windower had closed it.
   */
  judge(window: ClosedWindow): DriftResult[] {
    return this.closed([window]);
  }

  /**
   * Whether a window can be compared now; a rolling reference is (re)built from its windows
   * here, once it has all of them.
   */
  private ready(): boolean {
    if (this.rolling !== null && this.replaced === null) {
      const windows = (this.config.reference as { windows: number }).windows;
      if (this.rolling.length < windows) return false;
      if (this.current === null) {
        this.current = mergeAll(this.rolling);
        this.referenceSamples = null;
      }
    }
    return this.current !== null;
  }

  /**
   * Compares closed windows with the reference (none while a rolling reference fills), then lets
   * each move the reference: into a rolling reference's windows, or in place of the reference
   * when it is the window `reference set --from window:N` named.
   */
  private closed(windows: readonly ClosedWindow[]): DriftResult[] {
    const results: DriftResult[] = [];
    for (const window of windows) {
      if (this.ready()) results.push(this.evaluate(window, "window_close"));
      if (this.rolling !== null) {
        this.rolling.push(window.features);
        if (this.rolling.length > (this.config.reference as { windows: number }).windows)
          this.rolling.shift();
        this.current = null;
      }
      if (this.fromWindow !== null && window.index >= this.fromWindow) {
        this.fromWindow = null;
        this.replaced = { from: `window:${window.index}`, features: window.features };
        this.current = window.features;
        this.referenceSamples = null;
      }
    }
    return results;
  }

  private samples(): Map<string, ColumnSample | CdfView> {
    if (this.referenceSamples === null) {
      // Sorting the reference once, not per window: it does not change.
      this.referenceSamples = new Map(
        Object.entries(this.current as Record<string, FeatureState>).map(([name, state]) => [
          name,
          this.sketchMode && this.kinds[name] === "numeric" ? this.view(state) : toSample(state),
        ]),
      );
      this.thresholds = this.drawThresholds(this.referenceSamples as Map<string, ColumnSample>);
    }
    return this.referenceSamples;
  }

  /** The data-driven thresholds of a reference (exact mode only: the config refuses sketch mode). */
  private drawThresholds(reference: ReadonlyMap<string, ColumnSample>): Map<string, ThresholdEntry> | null {
    const thresholds = this.config.thresholds;
    if (thresholds === undefined) return null;
    const events = thresholdWindowEvents(thresholds, this.config.window);
    if (events === null)
      throw new RangeError(`monitor ${this.name}: thresholds need window_events with a time window`);
    const tests = Object.fromEntries(
      this.names.map((name) => [name, testFor(this.kinds[name], this.options)]),
    );
    const quantile = featureQuantile(thresholds, this.options.correction, this.names.length);
    return referenceThresholds(reference, tests, thresholds, events, quantile);
  }

  /** A sketch-mode numeric side's CDF (an empty one when it has no values). */
  private view(state: FeatureState): CdfView {
    return featureCount(state) === 0 ? EMPTY_VIEW : cdfViewOf(state);
  }

  private evaluate(window: ClosedWindow, trigger: Trigger): DriftResult {
    const started = performance.now();
    const reference = this.current as Record<string, FeatureState>;
    const samples = this.samples();
    const inputs: (ColumnInput | SketchColumnInput)[] = [];
    const quality: Record<string, FeatureQuality> = {};
    for (const [name, kind] of Object.entries(this.kinds)) {
      const current = window.features[name];
      let unseen: number | null = null;
      if (current.kind === "categorical" || current.kind === "capped") {
        const ref = reference[name] as Extract<FeatureState, { kind: "categorical" | "capped" }>;
        let total = 0;
        let fresh = 0;
        for (const [category, n] of Object.entries(current.counts)) {
          total += n;
          if (!(category in ref.counts)) fresh += n;
        }
        unseen = total === 0 ? 0 : fresh / total;
      }
      quality[name] = {
        missing_ratio: window.events === 0 ? 0 : (current.missing + current.invalid) / window.events,
        unseen_category_ratio: unseen,
        ...(current.kind === "capped" ? { pooled_values: pooledCount(current) } : {}),
      };
      const missing = {
        missing_reference: reference[name].missing + reference[name].invalid,
        missing_current: current.missing + current.invalid,
      };
      if (this.sketchMode && kind === "numeric")
        inputs.push({
          name,
          kind,
          views: { reference: samples.get(name) as CdfView, current: this.view(current) },
          ...missing,
        });
      else
        inputs.push({
          name,
          kind,
          reference: samples.get(name) as ColumnSample,
          current: toSample(current),
          ...missing,
        });
    }
    const { features: _features, ...bounds } = window;
    const evaluation = evaluateColumns(inputs, this.options, this.thresholds ?? undefined);
    return {
      monitor: this.name,
      trigger,
      reference: this.reference,
      window: bounds,
      evaluation,
      quality,
      duration_secs: (performance.now() - started) / 1000,
    };
  }
}
