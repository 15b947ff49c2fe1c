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
