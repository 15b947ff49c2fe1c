import { UserError } from "../errors.js";
import { readTable } from "../io/read.js";
import { readNumericRows } from "../io/rows.js";
import {
  closesOnEvent,
  DEFAULT_MAX_SEGMENTS,
  OTHER_SEGMENT,
  SEGMENT_WINDOW,
  SegmentAdmission,
  segmentValue,
  topSegments,
} from "../monitors/segments.js";
import type { OutlierMonitorConfig } from "./config.js";
import {
  OutlierMonitor,
  type OutlierMonitorState,
  type OutlierResult,
  type OutlierScore,
  type OutlierSegments,
  type SegmentOutlierResult,
} from "./monitor.js";

/** Reference rows of a segmented outlier monitor. */
export interface OutlierSegmentReferences {
  /** Every reference row, or null for a `first` reference. */
  readonly rows: (number | null)[][] | null;
  /** The rows by segment value (null key: rows without one), when the file has the segment column. */
  readonly split: ReadonlyMap<string | null, (number | null)[][]> | null;
  /** Rows per segment value, when the file has the segment column. */
  readonly counts: ReadonlyMap<string, number> | null;
}

/**
 * Reads a segmented outlier monitor's reference file: every row as `readNumericRows` reads it,
 * and, when the file has the segment column, the rows cut by its value.
 */
export async function loadSegmentedRows(
  path: string,
  features: readonly string[],
  by: string,
): Promise<OutlierSegmentReferences> {
  const rows = await readNumericRows(path, features);
  const table = await readTable(path, {
    hint: () => "categorical",
    include: () => false,
    keep: (name) => name === by,
  });
  const cells = table.raw?.get(by);
  if (!table.names.includes(by) || cells === undefined) return { rows, split: null, counts: null };
  if (cells.length !== rows.length)
    throw new UserError(`${path}: ${rows.length} rows of features but ${cells.length} of column ${by}`);
  const split = new Map<string | null, (number | null)[][]>();
  const counts = new Map<string, number>();
  for (const [r, row] of rows.entries()) {
    const key = segmentValue(cells[r]);
    if (key !== null) counts.set(key, (counts.get(key) ?? 0) + 1);
    const list = split.get(key);
    if (list === undefined) split.set(key, [row]);
    else list.push(row);
  }
  return { rows, split, counts };
}

/** One event's scores: the pooled monitor's and its segment's. */
export interface SegmentedScores {
  readonly scores: OutlierScore[];
  readonly segment: string;
  readonly segmentScores: OutlierScore[];
}

/**
 * An outlier monitor cut into segments by a categorical feature (`segment_by`): one
 * `OutlierMonitor` over every event (the pooled one, whose windows are the monitor's) and one per
 * segment, whose scorers are fitted on the segment's own reference rows (a file with the segment
 * column) or first events (`first: N`, N per segment), else on the whole reference. Every event is
 * scored by both; when a pooled window closes, every segment's window closes with it.
 *
 * @example
 *   const m = new SegmentedOutlierMonitor("o", { ...config, segment_by: "region" }, { rows: null, split: null, counts: null });
 */
export class SegmentedOutlierMonitor {
  /** The monitor over every event. */
  readonly pooled: OutlierMonitor;
  private readonly by: string;
  private readonly max: number;
  private readonly admission: SegmentAdmission;
  private readonly segments = new Map<string, OutlierMonitor>();
  private readonly segmentConfig: OutlierMonitorConfig;
  private readonly byCount: boolean;
  /** Segments whose scorers could not be fitted on their own rows or first events, with why (to log once). */
  private readonly unfitted = new Map<string, string | null>();

  constructor(
    readonly name: string,
    readonly config: OutlierMonitorConfig,
    private readonly references: OutlierSegmentReferences,
    state?: OutlierMonitorState,
  ) {
    this.by = config.segment_by as string;
    this.max = config.max_segments ?? DEFAULT_MAX_SEGMENTS;
    const saved = state?.segmented ?? null;
    this.pooled = new OutlierMonitor(name, config, references.rows, state);
    this.byCount = closesOnEvent(config.window);
    this.segmentConfig = { ...config, window: SEGMENT_WINDOW as OutlierMonitorConfig["window"] };
    const fromReference = references.split !== null && references.counts !== null;
    const admitted =
      saved?.admitted ??
      (fromReference ? topSegments(references.counts as ReadonlyMap<string, number>, this.max) : []);
    this.admission = new SegmentAdmission(this.max, !fromReference, admitted, saved?.overflow ?? 0);
    for (const { segment, state: s } of saved?.segments ?? [])
      this.segments.set(segment, this.create(segment, s));
  }

  private get sharing(): OutlierSegments["reference"] {
    return this.references.rows !== null && this.references.split === null ? "shared" : "per_segment";
  }

  /**
   * A segment's monitor. A shared reference's scorers are the pooled monitor's (fitting is
   * deterministic, so refitting on the same rows would give the same models); so are those of a
   * segment whose own reference rows are too few to fit on.
   */
  private create(segment: string, state?: OutlierMonitorState): OutlierMonitor {
    if (state !== undefined || this.references.rows === null)
      return new OutlierMonitor(this.name, this.segmentConfig, null, state);
    if (this.references.split !== null) {
      try {
        return new OutlierMonitor(this.name, this.segmentConfig, this.rowsOf(segment));
      } catch (error) {
        // Too few rows of the segment to fit on (one row for a forest, none for __other__):
        // the segment is scored with the whole reference's scorers instead, and that is logged.
        if (!(error instanceof UserError)) throw error;
        this.unfitted.set(segment, `${error.message}; scored with the whole reference's scorers`);
      }
    }
    const fitted = this.pooled.state.fitted;
    return new OutlierMonitor(this.name, this.segmentConfig, null, {
      collecting: null,
      fitted,
      window: { open: null, closed: [], emitted: 0, late: 0 },
      tallies: (fitted ?? []).map(() => ({ outliers: 0, top: [] })),
      incomplete: 0,
    });
  }

  /** A segment's reference rows: its value's, or for `__other__` those of every value without a segment. */
  private rowsOf(segment: string): (number | null)[][] {
    const split = this.references.split as ReadonlyMap<string | null, (number | null)[][]>;
    if (segment !== OTHER_SEGMENT) return split.get(segment) ?? [];
    const admitted = new Set(this.admission.admitted);
    return [...split].flatMap(([value, rows]) => (value !== null && admitted.has(value) ? [] : rows));
  }

  /** The segments' monitors in order of admission, `__other__` last. */
  private ordered(): [string, OutlierMonitor][] {
    const rank = new Map(this.admission.admitted.map((segment, i) => [segment, i]));
    const of = (segment: string) => rank.get(segment) ?? Number.MAX_SAFE_INTEGER;
    return [...this.segments].sort(([a], [b]) => of(a) - of(b));
  }

  private segmentOf(value: unknown): [string, OutlierMonitor] {
    const segment = this.admission.route(segmentValue(value));
    let monitor = this.segments.get(segment);
    if (monitor === undefined) {
      monitor = this.create(segment);
      this.segments.set(segment, monitor);
    }
    return [segment, monitor];
  }

  /** The state to checkpoint: the pooled monitor's, with every segment's. */
  get state(): OutlierMonitorState {
    return {
      ...this.pooled.state,
      segmented: {
        by: this.by,
        admitted: [...this.admission.admitted],
        overflow: this.admission.overflow,
        segments: this.ordered().map(([segment, monitor]) => ({ segment, state: monitor.state })),
      },
    };
  }

  /** Segments that could not be fitted yet, each reported once: `[segment, why]`. */
  takeUnfitted(): [string, string][] {
    const out: [string, string][] = [];
    for (const [segment, why] of this.unfitted)
      if (why !== null) {
        out.push([segment, why]);
        this.unfitted.set(segment, null);
      }
    return out;
  }

  get admitted(): number {
    return this.admission.admitted.length;
  }

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

  /** The pooled monitor's fitted thresholds, and each segment's. */
  get thresholds(): readonly { scorer: string; threshold: number; segment?: string }[] {
    return [
      ...this.pooled.thresholds,
      ...this.ordered().flatMap(([segment, monitor]) => monitor.thresholds.map((t) => ({ ...t, segment }))),
    ];
  }

  idOf(event: unknown): string | null {
    return this.pooled.idOf(event);
  }

  /**
   * Scores one event with the pooled scorers and its segment's; returns both scores and the
   * windows it closed, each with its segments.
   */
  add(
    values: Record<string, unknown>,
    now: number,
    eventTime: number | null,
    id: string | null,
  ): SegmentedScores & { closed: OutlierResult[] } {
    const before = this.pooled.nextWindow;
    const late = this.pooled.lateEvents;
    const { scores, closed } = this.pooled.add(values, now, eventTime, id);
    if (this.pooled.lateEvents > late) return { scores, closed, segment: OTHER_SEGMENT, segmentScores: [] };
    const ended = this.pooled.nextWindow > before;
    const [segment, monitor] = this.segmentOf(values[this.by]);
    let flushed: SegmentOutlierResult[] = [];
    if (ended && !this.byCount) flushed = this.flushSegments(now);
    let own: OutlierScore[] = [];
    try {
      own = monitor.add(values, now, eventTime, id).scores;
    } catch (error) {
      // A segment's first events that no scorer can be fitted on (a feature with no value among
      // them) must not stop the monitor: the segment keeps collecting and is fitted once it can be.
      if (!(error instanceof UserError)) throw error;
      if (!this.unfitted.has(segment)) this.unfitted.set(segment, error.message);
    }
    if (ended && this.byCount) flushed = this.flushSegments(now);
    return { scores, closed: this.combine(closed, flushed), segment, segmentScores: own };
  }

  tick(now: number): OutlierResult[] {
    const before = this.pooled.nextWindow;
    const results = this.pooled.tick(now);
    return this.combine(results, this.pooled.nextWindow > before ? this.flushSegments(now) : []);
  }

  flush(now: number): OutlierResult[] {
    const before = this.pooled.nextWindow;
    const results = this.pooled.flush(now);
    return this.combine(results, this.pooled.nextWindow > before ? this.flushSegments(now) : []);
  }

  private flushSegments(now: number): SegmentOutlierResult[] {
    const out: SegmentOutlierResult[] = [];
    for (const [segment, monitor] of this.ordered())
      for (const result of monitor.flush(now)) out.push({ ...result, segment });
    return out;
  }

  /** The pooled results with the segments of their window (the pooled window closes at most once per call). */
  private combine(results: OutlierResult[], segments: SegmentOutlierResult[]): OutlierResult[] {
    return results.map((pooled) => {
      const { index, start, end } = pooled.window;
      const info: OutlierSegments = {
        by: this.by,
        reference: this.sharing,
        admission: this.admission.online ? "arrival" : "reference",
        max_segments: this.max,
        admitted: this.admission.admitted.length,
        overflow_events: this.admission.overflow,
        results: segments.map((s) => ({ ...s, window: { ...s.window, index, start, end } })),
      };
      return { ...pooled, segments: info };
    });
  }
}
