import { type CompiledPointer, compilePointer, getAt } from "../decode/pointer.js";
import { expectCount, expectObject, pointerSegment } from "../shape.js";
import type { ColumnSample } from "../stats/types.js";
import {
  checkFeatureState,
  emptyFeatureState,
  type FeatureState,
  featureCount,
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
} from "./evaluate.js";

/** What triggered an evaluation. */
export type Trigger = "window_close" | "schedule";

/** Per-feature data-quality figures of an evaluated window. */
export interface FeatureQuality {
  readonly missing_ratio: number;
  /** Share of a categorical feature's values whose category the reference never had (null for numeric). */
  readonly unseen_category_ratio: number | null;
}

/** One evaluated window: the engine's verdict plus the window's bounds. */
export interface DriftResult {
  readonly monitor: string;
  readonly trigger: Trigger;
  readonly window: Omit<ClosedWindow, "features">;
  readonly evaluation: Evaluation;
  readonly quality: Record<string, FeatureQuality>;
  /** Wall time the evaluation took, in seconds (for the evaluation-duration histogram). */
  readonly duration_secs: number;
}

/** Checkpointed state of a drift monitor. */
export interface DriftMonitorState {
  /** Reference being collected from the stream (`first` references), or null when loaded from a file. */
  readonly collecting: { features: Record<string, FeatureState>; events: number } | null;
  readonly window: WindowState;
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
  private reference: Record<string, FeatureState> | null;
  private referenceSamples: Map<string, ColumnSample> | null = null;
  private collecting: DriftMonitorState["collecting"];
  private readonly idPointer: CompiledPointer | null;

  constructor(
    readonly name: string,
    readonly config: DriftMonitorConfig,
    kinds: Record<string, "numeric" | "categorical">,
    /** Reference loaded from a file or profile; null for a `first` reference. */
    reference: Record<string, FeatureState> | null,
    state?: DriftMonitorState,
  ) {
    this.kinds = kinds;
    this.names = Object.keys(kinds);
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
    this.reference = reference;
    const restored = state?.collecting ?? null;
    this.collecting = restored && {
      events: restored.events,
      features: Object.fromEntries(
        Object.entries(restored.features).map(([n, f]) => [n, reviveFeatureState(f)]),
      ),
    };
    if (reference === null && this.collecting === null) {
      const features: Record<string, FeatureState> = {};
      for (const [name, kind] of Object.entries(kinds)) features[name] = emptyFeatureState(kind);
      this.collecting = { features, events: 0 };
    }
    if (
      this.config.reference.type === "first" &&
      this.collecting !== null &&
      this.collecting.events >= this.config.reference.events
    ) {
      this.reference = this.collecting.features;
    }
    this.windower = new Windower(config.window, kinds, state?.window);
  }

  /** The monitor's state as plain data, for checkpoints. */
  get state(): DriftMonitorState {
    return { collecting: this.collecting, window: this.windower.state };
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
    const any = Object.values(this.reference ?? {})[0];
    return any ? featureCount(any) + any.missing + any.invalid : 0;
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
    if (this.reference === null) {
      const collecting = this.collecting as NonNullable<DriftMonitorState["collecting"]>;
      collecting.events++;
      const names = this.names;
      for (let k = 0; k < names.length; k++)
        updateFeatureState(collecting.features[names[k]], values[names[k]]);
      if (this.config.reference.type === "first" && collecting.events >= this.config.reference.events) {
        this.reference = collecting.features;
        this.referenceSamples = null;
      }
      return [];
    }
    const time = this.windower.processingTime ? now : (eventTime ?? now);
    return this.windower.add(values, time, eventTime, meta).map((w) => this.evaluate(w, "window_close"));
  }

  /** Closes processing-time windows that ended by `now`. */
  tick(now: number): DriftResult[] {
    if (this.reference === null) return [];
    return this.windower.tick(now).map((w) => this.evaluate(w, "window_close"));
  }

  /** Closes the open window as it stands (the end of a replay); nothing when it is empty or the reference is not ready. */
  flush(_now: number): DriftResult[] {
    if (this.reference === null) return [];
    const window = this.windower.flush();
    return window === null ? [] : [this.evaluate(window, "window_close")];
  }

  /** Evaluates the open window as it stands (scheduled evaluations); null when it is empty or the reference is not ready. */
  evaluateOpen(): DriftResult | null {
    if (this.reference === null) return null;
    const current = this.windower.current();
    if (current.events === 0) return null;
    return this.evaluate({ index: this.windower.state.emitted, ...current }, "schedule");
  }

  private samples(): Map<string, ColumnSample> {
    if (this.referenceSamples === null) {
      // Sorting the reference once, not per window: it does not change.
      this.referenceSamples = new Map(
        Object.entries(this.reference as Record<string, FeatureState>).map(([name, state]) => [
          name,
          toSample(state),
        ]),
      );
    }
    return this.referenceSamples;
  }

  private evaluate(window: ClosedWindow, trigger: Trigger): DriftResult {
    const started = performance.now();
    const reference = this.reference as Record<string, FeatureState>;
    const samples = this.samples();
    const inputs: ColumnInput[] = [];
    const quality: Record<string, FeatureQuality> = {};
    for (const [name, kind] of Object.entries(this.kinds)) {
      const current = window.features[name];
      let unseen: number | null = null;
      if (current.kind === "categorical") {
        const ref = reference[name] as Extract<FeatureState, { kind: "categorical" }>;
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
      };
      inputs.push({
        name,
        kind,
        reference: samples.get(name) as ColumnSample,
        current: toSample(current),
        missing_reference: reference[name].missing + reference[name].invalid,
        missing_current: current.missing + current.invalid,
      });
    }
    const { features: _features, ...bounds } = window;
    const evaluation = evaluateColumns(inputs, this.options);
    return {
      monitor: this.name,
      trigger,
      window: bounds,
      evaluation,
      quality,
      duration_secs: (performance.now() - started) / 1000,
    };
  }
}
