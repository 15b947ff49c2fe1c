import { basename } from "node:path";
import { type CompiledPointer, compilePointer, getAt } from "../decode/pointer.js";
import { checkSegmentedState, type SegmentedState } from "../monitors/segments.js";
import {
  expectArray,
  expectCount,
  expectFinite,
  expectFiniteArray,
  expectObject,
  expectOneOf,
  expectString,
  StateShapeError,
} from "../shape.js";
import { checkWindowState, Windower, type WindowState } from "../windows/window.js";
import type { OutlierMonitorConfig, OutlierScorerConfig } from "./config.js";
import { checkIsolationForestModel } from "./isolation-forest.js";
import { type AnyOutlierScorerKind, outlierScorers } from "./registry.js";
import { calibrate } from "./threshold.js";
import { keepTop, qualifies, type Row } from "./types.js";

/** The scorers a monitor runs when its config names none. */
export const DEFAULT_SCORERS: readonly OutlierScorerConfig[] = [
  { type: "robust_z" },
  { type: "isolation_forest" },
];

/** A fitted scorer: its model and the threshold above which an event is an outlier. */
interface Calibrated {
  readonly type: OutlierScorerConfig["type"];
  readonly model: unknown;
  readonly threshold: number;
}

/** One of the most extreme events of a window. */
export interface ExtremeEvent {
  readonly id: string | null;
  readonly score: number;
}

/** Per-scorer tallies of the open window. */
interface ScorerTally {
  outliers: number;
  /** The most extreme events, highest score first, at most `top`. */
  top: ExtremeEvent[];
}

/** Checkpointed state of an outlier monitor. */
export interface OutlierMonitorState {
  /** Reference rows being collected from the stream (`first`), else null. */
  readonly collecting: { rows: (number | null)[][]; events: number } | null;
  /** Fitted scorers, once the reference is complete. */
  readonly fitted: Calibrated[] | null;
  readonly window: WindowState;
  readonly tallies: ScorerTally[];
  /** Events of the open window with a missing feature (imputed or skipped by the scorers). */
  incomplete: number;
  /**
   * A reference set while running (`driftwatch reference set`): its label and rows fitted, in
   * place of the configured one, also after a restart (the fitted scorers are in `fitted`).
   * Absent in checkpoints written before it existed.
   */
  replaced?: { readonly from: string; readonly rows: number } | null;
  /** `reference set --from window:N`: the window whose rows are refitted on when it closes, and its rows so far. */
  from_window?: { readonly index: number; rows: (number | null)[][] } | null;
  /** A segmented monitor's segments (this state is then the pooled one's); absent otherwise. */
  segmented?: SegmentedState<OutlierMonitorState> | null;
}

/** One scored event, handed to the metrics as it happens. */
export interface OutlierScore {
  readonly scorer: string;
  readonly score: number;
  readonly threshold: number;
  readonly outlier: boolean;
}

/** A closed window: outlier counts and ratios per scorer, and its most extreme events. */
export interface OutlierResult {
  readonly monitor: string;
  readonly window: {
    readonly index: number;
    readonly events: number;
    readonly start: number | null;
    readonly end: number | null;
    readonly first_time: number | null;
    readonly last_time: number | null;
  };
  readonly scorers: readonly {
    readonly scorer: string;
    readonly threshold: number;
    readonly outliers: number;
    readonly ratio: number;
    readonly top: readonly ExtremeEvent[];
  }[];
  readonly incomplete: number;
  /**
   * A segmented monitor's (`segment_by`) segments in this window; the rest of the result is then
   * the pooled window (every event scored against the whole reference). Absent otherwise.
   */
  readonly segments?: OutlierSegments;
}

/** One segment's window: its events scored against its own reference, in the window's bounds. */
export interface SegmentOutlierResult extends OutlierResult {
  /** The segment's value, or `__other__`. */
  readonly segment: string;
}

/** The segments of a segmented outlier monitor's window. */
export interface OutlierSegments {
  /** The segment feature. */
  readonly by: string;
  /** `per_segment`: scorers fitted on each segment's own reference rows or first events; `shared`: on the whole reference. */
  readonly reference: "per_segment" | "shared";
  /** `reference`: the values with the most reference rows got a segment; `arrival`: the first values seen. */
  readonly admission: "reference" | "arrival";
  readonly max_segments: number;
  /** Segments of their own so far (`__other__` not counted). */
  readonly admitted: number;
  /** Events sent to `__other__` so far because their value had no segment of its own. */
  readonly overflow_events: number;
  /** The segments with events in the window, in order of admission, `__other__` last. */
  readonly results: readonly SegmentOutlierResult[];
}

/**
 * Checks a fitted model other than a forest: plain numbers, arrays of numbers, or matrices as
 * arrays of arrays of numbers, all finite (a scorer computes nothing else).
 */
function checkNumericModel(value: unknown, path: string): void {
  for (const [key, field] of Object.entries(expectObject(value, path))) {
    const at = `${path}/${key}`;
    if (!Array.isArray(field)) expectFinite(field, at);
    else if (field.some(Array.isArray))
      for (const [i, row] of field.entries()) expectFiniteArray(row, `${at}/${i}`);
    else expectFiniteArray(field, at);
  }
}

/**
 * Checks a closed window's result kept in a checkpoint until it is handed out (a monitor scoring
 * on a worker thread): the counts and numbers it will publish.
 */
function checkOutlierResult(value: unknown, path: string): void {
  const result = expectObject(value, path);
  expectString(result.monitor, `${path}/monitor`);
  const window = expectObject(result.window, `${path}/window`);
  expectCount(window.index, `${path}/window/index`);
  expectCount(window.events, `${path}/window/events`);
  for (const key of ["start", "end", "first_time", "last_time"])
    if (window[key] !== null) expectFinite(window[key], `${path}/window/${key}`);
  for (const [i, v] of expectArray(result.scorers, `${path}/scorers`).entries()) {
    const at = `${path}/scorers/${i}`;
    const scorer = expectObject(v, at);
    expectString(scorer.scorer, `${at}/scorer`);
    expectFinite(scorer.threshold, `${at}/threshold`);
    expectCount(scorer.outliers, `${at}/outliers`);
    expectFinite(scorer.ratio, `${at}/ratio`);
    for (const [k, top] of expectArray(scorer.top, `${at}/top`).entries())
      expectFinite(expectObject(top, `${at}/top/${k}`).score, `${at}/top/${k}/score`);
  }
  expectCount(result.incomplete, `${path}/incomplete`);
}

/** Checks an outlier monitor's state read back from a checkpoint (throws a `StateShapeError`). */
export function checkOutlierMonitorState(value: unknown, path: string): void {
  const state = expectObject(value, path);
  if (state.collecting !== null) {
    const collecting = expectObject(state.collecting, `${path}/collecting`);
    expectCount(collecting.events, `${path}/collecting/events`);
    for (const [i, row] of expectArray(collecting.rows, `${path}/collecting/rows`).entries())
      for (const [j, v] of expectArray(row, `${path}/collecting/rows/${i}`).entries())
        if (v !== null) expectFinite(v, `${path}/collecting/rows/${i}/${j}`);
  }
  if (state.fitted !== null) {
    for (const [i, value] of expectArray(state.fitted, `${path}/fitted`).entries()) {
      const at = `${path}/fitted/${i}`;
      const fitted = expectObject(value, at);
      const type = expectOneOf(fitted.type, Object.keys(outlierScorers), `${at}/type`);
      expectFinite(fitted.threshold, `${at}/threshold`);
      if (type === "isolation_forest") checkIsolationForestModel(fitted.model, `${at}/model`);
      else checkNumericModel(fitted.model, `${at}/model`);
    }
  }
  checkWindowState(state.window, `${path}/window`);
  if (state.replaced !== undefined && state.replaced !== null) {
    const replaced = expectObject(state.replaced, `${path}/replaced`);
    expectString(replaced.from, `${path}/replaced/from`);
    expectCount(replaced.rows, `${path}/replaced/rows`);
  }
  if (state.from_window !== undefined && state.from_window !== null) {
    const from = expectObject(state.from_window, `${path}/from_window`);
    expectCount(from.index, `${path}/from_window/index`);
    for (const [i, row] of expectArray(from.rows, `${path}/from_window/rows`).entries())
      for (const [j, v] of expectArray(row, `${path}/from_window/rows/${i}`).entries())
        if (v !== null) expectFinite(v, `${path}/from_window/rows/${i}/${j}`);
  }
  const tallies = expectArray(state.tallies, `${path}/tallies`);
  if (state.fitted !== null && tallies.length !== (state.fitted as unknown[]).length)
    throw new StateShapeError(
      `${path}/tallies: ${tallies.length} tallies for ${(state.fitted as unknown[]).length} scorers`,
    );
  for (const [i, value] of tallies.entries()) {
    const tally = expectObject(value, `${path}/tallies/${i}`);
    expectCount(tally.outliers, `${path}/tallies/${i}/outliers`);
    for (const [k, top] of expectArray(tally.top, `${path}/tallies/${i}/top`).entries())
      expectFinite(
        expectObject(top, `${path}/tallies/${i}/top/${k}`).score,
        `${path}/tallies/${i}/top/${k}/score`,
      );
  }
  expectCount(state.incomplete, `${path}/incomplete`);
  if (state.unreported !== undefined)
    for (const [i, result] of expectArray(state.unreported, `${path}/unreported`).entries())
      checkOutlierResult(result, `${path}/unreported/${i}`);
  if (state.segmented !== undefined && state.segmented !== null)
    checkSegmentedState(state.segmented, `${path}/segmented`, checkOutlierMonitorState);
}

/** An event's row for the scorers: each feature's value, null where it is not a finite number. */
export function toRow(values: Record<string, unknown>, features: readonly string[]): (number | null)[] {
  return features.map((f) => {
    const v = values[f];
    return typeof v === "number" && Number.isFinite(v) ? v : null;
  });
}

/**
 * An outlier monitor: fits each scorer on the reference (a file, or the first N events), scores
 * every later event, and reports per tumbling window how many events were outliers and which were
 * the most extreme. Its state (reference rows while collecting, fitted models, window tallies) is
 * plain data for checkpoints; fitting is deterministic (seeded), so a file reference is simply
 * refitted on start.
 *
 * @example
 *   const m = new OutlierMonitor("o", { type: "outliers", features: ["x"], reference: { type: "first", events: 100 }, window: { type: "tumbling", events: 50 } }, null);
 */
export class OutlierMonitor {
  readonly kind = "outliers";
  private readonly windower: Windower;
  private readonly scorers: readonly OutlierScorerConfig[];
  /** Each scorer's name in metrics and results: its `name`, or its type. */
  private readonly scorerNames: readonly string[];
  private readonly top: number;
  private readonly idPointer: CompiledPointer | null;
  private stateValue: OutlierMonitorState;
  /** Fits made by this instance (see {@link version}). */
  private fits = 0;

  constructor(
    readonly name: string,
    readonly config: OutlierMonitorConfig,
    /** Reference rows read from a file; null for a `first` reference. */
    reference: (number | null)[][] | null,
    state?: OutlierMonitorState,
  ) {
    this.scorers = config.scorers ?? DEFAULT_SCORERS;
    this.scorerNames = this.scorers.map((s) => s.name ?? s.type);
    this.idPointer = config.id === undefined ? null : compilePointer(config.id);
    this.top = config.top ?? 10;
    this.windower = new Windower(config.window, {}, state?.window);
    const tallies = (): ScorerTally[] => this.scorers.map(() => ({ outliers: 0, top: [] }));
    if (state) {
      // A segmented monitor's segments are its wrapper's to keep, not this monitor's.
      const { segmented: _segmented, ...own } = state;
      this.stateValue = { ...own, window: this.windower.state };
    } else {
      this.stateValue = {
        collecting: reference === null ? { rows: [], events: 0 } : null,
        fitted: null,
        window: this.windower.state,
        tallies: tallies(),
        incomplete: 0,
      };
    }
    if (reference !== null && this.stateValue.fitted === null)
      this.stateValue = { ...this.stateValue, fitted: this.fit(reference) };
  }

  /** The monitor's state as plain data, for checkpoints. */
  get state(): OutlierMonitorState {
    return { ...this.stateValue, window: this.windower.state };
  }

  /**
   * The reference's label: the one set while running, else the configured one (`first:N`,
   * `file:NAME`).
   */
  get reference(): string {
    if (this.stateValue.replaced) return this.stateValue.replaced.from;
    const ref = this.config.reference;
    return ref.type === "first" ? `first:${ref.events}` : `file:${basename(ref.path)}`;
  }

  /** The index the next window to close will have. */
  get nextWindow(): number {
    return this.windower.state.emitted;
  }

  /**
   * Refits the scorers at once on `rows` (from a file), labelled `from`: the window in flight is
   * scored with the new models from its next event on. A pending `window:N` is dropped.
   */
  replaceReference(rows: (number | null)[][], from: string): void {
    this.stateValue = {
      ...this.stateValue,
      fitted: this.fit(rows),
      collecting: null,
      replaced: { from, rows: rows.length },
      from_window: null,
    };
  }

  /** Refits the scorers on the rows of window `index` when it closes (it is tallied with the old ones). */
  referenceFromWindow(index: number): void {
    if (index < this.nextWindow) throw new RangeError(`window ${index} has closed`);
    this.stateValue = { ...this.stateValue, from_window: { index, rows: [] } };
  }

  /** Events in the reference so far (rows of a file reference, or collected events). */
  get referenceEvents(): number {
    if (this.stateValue.replaced) return this.stateValue.replaced.rows;
    return (
      this.stateValue.collecting?.events ??
      (this.config.reference.type === "first" ? this.config.reference.events : 0)
    );
  }

  get lateEvents(): number {
    return this.windower.state.late;
  }

  get needsTick(): boolean {
    return this.windower.processingTime;
  }

  /** The event's id for the most-extreme lists: the `id` pointer's value as text, or null. */
  idOf(event: unknown): string | null {
    if (this.idPointer === null) return null;
    const id = getAt(event, this.idPointer);
    return id === undefined || id === null ? null : typeof id === "string" ? id : JSON.stringify(id);
  }

  /** Fitted thresholds per scorer (empty until the reference is complete). */
  get thresholds(): readonly { scorer: string; threshold: number }[] {
    return (this.stateValue.fitted ?? []).map((f, i) => ({
      scorer: this.scorerNames[i],
      threshold: f.threshold,
    }));
  }

  /**
   * Which fitted models are in use: it changes whenever the scorers are fitted again (the `first`
   * reference completes, a reference is set, a `window:N` reference closes), so that scores
   * computed elsewhere can be told apart from the models' current ones.
   */
  get version(): number {
    return this.fits;
  }

  /** The fitted scorers' types and models, in scorer order; null while the reference fills. */
  get fittedModels(): readonly { readonly type: string; readonly model: unknown }[] | null {
    return this.stateValue.fitted;
  }

  private fit(rows: (number | null)[][]): Calibrated[] {
    this.fits++;
    return this.scorers.map((scorer) => {
      const { type, threshold, name: _name, ...params } = scorer;
      const kind = outlierScorers[type] as AnyOutlierScorerKind;
      const calibrated = calibrate(kind as never, rows as Row[], params as never, threshold ?? {});
      return { type, model: calibrated.model, threshold: calibrated.threshold };
    });
  }

  /**
   * Adds one event: while a `first` reference fills it is collected (and the scorers fitted when
   * it is complete); afterwards it is scored. Returns its scores and the windows it closed.
   */
  add(
    values: Record<string, unknown>,
    now: number,
    eventTime: number | null,
    id: string | null,
  ): { scores: OutlierScore[]; closed: OutlierResult[] } {
    return this.addRow(toRow(values, this.config.features), now, eventTime, id, null);
  }

  /**
   * {@link add} for a row already read from the event (missing features null). `scored`, when
   * given, holds the row's score by each fitted scorer, computed elsewhere (a worker thread) by the
   * models of {@link version} — the caller checks that they are still the ones in use; without it
   * the row is scored here.
   */
  addRow(
    row: (number | null)[],
    now: number,
    eventTime: number | null,
    id: string | null,
    scored: ArrayLike<number> | null,
  ): { scores: OutlierScore[]; closed: OutlierResult[] } {
    const s = this.stateValue;
    if (s.fitted === null) {
      const collecting = s.collecting as NonNullable<OutlierMonitorState["collecting"]>;
      collecting.rows.push(row);
      collecting.events++;
      if (this.config.reference.type === "first" && collecting.events >= this.config.reference.events) {
        this.stateValue = {
          ...s,
          fitted: this.fit(collecting.rows),
          collecting: { rows: [], events: collecting.events },
        };
      }
      return { scores: [], closed: [] };
    }
    const time = this.windower.processingTime ? now : (eventTime ?? now);
    if (!this.windower.accepts(time)) {
      // Too late for its (closed) time window: the windower counts it, nothing is tallied.
      this.windower.add({}, time, eventTime);
      return { scores: [], closed: [] };
    }
    // Close time windows that end before this event, so that it is tallied in its own window.
    const closed = this.windower.byCount ? [] : this.windower.tick(time).map((w) => this.close(w));
    if (row.includes(null)) this.stateValue.incomplete++;
    const from = this.stateValue.from_window;
    if (from && from.index === this.windower.state.emitted) from.rows.push(row);
    const fitted = this.stateValue.fitted as Calibrated[];
    const scores: OutlierScore[] = new Array(fitted.length);
    for (let i = 0; i < fitted.length; i++) {
      const { type, model, threshold } = fitted[i];
      const score =
        scored !== null ? scored[i] : (outlierScorers[type] as AnyOutlierScorerKind).score(model, row);
      const outlier = score > threshold;
      const tally = this.stateValue.tallies[i];
      if (outlier) tally.outliers++;
      if (qualifies(tally.top, score, this.top)) keepTop(tally.top, { id, score }, this.top);
      scores[i] = { scorer: this.scorerNames[i], score, threshold, outlier };
    }
    closed.push(...this.windower.add({}, time, eventTime).map((w) => this.close(w)));
    return { scores, closed };
  }

  /** Closes processing-time windows that ended by `now`. */
  tick(now: number): OutlierResult[] {
    if (this.stateValue.fitted === null) return [];
    return this.windower.tick(now).map((w) => this.close(w));
  }

  /** Closes the open window as it stands (the end of a replay); nothing when it is empty or nothing is fitted. */
  flush(_now: number): OutlierResult[] {
    if (this.stateValue.fitted === null) return [];
    const window = this.windower.flush();
    return window === null ? [] : [this.close(window)];
  }

  private close(window: {
    index: number;
    events: number;
    start: number | null;
    end: number | null;
    first_time: number | null;
    last_time: number | null;
  }): OutlierResult {
    const s = this.stateValue;
    const fitted = s.fitted as Calibrated[];
    const result: OutlierResult = {
      monitor: this.name,
      window: {
        index: window.index,
        events: window.events,
        start: window.start,
        end: window.end,
        first_time: window.first_time,
        last_time: window.last_time,
      },
      scorers: fitted.map((f, i) => ({
        scorer: this.scorerNames[i],
        threshold: f.threshold,
        outliers: s.tallies[i].outliers,
        ratio: window.events === 0 ? 0 : s.tallies[i].outliers / window.events,
        top: s.tallies[i].top,
      })),
      incomplete: s.incomplete,
    };
    this.stateValue = { ...s, tallies: this.scorers.map(() => ({ outliers: 0, top: [] })), incomplete: 0 };
    // The window `reference set --from window:N` named: tallied with the old models, then fitted on.
    // An empty window has nothing to fit on: the next one is taken instead.
    const from = s.from_window;
    if (from && window.index >= from.index)
      this.stateValue =
        from.rows.length > 0
          ? {
              ...this.stateValue,
              fitted: this.fit(from.rows),
              replaced: { from: `window:${window.index}`, rows: from.rows.length },
              from_window: null,
            }
          : { ...this.stateValue, from_window: { index: window.index + 1, rows: [] } };
    return result;
  }
}
