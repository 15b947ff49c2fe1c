/** How far a segmented window's drift reaches: `none`, `confined` to named segments, or `global`. */
export type DriftScope = "none" | "confined" | "global";

/** The dataset-level verdict of a window cut into segments, the same for the daemon and `report`. */
export interface SegmentVerdict {
  /**
   * `global` when the pooled data (every event against the whole reference) drifted, or when
   * more than half of the segments compared drifted; else `confined` when at least one segment
   * drifted; else `none`.
   */
  readonly scope: DriftScope;
  /** The segments whose data drifted (their own dataset verdict), in the order they are listed. */
  readonly drifted: readonly string[];
  /** The segments compared: at least one feature with values on both sides. */
  readonly evaluated: number;
  /** Whether the pooled data drifted. */
  readonly pooled_drift: boolean;
}

/**
 * The dataset-level verdict of a window from its pooled verdict and its segments' verdicts. A
 * segment drifts when its own share of drifted features reaches `drift_share` (the dataset rule,
 * applied within the segment); a segment with no feature compared is not counted.
 *
 * @example
 *   segmentVerdict(false, [{ segment: "rain", dataset: drifted }, { segment: "sun", dataset: stable }])
 *   // { scope: "confined", drifted: ["rain"], evaluated: 2, pooled_drift: false }
 */
export function segmentVerdict(
  pooledDrift: boolean,
  segments: readonly {
    readonly segment: string;
    readonly dataset: { readonly columns: number; readonly drift: boolean };
  }[],
): SegmentVerdict {
  const evaluated = segments.filter((s) => s.dataset.columns > 0);
  const drifted = evaluated.filter((s) => s.dataset.drift).map((s) => s.segment);
  const most = drifted.length > 0 && drifted.length * 2 > evaluated.length;
  const scope: DriftScope = pooledDrift || most ? "global" : drifted.length > 0 ? "confined" : "none";
  return { scope, drifted, evaluated: evaluated.length, pooled_drift: pooledDrift };
}

/** The verdict in words: `drift confined to drizzle, fog (2 of 5 segments)`, `no segment drifted (0 of 5)`. */
export function describeVerdict(verdict: SegmentVerdict): string {
  const of = `${verdict.drifted.length} of ${verdict.evaluated} segment${verdict.evaluated === 1 ? "" : "s"}`;
  const names = verdict.drifted.join(", ");
  if (verdict.scope === "none") return `no segment drifted (${of})`;
  if (verdict.scope === "confined") return `drift confined to ${names} (${of})`;
  const why = verdict.pooled_drift ? "the pooled data drifted" : "most segments drifted";
  return `global drift: ${why} (${of}${names === "" ? "" : `: ${names}`})`;
}
