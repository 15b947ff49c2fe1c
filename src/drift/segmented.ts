import { OTHER_SEGMENT, SEGMENT_WINDOW, SegmentedMonitor } from "../monitors/segments.js";
import { emptyFeatureState, type FeatureState, mergeFeatureStates } from "../windows/feature-state.js";
import type { EventMeta } from "../windows/window.js";
import type { DriftMonitorConfig } from "./config.js";
import {
  DriftMonitor,
  type DriftMonitorState,
  type DriftResult,
  type DriftSegments,
  type SegmentDriftResult,
} from "./monitor.js";
import { segmentVerdict } from "./scope.js";

/** The references a segmented drift monitor starts from (see `loadSegmentedReference`). */
export interface DriftSegmentReferences {
  /** The whole reference (a file or profile), or null for `first` and `rolling` references. */
  readonly whole: Record<string, FeatureState> | null;
  /** The reference's rows by segment value (null key: rows without one), when it has the segment column. */
  readonly split: ReadonlyMap<string | null, Record<string, FeatureState>> | null;
  /** Rows per segment value, when it has the segment column. */
  readonly counts: ReadonlyMap<string, number> | null;
}

/**
 * A drift monitor cut into segments by a categorical feature (`segment_by`): one `DriftMonitor`
 * over every event (the pooled one, whose windows are the monitor's windows) and one per segment,
 * each with its own reference. When a pooled window closes, every segment's events of that window
 * are compared with the segment's reference, and the window's result is the pooled one with its
 * segments and their dataset-level verdict (`segments`).
 *
 * References: a file with the segment column gives each segment its rows (values admitted by
 * their row counts, `__other__` the rest); `first: N` collects each segment's first N events and
 * `rolling: K` keeps each segment's last K windows; a profile, or a file without the column, is
 * shared by every segment. The segments' own monitors keep a window that never closes by itself:
 * the pooled one closes it, so that every segment sees the same window boundaries.
 *
 * @example
 *   const m = new SegmentedDriftMonitor("d", { ...config, segment_by: "region" }, kinds, { whole: null, split: null, counts: null });
 *   m.add({ x: 1, region: "eu" }, Date.now(), null);
 */
export class SegmentedDriftMonitor extends SegmentedMonitor<DriftMonitor, DriftMonitorState, DriftResult> {
  private readonly segmentConfig: DriftMonitorConfig;

  constructor(
    name: string,
    readonly config: DriftMonitorConfig,
    private readonly kinds: Record<string, "numeric" | "categorical">,
    private readonly references: DriftSegmentReferences,
    state?: DriftMonitorState,
  ) {
    const saved = state?.segmented ?? null;
    super(
      name,
      new DriftMonitor(name, config, kinds, references.whole, state),
      config,
      references.split !== null ? references.counts : null,
      saved,
    );
    // A segment's own window never closes by itself, and a cron schedule is the pooled one's.
    const { schedule: _schedule, ...rest } = config;
    this.segmentConfig = { ...rest, window: SEGMENT_WINDOW };
    this.restoreSegments(saved);
  }

  /** Where the segments' references come from. */
  private get sharing(): DriftSegments["reference"] {
    return this.references.whole !== null && this.references.split === null ? "shared" : "per_segment";
  }

  /** A segment's monitor, with its reference. */
  protected create(segment: string, state?: DriftMonitorState): DriftMonitor {
    let reference: Record<string, FeatureState> | null = null;
    if (this.references.split !== null) reference = this.referenceOf(segment);
    else if (this.references.whole !== null) reference = this.references.whole;
    return new DriftMonitor(this.name, this.segmentConfig, this.kinds, reference, state);
  }

  /** The reference rows of a segment: its value's, or for `__other__` those of every value without a segment. */
  private referenceOf(segment: string): Record<string, FeatureState> {
    const split = this.references.split as ReadonlyMap<string | null, Record<string, FeatureState>>;
    const empty = (): Record<string, FeatureState> =>
      Object.fromEntries(Object.entries(this.kinds).map(([name, kind]) => [name, emptyFeatureState(kind)]));
    if (segment !== OTHER_SEGMENT) return split.get(segment) ?? empty();
    const admitted = new Set(this.admission.admitted);
    let out = empty();
    for (const [value, states] of split) {
      if (value !== null && admitted.has(value)) continue;
      const merged: Record<string, FeatureState> = {};
      for (const name of Object.keys(this.kinds)) merged[name] = mergeFeatureStates(out[name], states[name]);
      out = merged;
    }
    return out;
  }

  /** The state to checkpoint: the pooled monitor's, with every segment's. */
  get state(): DriftMonitorState {
    return { ...this.pooled.state, segmented: this.segmentedState };
  }

  /**
   * Adds one event to the pooled monitor and to its segment's. Returns the windows it closed, each
   * with its segments. A time window closes before the event that passes its end (the event
   * belongs to the next one), a count window on the event that fills it.
   */
  add(
    values: Record<string, unknown>,
    now: number,
    eventTime: number | null,
    meta: EventMeta = {},
  ): DriftResult[] {
    const before = this.pooled.nextWindow;
    const late = this.pooled.lateEvents;
    const results = this.pooled.add(values, now, eventTime, meta);
    // Too late for its time window: the pooled monitor counted it, and no segment takes it.
    if (this.pooled.lateEvents > late) return results;
    const closed = this.pooled.nextWindow > before;
    const [, segment] = this.segmentOf(values[this.by]);
    let flushed: SegmentDriftResult[] = [];
    if (closed && !this.byCount) flushed = this.flushSegments(now);
    segment.add(values, now, eventTime, meta);
    if (closed && this.byCount) flushed = this.flushSegments(now);
    return this.combine(results, flushed);
  }

  /** Evaluates the open window as it stands, pooled and per segment (scheduled evaluations). */
  evaluateOpen(): DriftResult | null {
    const result = this.pooled.evaluateOpen();
    if (result === null) return null;
    const open: SegmentDriftResult[] = [];
    for (const [segment, monitor] of this.ordered()) {
      const own = monitor.evaluateOpen();
      if (own !== null) open.push({ ...own, segment });
    }
    return this.combine([result], open)[0];
  }

  /**
   * The pooled results with the segments of their window. Segments compare only once the pooled
   * monitor does (their references fill no sooner than the pooled one), so segment results
   * without a pooled one do not occur; the pooled window closes at most once per call.
   */
  protected combine(results: DriftResult[], segments: SegmentDriftResult[]): DriftResult[] {
    return results.map((pooled) => {
      const { index, start, end } = pooled.window;
      const own = segments.map((s) => ({ ...s, window: { ...s.window, index, start, end } }));
      const verdict = segmentVerdict(
        pooled.evaluation.dataset.drift,
        own.map((s) => ({ segment: s.segment, dataset: s.evaluation.dataset })),
      );
      const info: DriftSegments = { ...this.summary, reference: this.sharing, verdict, results: own };
      return { ...pooled, segments: info };
    });
  }
}
