import {
  expectArray,
  expectCount,
  expectFinite,
  expectFiniteOrNull,
  expectObject,
  expectString,
  pointerSegment,
  StateShapeError,
} from "../shape.js";
import type { WindowConfig } from "./config.js";
import {
  checkFeatureState,
  emptyFeatureState,
  type FeatureSpec,
  type FeatureState,
  mergeFeatureStates,
  reviveFeatureState,
  updateFeatureState,
} from "./feature-state.js";

/**
 * A pane: the smallest unit a window is built from (a whole tumbling window, or one step of a
 * sliding one). Plain JSON, so a checkpoint holds it as is.
 */
export interface Pane {
  /** Start and end of the pane in milliseconds, for time windows; null for count windows. */
  start: number | null;
  end: number | null;
  events: number;
  /** Earliest and latest event time seen in the pane (ms), when the source has event times. */
  first_time: number | null;
  last_time: number | null;
  features: Record<string, FeatureState>;
  /** First and last source offset per partition key of the pane's events (absent before any). */
  offsets?: Record<string, [number, number]>;
  /** Ids of the pane's first events (at most `SAMPLE_IDS`), when the monitor has an `id` pointer. */
  sample_ids?: string[];
}

/** How many event ids a window keeps as samples for alerts and reports. */
export const SAMPLE_IDS = 5;

/** Where an event came from, for a window's offsets and sample ids. */
export interface EventMeta {
  readonly position?: { readonly key: string; readonly offset: number };
  readonly id?: string | null;
}

/** The checkpointed state of a window: the open pane and the closed panes still in range. */
export interface WindowState {
  open: Pane | null;
  closed: Pane[];
  /** How many windows have been emitted so far. */
  emitted: number;
  /** Events that arrived for a time window that had already closed. */
  late: number;
}

/** Where a window lies: its index, size, time bounds, source offsets and sample ids. */
export type WindowBounds = Omit<ClosedWindow, "features">;

/** A window handed to the evaluator: its features merged over its panes, and its bounds. */
export interface ClosedWindow {
  readonly index: number;
  readonly events: number;
  readonly start: number | null;
  readonly end: number | null;
  readonly first_time: number | null;
  readonly last_time: number | null;
  readonly features: Record<string, FeatureState>;
  /** First and last source offset per partition key (Kafka `topic/partition`, file `line`). */
  readonly offsets: Record<string, [number, number]>;
  /** Ids of the window's first events, when the monitor has an `id` pointer. */
  readonly sample_ids: string[];
}

function checkPane(value: unknown, path: string): void {
  const pane = expectObject(value, path);
  const start = expectFiniteOrNull(pane.start, `${path}/start`);
  const end = expectFiniteOrNull(pane.end, `${path}/end`);
  // A time pane must end after it starts, or the window would never close (or never stop closing).
  if ((start === null) !== (end === null) || (start !== null && !(start < (end as number))))
    throw new StateShapeError(`${path}: a pane from ${start} to ${end}`);
  expectCount(pane.events, `${path}/events`);
  expectFiniteOrNull(pane.first_time, `${path}/first_time`);
  expectFiniteOrNull(pane.last_time, `${path}/last_time`);
  const features = expectObject(pane.features, `${path}/features`);
  for (const [name, state] of Object.entries(features))
    checkFeatureState(state, `${path}/features/${pointerSegment(name)}`);
  if (pane.offsets !== undefined) {
    const offsets = expectObject(pane.offsets, `${path}/offsets`);
    for (const [key, range] of Object.entries(offsets)) {
      const at = `${path}/offsets/${pointerSegment(key)}`;
      const pair = expectArray(range, at);
      if (pair.length !== 2) throw new StateShapeError(`${at}: not a [first, last] pair`);
      expectFinite(pair[0], `${at}/0`);
      expectFinite(pair[1], `${at}/1`);
    }
  }
  if (pane.sample_ids !== undefined)
    for (const [i, id] of expectArray(pane.sample_ids, `${path}/sample_ids`).entries())
      expectString(id, `${path}/sample_ids/${i}`);
}

/**
 * Checks a window state read back from a checkpoint before a `Windower` takes it: every pane's
 * bounds, counts and feature states. Throws a `StateShapeError` naming the path.
 */
export function checkWindowState(value: unknown, path: string): void {
  const state = expectObject(value, path);
  if (state.open !== null) checkPane(state.open, `${path}/open`);
  for (const [i, pane] of expectArray(state.closed, `${path}/closed`).entries())
    checkPane(pane, `${path}/closed/${i}`);
  expectCount(state.emitted, `${path}/emitted`);
  expectCount(state.late, `${path}/late`);
}

function revivePane(pane: Pane): Pane {
  const features: Record<string, FeatureState> = {};
  for (const [name, state] of Object.entries(pane.features)) features[name] = reviveFeatureState(state);
  return { ...pane, features };
}

function reviveWindow(state: WindowState): WindowState {
  return { ...state, open: state.open && revivePane(state.open), closed: state.closed.map(revivePane) };
}

function emptyPane(kinds: Record<string, FeatureSpec>, start: number | null, end: number | null): Pane {
  const features: Record<string, FeatureState> = {};
  for (const [name, kind] of Object.entries(kinds)) features[name] = emptyFeatureState(kind);
  return { start, end, events: 0, first_time: null, last_time: null, features };
}

/** Merges panes into one window; `merge(a, b)` of the feature states makes this one pass. */
export function mergePanes(
  panes: readonly Pane[],
  kinds: Record<string, FeatureSpec>,
): Omit<ClosedWindow, "index"> {
  if (panes.length === 1) {
    // A single pane is its own window: hand its state over instead of copying a large window.
    const [pane] = panes;
    return {
      events: pane.events,
      features: pane.features,
      first_time: pane.first_time,
      last_time: pane.last_time,
      start: pane.start,
      end: pane.end,
      offsets: pane.offsets ?? {},
      sample_ids: pane.sample_ids ?? [],
    };
  }
  const merged = emptyPane(kinds, null, null);
  for (const pane of panes) {
    merged.events += pane.events;
    for (const name of Object.keys(kinds))
      merged.features[name] = mergeFeatureStates(merged.features[name], pane.features[name]);
    if (pane.first_time !== null)
      merged.first_time =
        merged.first_time === null ? pane.first_time : Math.min(merged.first_time, pane.first_time);
    if (pane.last_time !== null)
      merged.last_time =
        merged.last_time === null ? pane.last_time : Math.max(merged.last_time, pane.last_time);
  }
  const timed = panes.filter((p) => p.start !== null);
  const offsets: Record<string, [number, number]> = {};
  for (const pane of panes) {
    for (const [key, [first, last]] of Object.entries(pane.offsets ?? {})) {
      const seen = offsets[key];
      offsets[key] = seen ? [Math.min(seen[0], first), Math.max(seen[1], last)] : [first, last];
    }
  }
  const sample_ids = panes.flatMap((p) => p.sample_ids ?? []).slice(0, SAMPLE_IDS);
  return {
    offsets,
    sample_ids,
    events: merged.events,
    features: merged.features,
    first_time: merged.first_time,
    last_time: merged.last_time,
    start: timed.length ? (timed[0].start as number) : null,
    end: timed.length ? (timed[timed.length - 1].end as number) : null,
  };
}

/**
 * Tumbling and sliding windows, by event count or by time, built from panes. Count windows close
 * on the event that fills them. Time windows close when time passes their end: with event time,
 * when an event beyond the end arrives (an event older than the open pane is late: counted, not
 * added); with processing time, also on `tick(now)` so that a quiet stream still closes windows.
 *
 * @example
 *   const w = new Windower({ type: "tumbling", events: 2 }, { x: "numeric" });
 *   w.add({ x: 1 }, 0);          // []
 *   w.add({ x: 2 }, 0);          // [ one window with values [1, 2] ]
 */
export class Windower {
  state: WindowState;
  private readonly paneEvents: number | null;
  private readonly paneMs: number | null;
  private readonly panesPerWindow: number;
  // Feature names, listed once: the per-event loop must not allocate.
  private readonly names: readonly string[];
  private readonly row: unknown[];
  private statesOf: Pane | null = null;
  private states: FeatureState[] = [];

  constructor(
    readonly config: WindowConfig,
    private readonly kinds: Record<string, FeatureSpec>,
    state?: WindowState,
  ) {
    this.state = state === undefined ? { open: null, closed: [], emitted: 0, late: 0 } : reviveWindow(state);
    this.names = Object.keys(kinds);
    this.row = new Array(this.names.length).fill(undefined);
    if ("events" in config) {
      this.paneEvents = config.type === "sliding" ? config.step_events : config.events;
      this.paneMs = null;
      this.panesPerWindow = config.type === "sliding" ? Math.round(config.events / config.step_events) : 1;
    } else {
      this.paneEvents = null;
      this.paneMs = (config.type === "sliding" ? config.step_secs : config.duration_secs) * 1000;
      this.panesPerWindow =
        config.type === "sliding" ? Math.round(config.duration_secs / config.step_secs) : 1;
    }
  }

  /** True for windows that follow processing time (they need `tick`). */
  get processingTime(): boolean {
    return this.paneMs !== null && ("time" in this.config ? this.config.time !== "event" : true);
  }

  /** True for windows counted in events; false for time windows. */
  get byCount(): boolean {
    return this.paneEvents !== null;
  }

  /** False when an event at `time` is late: its time window has already closed. */
  accepts(time: number): boolean {
    return this.paneMs === null || this.state.open === null || time >= (this.state.open.start as number);
  }

  /** Adds one event's feature values at `time` (ms); returns the windows this event closed. */
  add(
    values: Record<string, unknown>,
    time: number,
    eventTime: number | null = null,
    meta: EventMeta = {},
  ): ClosedWindow[] {
    const row = this.row;
    const names = this.names;
    for (let k = 0; k < names.length; k++) row[k] = values[names[k]];
    return this.addRow(row, time, eventTime, meta);
  }

  /** The feature names in the order `addRow` takes their values. */
  get featureNames(): readonly string[] {
    return this.names;
  }

  /**
   * `add` with the values in `featureNames` order: no lookup by name per value, for monitors that
   * keep many states per event (a checks monitor's tallies and columns).
   */
  addRow(
    values: readonly unknown[],
    time: number,
    eventTime: number | null = null,
    meta: EventMeta = {},
  ): ClosedWindow[] {
    const out: ClosedWindow[] = [];
    if (this.paneMs !== null) {
      const open = this.state.open;
      if (open !== null && time < (open.start as number)) {
        this.state.late++;
        return out;
      }
      out.push(...this.advance(time));
      if (this.state.open === null) {
        const start = Math.floor(time / this.paneMs) * this.paneMs;
        this.state.open = emptyPane(this.kinds, start, start + this.paneMs);
      }
    } else if (this.state.open === null) {
      this.state.open = emptyPane(this.kinds, null, null);
    }
    const pane = this.state.open as Pane;
    pane.events++;
    if (this.statesOf !== pane) {
      // The open pane's states in name order, found once per pane rather than per value.
      this.statesOf = pane;
      this.states = this.names.map((name) => pane.features[name]);
    }
    const states = this.states;
    for (let k = 0; k < states.length; k++) updateFeatureState(states[k], values[k]);
    if (meta.position) {
      pane.offsets ??= {};
      const offsets = pane.offsets;
      const seen = offsets[meta.position.key];
      const at = meta.position.offset;
      // In place: a new pair per event was the windower's only allocation per event.
      if (seen === undefined) offsets[meta.position.key] = [at, at];
      else if (at < seen[0]) seen[0] = at;
      else if (at > seen[1]) seen[1] = at;
    }
    if (meta.id !== undefined && meta.id !== null) {
      pane.sample_ids ??= [];
      if (pane.sample_ids.length < SAMPLE_IDS) pane.sample_ids.push(meta.id);
    }
    if (eventTime !== null) {
      pane.first_time = pane.first_time === null ? eventTime : Math.min(pane.first_time, eventTime);
      pane.last_time = pane.last_time === null ? eventTime : Math.max(pane.last_time, eventTime);
    }
    if (this.paneEvents !== null && pane.events >= this.paneEvents) {
      const window = this.closePane();
      if (window) out.push(window);
    }
    return out;
  }

  /** Closes time panes whose end is at or before `now` (processing-time windows call this on a timer). */
  tick(now: number): ClosedWindow[] {
    return this.paneMs !== null ? this.advance(now) : [];
  }

  /** The open window as it stands (for scheduled evaluations): closed panes in range plus the open one. */
  current(): Omit<ClosedWindow, "index"> {
    const panes = this.panesPerWindow > 1 ? this.state.closed.slice(-(this.panesPerWindow - 1)) : [];
    if (this.state.open) panes.push(this.state.open);
    return mergePanes(panes, this.kinds);
  }

  /**
   * Closes the open window as it stands, whatever its size or time: the end of a replay, whose last
   * window would otherwise never close. Null when no event arrived since the last window closed.
   */
  flush(): ClosedWindow | null {
    const open = this.state.open;
    if (open === null || open.events === 0) return null;
    const window = { index: this.state.emitted++, ...this.current() };
    this.state.open = null;
    if (this.panesPerWindow > 1) {
      this.state.closed.push(open);
      if (this.state.closed.length > this.panesPerWindow)
        this.state.closed.splice(0, this.state.closed.length - this.panesPerWindow);
    }
    return window;
  }

  private advance(time: number): ClosedWindow[] {
    const out: ClosedWindow[] = [];
    const paneMs = this.paneMs as number;
    while (this.state.open !== null && time >= (this.state.open.end as number)) {
      const end = this.state.open.end as number;
      const window = this.closePane();
      if (window) out.push(window);
      // Sliding time windows step through empty panes so that old panes fall out; after a gap
      // longer than the whole window every pane has fallen out and nothing is left to emit.
      if (this.panesPerWindow > 1 && time >= end + paneMs && this.state.closed.length > 0) {
        if (time >= end + this.panesPerWindow * paneMs) {
          this.state.closed = [];
          break;
        }
        this.state.open = emptyPane(this.kinds, end, end + paneMs);
      }
    }
    return out;
  }

  private closePane(): ClosedWindow | null {
    const pane = this.state.open as Pane;
    this.state.open = null;
    if (this.panesPerWindow === 1) {
      if (pane.events === 0) return null;
      return { index: this.state.emitted++, ...mergePanes([pane], this.kinds) };
    }
    this.state.closed.push(pane);
    if (this.state.closed.length > this.panesPerWindow)
      this.state.closed.splice(0, this.state.closed.length - this.panesPerWindow);
    if (this.state.closed.length < this.panesPerWindow) return null;
    const window = mergePanes(this.state.closed, this.kinds);
    if (window.events === 0) return null;
    return { index: this.state.emitted++, ...window };
  }
}
