import type { Config } from "../config/types.js";
import { type ConfigProblem, showValue } from "../errors.js";
import { expectArray, expectCount, expectObject, expectString, StateShapeError } from "../shape.js";
import type { WindowConfig } from "../windows/config.js";
import { sourcesOfFeatures } from "./features.js";
import { unknownFeature } from "./problems.js";

// What segmented monitors (`segment_by` on drift and outlier monitors) share: the config keys and
// their cross-checks, which values get a segment of their own, and the checkpointed shape.
//
// A segmented monitor keeps one instance of its kind's monitor for the whole stream (the pooled
// one, whose windows set the window boundaries) and one per segment. Which values get a segment
// is decided so that a restart from a checkpoint reproduces it: either by the reference file (the
// `max_segments` values with the most reference rows, ties by value), or in order of arrival
// (the first `max_segments` values seen). Every other event goes to `__other__`.

/** The segment of events whose value has no segment of its own (past the cap, or missing). */
export const OTHER_SEGMENT = "__other__";

/** Segments of their own a monitor keeps when its config does not say (`max_segments`). */
export const DEFAULT_MAX_SEGMENTS = 20;

/**
 * The longest value that gets a segment of its own: a segment's value becomes a metric label, and
 * an event may carry a megabyte of text in one field. Longer values go to `__other__`.
 */
export const MAX_SEGMENT_VALUE_LENGTH = 256;

/**
 * The segment key of a feature value: strings, numbers and booleans by their text (as a
 * categorical feature counts them), null for a missing, empty or unusable value.
 */
export function segmentValue(value: unknown): string | null {
  if (typeof value === "string") return value === "" ? null : value;
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : null;
  if (typeof value === "boolean") return String(value);
  return null;
}

/**
 * The `max` values with the most rows, most first; ties by value (code-unit order), so that the
 * same reference always admits the same segments.
 */
export function topSegments(counts: ReadonlyMap<string, number>, max: number): string[] {
  return [...counts.entries()]
    .filter(([value, n]) => n > 0 && value !== OTHER_SEGMENT && value.length <= MAX_SEGMENT_VALUE_LENGTH)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, max)
    .map(([value]) => value);
}

/**
 * Which segment each event goes to. Values are admitted as they arrive while there is room
 * (`online`), or only from a fixed list (a per-segment reference file decided it); events of any
 * other present value (or of a value longer than `MAX_SEGMENT_VALUE_LENGTH`) go to `__other__`
 * and are counted as overflow, events without a value go there uncounted.
 *
 * @example
 *   const a = new SegmentAdmission(1, true, []);
 *   a.route("rain"); // "rain"
 *   a.route("sun");  // "__other__" (a.overflow is 1)
 */
export class SegmentAdmission {
  private readonly known: Set<string>;
  /** The admitted values, in the order they were admitted. */
  readonly admitted: string[];
  /** Events sent to `__other__` because their value has no segment of its own. */
  overflow: number;

  constructor(
    readonly max: number,
    readonly online: boolean,
    admitted: readonly string[],
    overflow = 0,
  ) {
    this.admitted = [...admitted];
    this.known = new Set(admitted);
    this.overflow = overflow;
  }

  /** The segment of an event whose segment value is `value` (from {@link segmentValue}). */
  route(value: string | null): string {
    if (value === null || value === OTHER_SEGMENT) return OTHER_SEGMENT;
    if (this.known.has(value)) return value;
    if (this.online && this.admitted.length < this.max && value.length <= MAX_SEGMENT_VALUE_LENGTH) {
      this.known.add(value);
      this.admitted.push(value);
      return value;
    }
    this.overflow++;
    return OTHER_SEGMENT;
  }
}

/** The checkpointed part of a segmented monitor besides its pooled state. */
export interface SegmentedState<S> {
  /** The segment feature (`segment_by`). */
  readonly by: string;
  /** The values with a segment of their own, in the order they were admitted. */
  readonly admitted: readonly string[];
  /** Events sent to `__other__` because their value had no segment of its own, so far. */
  readonly overflow: number;
  /** Each segment's monitor state: admitted segments in the order of admission, `__other__` last. */
  readonly segments: readonly { readonly segment: string; readonly state: S }[];
}

/**
 * Checks a segmented state read back from a checkpoint: its counts, its segment names (each
 * once, `__other__` at most once and last) and each segment's state with the kind's own check,
 * which must not itself be segmented. Throws a `StateShapeError` naming the JSON path.
 */
export function checkSegmentedState(
  value: unknown,
  path: string,
  checkSegment: (state: unknown, path: string) => void,
): void {
  const state = expectObject(value, path);
  expectString(state.by, `${path}/by`);
  expectCount(state.overflow, `${path}/overflow`);
  const admitted = new Set<string>();
  for (const [i, item] of expectArray(state.admitted, `${path}/admitted`).entries()) {
    const segment = expectString(item, `${path}/admitted/${i}`);
    if (segment === "" || segment === OTHER_SEGMENT || admitted.has(segment))
      throw new StateShapeError(
        `${path}/admitted/${i}: not a segment of its own (got ${showValue(segment)})`,
      );
    admitted.add(segment);
  }
  const seen = new Set<string>();
  const entries = expectArray(state.segments, `${path}/segments`);
  for (const [i, item] of entries.entries()) {
    const at = `${path}/segments/${i}`;
    const entry = expectObject(item, at);
    const segment = expectString(entry.segment, `${at}/segment`);
    if (segment === "" || seen.has(segment))
      throw new StateShapeError(
        `${at}/segment: ${segment === "" ? "empty" : "given twice"} (got ${showValue(segment)})`,
      );
    if (segment === OTHER_SEGMENT ? i !== entries.length - 1 : !admitted.has(segment))
      throw new StateShapeError(
        `${at}/segment: ${segment === OTHER_SEGMENT ? `${OTHER_SEGMENT} must come last` : `${showValue(segment)} was never admitted`}`,
      );
    seen.add(segment);
    const inner = expectObject(entry.state, `${at}/state`);
    if (inner.segmented !== undefined && inner.segmented !== null)
      throw new StateShapeError(`${at}/state/segmented: a segment's state is not segmented itself`);
    checkSegment(inner, `${at}/state`);
  }
}

/** The window of a segment's own monitor: it never closes by itself; the pooled windows close it. */
export const SEGMENT_WINDOW: WindowConfig = { type: "tumbling", events: Number.MAX_SAFE_INTEGER };

/** True when a window closes on the event that fills it (count windows), false when time closes it before an event. */
export function closesOnEvent(window: WindowConfig): boolean {
  return "events" in window;
}

/**
 * Cross-checks of `segment_by` and `max_segments` (the loader runs them after the schema, also
 * on a config the schema refused, so everything is read defensively): the feature must exist, be
 * categorical, come from the source of the monitor's features and not be one of them; windows
 * must be tumbling; `max_segments` needs `segment_by`.
 */
export function segmentProblems(
  config: Config,
  monitor: {
    readonly features: readonly string[];
    readonly window: object;
    readonly segment_by?: string;
    readonly max_segments?: number;
  },
  base: string,
): ConfigProblem[] {
  const by = monitor.segment_by;
  if (typeof by !== "string") {
    return monitor.max_segments === undefined
      ? []
      : [{ path: `${base}/max_segments`, message: "max_segments needs segment_by" }];
  }
  const at = `${base}/segment_by`;
  const features = Array.isArray(monitor.features) ? monitor.features : [];
  const unknown = unknownFeature(config, by, at);
  if (unknown.length > 0) return unknown;
  const problems: ConfigProblem[] = [];
  const feature = config.features[by];
  if (feature.type !== "categorical")
    problems.push({
      path: at,
      message: `segments come from a categorical feature; ${showValue(by)} is ${showValue(feature.type)}`,
    });
  const sources = sourcesOfFeatures(config, features);
  if (sources.length === 1 && feature.source !== sources[0])
    problems.push({
      path: at,
      message: `feature ${showValue(by)} comes from source ${showValue(feature.source)}; the monitor's features come from ${showValue(sources[0])}`,
    });
  if (features.includes(by))
    problems.push({
      path: at,
      message: `${showValue(by)} is also one of the monitor's features: within a segment it has one value; leave it out of features`,
    });
  const window = monitor.window as { type?: unknown } | undefined;
  if (window?.type === "sliding")
    problems.push({
      path: `${base}/window`,
      message: "segment_by takes tumbling windows (each window is cut into segments)",
    });
  return problems;
}

/** What a segmented monitor needs of the monitor class it cuts into segments. */
export interface SegmentMember<S, R> {
  readonly state: S;
  readonly reference: string;
  readonly referenceEvents: number;
  readonly lateEvents: number;
  readonly needsTick: boolean;
  /** The index the next window to close will have. */
  readonly nextWindow: number;
  idOf(event: unknown): string | null;
  tick(now: number): R[];
  flush(now: number): R[];
}

/** How a segmented monitor's segments were admitted, and how many: what every result says of them. */
export interface SegmentsSummary {
  readonly by: string;
  readonly admission: "arrival" | "reference";
  readonly max_segments: number;
  readonly admitted: number;
  readonly overflow_events: number;
}

/**
 * A monitor cut into segments by a categorical feature: one monitor of its kind over every event
 * (the pooled one, whose windows are the monitor's) and one per segment, whose window never closes
 * by itself (`SEGMENT_WINDOW`): when a pooled window closes, every segment's window closes with it.
 * The kinds (drift, outliers) give how a segment's monitor is made and how a window's results are
 * put together; this class admits the segments, keeps their monitors and closes their windows.
 *
 * A subclass calls {@link restoreSegments} at the end of its constructor (its own fields, which
 * `create` reads, are set only after this constructor returns).
 */
export abstract class SegmentedMonitor<M extends SegmentMember<S, R>, S, R> {
  protected readonly by: string;
  protected readonly max: number;
  protected readonly admission: SegmentAdmission;
  /** Each segment's monitor, in order of admission; `__other__` when it has had an event. */
  protected readonly segments = new Map<string, M>();
  /** True when a window closes on the event that fills it; false when time closes it before an event. */
  protected readonly byCount: boolean;

  constructor(
    readonly name: string,
    /** The monitor over every event: its windows, its reference, its result. */
    readonly pooled: M,
    config: { readonly segment_by?: string; readonly max_segments?: number; readonly window: WindowConfig },
    /** Reference rows per segment value, when the reference decides the segments; else null. */
    counts: ReadonlyMap<string, number> | null,
    saved: SegmentedState<S> | null,
  ) {
    this.by = config.segment_by as string;
    this.max = config.max_segments ?? DEFAULT_MAX_SEGMENTS;
    this.byCount = closesOnEvent(config.window);
    const admitted = saved?.admitted ?? (counts !== null ? topSegments(counts, this.max) : []);
    this.admission = new SegmentAdmission(this.max, counts === null, admitted, saved?.overflow ?? 0);
  }

  /** A segment's monitor, new or from its checkpointed state. */
  protected abstract create(segment: string, state?: S): M;

  /** The monitors of a checkpoint's segments (called by the subclass's constructor). */
  protected restoreSegments(saved: SegmentedState<S> | null): void {
    for (const { segment, state } of saved?.segments ?? [])
      this.segments.set(segment, this.create(segment, state));
  }

  /** The segments' monitors in order of admission, `__other__` last. */
  protected ordered(): [string, M][] {
    const rank = new Map(this.admission.admitted.map((segment, i) => [segment, i]));
    const of = (segment: string) => rank.get(segment) ?? Number.MAX_SAFE_INTEGER;
    return [...this.segments].sort(([a], [b]) => of(a) - of(b));
  }

  /** The segment of an event's segment value and its monitor, admitting the value when there is room. */
  protected segmentOf(value: unknown): [string, M] {
    const segment = this.admission.route(segmentValue(value));
    let monitor = this.segments.get(segment);
    if (monitor === undefined) {
      monitor = this.create(segment);
      this.segments.set(segment, monitor);
    }
    return [segment, monitor];
  }

  /** The checkpointed segments, beside the pooled monitor's own state. */
  protected get segmentedState(): SegmentedState<S> {
    return {
      by: this.by,
      admitted: [...this.admission.admitted],
      overflow: this.admission.overflow,
      segments: this.ordered().map(([segment, monitor]) => ({ segment, state: monitor.state })),
    };
  }

  /** How the segments were admitted and how many, for the results. */
  protected get summary(): SegmentsSummary {
    return {
      by: this.by,
      admission: this.admission.online ? "arrival" : "reference",
      max_segments: this.max,
      admitted: this.admission.admitted.length,
      overflow_events: this.admission.overflow,
    };
  }

  /** Segments of their own so far. */
  get admitted(): number {
    return this.admission.admitted.length;
  }

  /** Events sent to `__other__` so far because their value had no segment of its own. */
  get overflow(): number {
    return this.admission.overflow;
  }

  get reference(): string {
    return this.pooled.reference;
  }

  get referenceEvents(): number {
    return this.pooled.referenceEvents;
  }

  get lateEvents(): number {
    return this.pooled.lateEvents;
  }

  get needsTick(): boolean {
    return this.pooled.needsTick;
  }

  /** The event's id for a window's samples. */
  idOf(event: unknown): string | null {
    return this.pooled.idOf(event);
  }

  /** Closes processing-time windows that ended by `now`. */
  tick(now: number): R[] {
    const before = this.pooled.nextWindow;
    const results = this.pooled.tick(now);
    return this.combine(results, this.pooled.nextWindow > before ? this.flushSegments(now) : []);
  }

  /** Closes the open window as it stands (the end of a replay). */
  flush(now: number): R[] {
    const before = this.pooled.nextWindow;
    const results = this.pooled.flush(now);
    return this.combine(results, this.pooled.nextWindow > before ? this.flushSegments(now) : []);
  }

  /** Closes every segment's window (the pooled one just closed). */
  protected flushSegments(now: number): (R & { readonly segment: string })[] {
    const out: (R & { readonly segment: string })[] = [];
    for (const [segment, monitor] of this.ordered())
      for (const result of monitor.flush(now)) out.push({ ...result, segment });
    return out;
  }

  /** The pooled results with the segments of their window (the pooled window closes at most once per call). */
  protected abstract combine(results: R[], segments: (R & { readonly segment: string })[]): R[];
}
