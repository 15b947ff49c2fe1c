import { UserError } from "../errors.js";
import { readTable } from "../io/read.js";
import { readNumericRows } from "../io/rows.js";
import { OTHER_SEGMENT, SEGMENT_WINDOW, SegmentedMonitor, segmentValue } from "../monitors/segments.js";
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
export class SegmentedOutlierMonitor extends SegmentedMonitor<
  OutlierMonitor,
  OutlierMonitorState,
  OutlierResult
> {
  private readonly segmentConfig: OutlierMonitorConfig;
  /** Segments whose scorers could not be fitted on their own rows or first events, with why (to log once). */
  private readonly unfitted = new Map<string, string | null>();

  constructor(
    name: string,
    readonly config: OutlierMonitorConfig,
    private readonly references: OutlierSegmentReferences,
    state?: OutlierMonitorState,
  ) {
    const saved = state?.segmented ?? null;
    super(
      name,
      new OutlierMonitor(name, config, references.rows, state),
      config,
      references.split !== null ? references.counts : null,
      saved,
    );
    this.segmentConfig = { ...config, window: SEGMENT_WINDOW as OutlierMonitorConfig["window"] };
    this.restoreSegments(saved);
  }

  private get sharing(): OutlierSegments["reference"] {
    return this.references.rows !== null && this.references.split === null ? "shared" : "per_segment";
  }

  /**
   * A segment's monitor. A shared reference's scorers are the pooled monitor's (fitting is
   * deterministic, so refitting on the same rows would give the same models); so are those of a
   * segment whose own reference rows are too few to fit on.
   */
  protected create(segment: string, state?: OutlierMonitorState): OutlierMonitor {
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

  /** The state to checkpoint: the pooled monitor's, with every segment's. */
  get state(): OutlierMonitorState {
    return { ...this.pooled.state, segmented: this.segmentedState };
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

  /** The pooled monitor's fitted thresholds, and each segment's. */
  get thresholds(): readonly { scorer: string; threshold: number; segment?: string }[] {
    return [
      ...this.pooled.thresholds,
      ...this.ordered().flatMap(([segment, monitor]) => monitor.thresholds.map((t) => ({ ...t, segment }))),
    ];
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

  /** The pooled results with the segments of their window (the pooled window closes at most once per call). */
  protected combine(results: OutlierResult[], segments: SegmentOutlierResult[]): OutlierResult[] {
    return results.map((pooled) => {
      const { index, start, end } = pooled.window;
      const info: OutlierSegments = {
        ...this.summary,
        reference: this.sharing,
        results: segments.map((s) => ({ ...s, window: { ...s.window, index, start, end } })),
      };
      return { ...pooled, segments: info };
    });
  }
}
