import { type CompiledPointer, compilePointer, getAt } from "../decode/pointer.js";
import {
  expectArray,
  expectCount,
  expectFiniteOrNull,
  expectObject,
  expectString,
  pointerSegment,
} from "../shape.js";
import type { WindowConfig } from "../windows/config.js";
import type { FeatureSpec, RawState } from "../windows/feature-state.js";
import { EXPECTED, MISSING, type RowOutcome, SKIPPED, type TallyState } from "../windows/tally.js";
import {
  type ClosedWindow,
  checkWindowState,
  type EventMeta,
  type WindowBounds,
  Windower,
  type WindowState,
} from "../windows/window.js";
import type { ChecksMonitorConfig } from "./config.js";
import { fieldsOf, LIVE_EXPECTATIONS, shapeOf } from "./expectations/stream.js";
import { type Suite, type SuiteResult, summarise } from "./suite.js";
import { ColumnTable } from "./table.js";
import type { StreamContext } from "./types.js";

// Window keys of what the monitor keeps beside the columns; NUL cannot start a column name a
// suite writes (a pointer starts with "/", a field name is printable).
const LAG = "\u0000lag";
const SHAPE = "\u0000shape";
const KEYS = "\u0000keys";

/** A node of `ShapeMemo`'s trie: one step of an event's walk (a key, or a value's type). */
interface ShapeNode {
  /** The key most walks take from here, and where it leads (checked before the map). */
  key: string | null;
  next: ShapeNode | null;
  keys: Map<string, ShapeNode> | null;
  /** By type code (`TYPE_*`), then END after an object's last key. */
  types: (ShapeNode | undefined)[] | null;
  /** `shapeOf` of the events whose walk ends here. */
  shape: string | null;
}

const TYPE_OBJECT = 6;
const TYPE_END = 7;
/** Trie nodes kept at most (events with ever-new keys then fall back to `shapeOf`). */
const SHAPE_NODES = 50_000;

/**
 * `shapeOf` for every event, memoised: events of one stream have a handful of shapes, and
 * building the shape string (every leaf's escaped pointer and type, joined) costs about 6 µs per
 * event, several times the rest of the checks monitor's per-event work. The memo walks the event's
 * keys and leaf types (in `shapeOf`'s order, `Object.keys`) through a trie whose leaves hold the
 * shape strings, so an event of a known shape costs a walk and yields the same string object
 * (cheap to count in the window's categorical state). The walk's token sequence determines the
 * event's keys and leaf types, hence its shape, so the result is `shapeOf(event)` exactly, as long
 * as the type codes tell apart at least what `jsonType` does.
 */
class ShapeMemo {
  private readonly root: ShapeNode = { key: null, next: null, keys: null, types: null, shape: null };
  private nodes = 0;

  of(event: unknown): string {
    if (event === null || typeof event !== "object" || Array.isArray(event)) return shapeOf(event);
    const node = this.walk(event as Record<string, unknown>, this.root);
    if (node === null) return shapeOf(event);
    node.shape ??= shapeOf(event);
    return node.shape;
  }

  private walk(object: Record<string, unknown>, from: ShapeNode): ShapeNode | null {
    let node: ShapeNode | null = from;
    // for-in walks a parsed object's own keys in Object.keys order without allocating their list
    // (JSON.parse makes plain objects: nothing inherited is enumerable).
    for (const key in object) {
      node = node.key === key ? node.next : this.stepKey(node, key);
      if (node === null) return null;
      const value = object[key];
      let code: number;
      if (value === null) code = 0;
      else if (typeof value === "number") code = 1;
      else if (typeof value === "string") code = 3;
      else if (typeof value === "boolean") code = 4;
      else if (Array.isArray(value)) code = 5;
      else if (typeof value === "object") code = TYPE_OBJECT;
      else return null;
      node = this.step(node, code);
      if (node !== null && code === TYPE_OBJECT) node = this.walk(value as Record<string, unknown>, node);
      if (node === null) return null;
    }
    return this.step(node, TYPE_END);
  }

  private step(node: ShapeNode, code: number): ShapeNode | null {
    node.types ??= [];
    const next = node.types[code];
    if (next !== undefined) return next;
    if (this.nodes >= SHAPE_NODES) return null;
    this.nodes++;
    const created: ShapeNode = { key: null, next: null, keys: null, types: null, shape: null };
    node.types[code] = created;
    return created;
  }

  private stepKey(node: ShapeNode, key: string): ShapeNode | null {
    node.keys ??= new Map();
    let next = node.keys.get(key);
    if (next === undefined) {
      if (this.nodes >= SHAPE_NODES) return null;
      this.nodes++;
      next = { key: null, next: null, keys: null, types: null, shape: null };
      node.keys.set(key, next);
    }
    if (node.key === null) {
      node.key = key;
      node.next = next;
    }
    return next;
  }
}

/** The checkpointed state of a checks monitor. */
export interface ChecksMonitorState {
  window: WindowState;
  /** Event counts of the last windows, oldest first (volume expectations). */
  history: number[];
  /** Arrival time of the latest event (ms), null before any. */
  last_arrival: number | null;
  /** Reference fields (pointer → JSON types), from the reference file or the first window. */
  reference_fields: Record<string, string[]> | null;
}

/** Checks a checks monitor's state read back from a checkpoint (throws a `StateShapeError`). */
export function checkChecksMonitorState(value: unknown, path: string): void {
  const state = expectObject(value, path);
  checkWindowState(state.window, `${path}/window`);
  for (const [i, n] of expectArray(state.history, `${path}/history`).entries())
    expectCount(n, `${path}/history/${i}`);
  expectFiniteOrNull(state.last_arrival, `${path}/last_arrival`);
  if (state.reference_fields !== null) {
    const fields = expectObject(state.reference_fields, `${path}/reference_fields`);
    for (const [field, types] of Object.entries(fields)) {
      const at = `${path}/reference_fields/${pointerSegment(field)}`;
      for (const [i, type] of expectArray(types, at).entries()) expectString(type, `${at}/${i}`);
    }
  }
}

/** One evaluated window of a suite. */
export interface ChecksResult {
  readonly monitor: string;
  readonly suite: string;
  /** `window_close`, or `tick` for the clock-driven (freshness) expectations alone. */
  readonly trigger: "window_close" | "tick";
  /** The window's bounds; index -1 and no events for a clock-driven evaluation. */
  readonly window: WindowBounds;
  readonly validation: SuiteResult;
  readonly duration_secs: number;
}

/** Where a suite's column is in an event: a JSON pointer, a configured feature, or a top-level field. */
export function columnPointer(column: string, features: Readonly<Record<string, string>>): CompiledPointer {
  if (column.startsWith("/")) return compilePointer(column);
  const feature = features[column];
  return feature === undefined ? [column] : compilePointer(feature);
}

/**
 * Runs an expectation suite over a source's windows. Every event's columns (those the suite
 * reads) are kept raw in the window, aligned by row, and the same engine that validates a file
 * evaluates the window when it closes, so `driftwatch report --suite` and the daemon give the
 * same results on the same rows. Row-level expectations with `dead_letter: true` also judge each
 * event as it arrives (`rejects`), before its state changes. Windows are the drift monitors'
 * (tumbling or sliding, by count or time), built from mergeable panes.
 */
export class ChecksMonitor {
  readonly kind = "checks";
  private readonly windower: Windower;
  /** Columns kept raw for the window-level expectations, and their slots. */
  private readonly columns: readonly string[];
  /** The `dead_letter` expectations, with their bound judges, and the slots of their columns. */
  private readonly deadLetters: readonly { type: string; observe: () => RowOutcome }[];
  private readonly deadLetterSlots: readonly number[];
  private readonly wantsShapes: boolean;
  private readonly wantsKeys: boolean;
  /** Row-level expectations, by their window key, each bound to the current event's columns. */
  private readonly tallied: readonly { key: string; observe: () => RowOutcome }[];
  /** Every column the suite reads, by JSON pointer, extracted once per event into `slots`. */
  private readonly extracted: readonly CompiledPointer[];
  private readonly slots: unknown[];
  /** The slot of each raw-kept column (`columns`). */
  private readonly keptSlots: readonly number[];
  private readonly wantsLag: boolean;
  private readonly historyLength: number;
  private readonly idPointer: CompiledPointer | null;
  private readonly shapes = new ShapeMemo();
  /** The values of one event in the windower's name order, and where each kind of value goes. */
  private readonly row: unknown[];
  private readonly at: {
    readonly columns: readonly number[];
    readonly tallies: readonly number[];
    readonly lag: number;
    readonly shape: number;
    readonly keys: number;
  };
  private stateValue: ChecksMonitorState;

  /**
   * @param window the window to evaluate over (the config's, or the drift monitor's it names)
   * @param features feature name → JSON pointer, for columns named by feature
   * @param referenceFields fields of a reference file, or null to take the first window's
   * @param state a checkpointed state to continue from
   */
  constructor(
    readonly name: string,
    readonly config: ChecksMonitorConfig,
    readonly suite: Suite,
    window: WindowConfig,
    features: Readonly<Record<string, string>>,
    referenceFields: Map<string, Set<string>> | null,
    state?: ChecksMonitorState,
    /** When the monitor starts (ms): silence before the first event counts from here. */
    private readonly startedAt = Date.now(),
  ) {
    // Row-level expectations are tallied as events arrive; only the columns of those that need
    // the whole window are kept raw.
    const all = [...new Set(suite.expectations.flatMap((e) => e.columns))];
    const pointers = new Map(all.map((c) => [c, columnPointer(c, features)]));
    this.extracted = all.map((c) => pointers.get(c) as CompiledPointer);
    const slots: unknown[] = new Array(all.length).fill(null);
    this.slots = slots;
    const slotOf = new Map(all.map((c, i) => [c, i]));
    this.tallied = suite.expectations.flatMap((e, i) => {
      if (!e.rowLevel) return [];
      const observe = e.bind((c) => {
        const slot = slotOf.get(c) as number;
        return () => slots[slot];
      });
      return [{ key: `\u0001${i}`, observe }];
    });
    const kept = [...new Set(suite.expectations.flatMap((e) => (e.rowLevel ? [] : e.columns)))];
    this.columns = kept;
    this.keptSlots = kept.map((c) => slotOf.get(c) as number);
    this.deadLetterSlots = [
      ...new Set(
        suite.expectations.flatMap((e) =>
          e.config.dead_letter === true && e.rowLevel ? e.columns.map((c) => slotOf.get(c) as number) : [],
        ),
      ),
    ];
    this.deadLetters = suite.expectations.flatMap((e, i) =>
      e.config.dead_letter === true && e.rowLevel
        ? [
            {
              type: e.type,
              observe: (this.tallied.find((t) => t.key === `\u0001${i}`) as { observe: () => RowOutcome })
                .observe,
            },
          ]
        : [],
    );
    const types = new Set(suite.expectations.map((e) => e.type));
    this.wantsShapes = types.has("expect_schema_to_match_reference");
    this.wantsLag = types.has("expect_event_time_lag_to_be_less_than");
    this.wantsKeys = suite.expectations.some(
      (e) => e.definition.domain === "table" && /table_column|column_to_exist/.test(e.type),
    );
    this.historyLength = Math.max(
      0,
      ...suite.expectations
        .filter((e) => e.type === "expect_window_event_count_to_be_within_history")
        .map((e) => e.kwargs.history_windows as number),
    );
    this.idPointer = config.id === undefined ? null : compilePointer(config.id);
    const kinds: Record<string, FeatureSpec> = {};
    for (const c of this.columns) kinds[c] = "raw";
    suite.expectations.forEach((e, i) => {
      if (e.rowLevel) kinds[`\u0001${i}`] = { kind: "tally", limit: e.partialLimit };
    });
    if (this.wantsLag) kinds[LAG] = "raw";
    if (this.wantsShapes) kinds[SHAPE] = "categorical";
    if (this.wantsKeys) kinds[KEYS] = "categorical";
    this.windower = new Windower(window, kinds, state?.window);
    const names = this.windower.featureNames;
    this.row = new Array(names.length).fill(null);
    this.at = {
      columns: this.columns.map((c) => names.indexOf(c)),
      tallies: this.tallied.map((t) => names.indexOf(t.key)),
      lag: names.indexOf(LAG),
      shape: names.indexOf(SHAPE),
      keys: names.indexOf(KEYS),
    };
    this.stateValue = state ?? {
      window: this.windower.state,
      history: [],
      last_arrival: null,
      reference_fields:
        referenceFields && Object.fromEntries([...referenceFields].map(([f, t]) => [f, [...t]])),
    };
  }

  get state(): ChecksMonitorState {
    return { ...this.stateValue, window: this.windower.state };
  }

  get referenceEvents(): number {
    return 0;
  }

  get lateEvents(): number {
    return this.windower.state.late;
  }

  /** Processing-time windows and clock-driven expectations need a timer. */
  get needsTick(): boolean {
    return this.windower.processingTime || this.suite.expectations.some((e) => LIVE_EXPECTATIONS.has(e.type));
  }

  idOf(event: unknown): string | null {
    if (this.idPointer === null) return null;
    const id = getAt(event, this.idPointer);
    return id === undefined || id === null ? null : typeof id === "string" ? id : JSON.stringify(id);
  }

  /**
   * The `dead_letter` expectations this event fails, by name (empty when none): called before the
   * event changes any state, so that a rejected event is written to the dead letter first.
   */
  rejects(event: unknown): string[] {
    const judges = this.deadLetters;
    if (judges.length === 0) return [];
    // Only the columns the dead-letter judges read: the event is added (and read whole) later.
    const slots = this.slots;
    const extracted = this.extracted;
    for (const i of this.deadLetterSlots) slots[i] = getAt(event, extracted[i]);
    const failed: string[] = [];
    for (const { type, observe } of judges) {
      // Unexpected, or a value the expectation cannot judge (a string against numeric bounds):
      // the event is set aside, as the window's evaluation reports it, and never crashes the daemon.
      const outcome = observe();
      if (outcome !== SKIPPED && outcome !== MISSING && outcome !== EXPECTED) failed.push(type);
    }
    return failed;
  }

  /** Reads every column the suite uses from the event into `slots`, where the bound judges look. */
  private extract(event: unknown): void {
    const slots = this.slots;
    const extracted = this.extracted;
    for (let i = 0; i < extracted.length; i++) slots[i] = getAt(event, extracted[i]);
  }

  /** Adds an accepted event; returns the results of the windows it closed. */
  add(event: unknown, now: number, eventTime: number | null, meta: EventMeta): ChecksResult[] {
    // One row for every event, in the windower's name order: the windower copies the values out.
    const row = this.row;
    const at = this.at;
    const slots = this.slots;
    this.extract(event);
    const kept = this.keptSlots;
    for (let i = 0; i < kept.length; i++) row[at.columns[i]] = slots[kept[i]];
    const tallied = this.tallied;
    let id: string | null | undefined;
    for (let i = 0; i < tallied.length; i++) {
      let outcome = tallied[i].observe();
      if (outcome !== SKIPPED && outcome !== MISSING && outcome !== EXPECTED && "unexpected" in outcome) {
        // Unexpected values are rare: the event's id goes with them, as their index entry.
        id ??= this.idOf(event);
        outcome = { unexpected: outcome.unexpected, id };
      }
      row[at.tallies[i]] = outcome;
    }
    if (at.lag >= 0) row[at.lag] = eventTime === null ? null : (now - eventTime) / 1000;
    if (at.shape >= 0) row[at.shape] = this.shapes.of(event);
    if (at.keys >= 0)
      row[at.keys] = event !== null && typeof event === "object" ? Object.keys(event).join("\u0001") : "";
    const time = this.windower.processingTime || eventTime === null ? now : eventTime;
    const closed = this.windower.addRow(row, time, eventTime, meta);
    this.stateValue.last_arrival = now;
    return closed.map((w) => this.close(w, now));
  }

  /** Closes processing-time windows that ended by `now`, and runs the clock-driven expectations. */
  tick(now: number): ChecksResult[] {
    const out = this.windower.tick(now).map((w) => this.close(w, now));
    const live = this.suite.expectations.filter((e) => LIVE_EXPECTATIONS.has(e.type));
    if (live.length > 0) {
      const started = performance.now();
      const table = new ColumnTable(0, {}, [], false, this.context(now, null));
      const results = live.map((e) => e.evaluate(table));
      out.push({
        monitor: this.name,
        suite: this.suite.name,
        trigger: "tick",
        window: {
          index: -1,
          events: 0,
          start: null,
          end: null,
          first_time: null,
          last_time: null,
          offsets: {},
          sample_ids: [],
        },
        validation: summarise(this.suite.name, results),
        duration_secs: (performance.now() - started) / 1000,
      });
    }
    return out;
  }

  /** Closes the open window as it stands (the end of a replay); nothing when it is empty. */
  flush(now: number): ChecksResult[] {
    const window = this.windower.flush();
    return window === null ? [] : [this.close(window, now)];
  }

  private context(now: number, window: ClosedWindow | null): StreamContext {
    const s = this.stateValue;
    const reference =
      s.reference_fields === null
        ? null
        : new Map(Object.entries(s.reference_fields).map(([f, t]) => [f, new Set(t)]));
    const w = this.windower.config;
    return {
      now,
      // Before any event, silence counts from when the monitor started (as `source_silent` does).
      last_arrival: s.last_arrival ?? this.startedAt,
      history: s.history,
      window_secs: "duration_secs" in w ? w.duration_secs : null,
      reference_fields: reference,
      ...(window && this.wantsLag
        ? { lag_secs: (window.features[LAG] as RawState).values as (number | null)[] }
        : {}),
      ...(window && this.wantsShapes
        ? {
            fields: fieldsOf(
              Object.keys((window.features[SHAPE] as { counts: Record<string, number> }).counts),
            ),
          }
        : {}),
    };
  }

  private close(window: ClosedWindow, now: number): ChecksResult {
    const { features: _features, ...bounds } = window;
    const started = performance.now();
    const data = new Map<string, readonly unknown[]>();
    for (const c of this.columns) data.set(c, (window.features[c] as RawState).values);
    let columns: string[] = [];
    if (this.wantsKeys) {
      const seen = new Set<string>();
      for (const keys of Object.keys((window.features[KEYS] as { counts: Record<string, number> }).counts))
        for (const key of keys.split("\u0001")) if (key !== "") seen.add(key);
      columns = [...seen];
    }
    const context = this.context(now, window);
    const table = new ColumnTable(window.events, data, columns, false, context);
    const results = this.suite.expectations.map((e, i) =>
      e.rowLevel ? e.fromTally(window.features[`\u0001${i}`] as TallyState) : e.evaluate(table),
    );
    const s = this.stateValue;
    if (this.historyLength > 0) {
      s.history.push(window.events);
      if (s.history.length > this.historyLength) s.history.splice(0, s.history.length - this.historyLength);
    }
    if (s.reference_fields === null && context.fields)
      s.reference_fields = Object.fromEntries([...context.fields].map(([f, t]) => [f, [...t]]));
    return {
      monitor: this.name,
      suite: this.suite.name,
      trigger: "window_close",
      window: bounds,
      validation: summarise(this.suite.name, results),
      duration_secs: (performance.now() - started) / 1000,
    };
  }
}
