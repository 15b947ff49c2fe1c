import { analyzeColumnsParallel } from "../drift/analyze-parallel.js";
import { type ColumnInput, type DriftOptions, decideColumns } from "../drift/evaluate.js";
import { segmentVerdict } from "../drift/scope.js";
import { ColumnBuilder, type ColumnData, parseDecimal } from "../io/columns.js";
import type { RawValue } from "../io/raw.js";
import { categoricalOf } from "../io/read.js";
import { OTHER_SEGMENT, segmentValue, topSegments } from "../monitors/segments.js";
import type { DatasetSummary, SegmentSection, SegmentsReport } from "./model.js";

/** A compared column of the whole files: its kind on both sides and its cells in row order. */
export interface SegmentColumn {
  readonly name: string;
  readonly kind: "numeric" | "categorical";
  readonly reference: readonly RawValue[];
  readonly current: readonly RawValue[];
}

/** A column's cells at the given rows, read as the whole column was (numbers, or categories by their text). */
function columnOf(
  name: string,
  kind: "numeric" | "categorical",
  cells: readonly RawValue[],
  rows: readonly number[],
): ColumnData {
  const picked = rows.map((r) => cells[r] ?? null);
  if (kind === "categorical") return categoricalOf(name, picked);
  const builder = new ColumnBuilder(name, "numeric");
  for (const cell of picked) {
    // A CSV cell is text; in a column read as numeric every present cell is a number.
    const value = typeof cell === "string" ? parseDecimal(cell) : cell;
    if (typeof value === "number" && !Number.isNaN(value)) builder.addNumber(value);
    else builder.addMissing();
  }
  return builder.finish();
}

/** Row indexes per segment (null key: no value), in row order. */
function rowsBySegment(cells: readonly RawValue[]): Map<string | null, number[]> {
  const out = new Map<string | null, number[]>();
  for (const [r, cell] of cells.entries()) {
    const key = segmentValue(cell);
    const list = out.get(key);
    if (list === undefined) out.set(key, [r]);
    else list.push(r);
  }
  return out;
}

/**
 * Cuts the comparison by a column's values: the `max` values with the most reference rows get a
 * section of their own (ties by value, as the daemon admits a reference's segments), every other
 * row, and every row without a value, goes to `__other__`. Each section compares its rows with
 * the same engine and options as the whole report, so a segment's numbers are the ones the
 * daemon's segmented monitor gives for the same rows.
 */
export async function segmentsReport(
  by: string,
  max: number,
  segmentCells: { readonly reference: readonly RawValue[]; readonly current: readonly RawValue[] },
  columns: readonly SegmentColumn[],
  pooled: DatasetSummary,
  options: DriftOptions,
): Promise<SegmentsReport> {
  const refRows = rowsBySegment(segmentCells.reference);
  const curRows = rowsBySegment(segmentCells.current);
  const counts = new Map<string, number>();
  for (const [key, rows] of refRows) if (key !== null) counts.set(key, rows.length);
  const admitted = topSegments(counts, max);
  const own = new Set(admitted);
  const rest = (rows: Map<string | null, number[]>): number[] =>
    [...rows]
      .filter(([key]) => key === null || !own.has(key))
      .flatMap(([, list]) => list)
      .sort((a, b) => a - b);
  let overflow = 0;
  for (const [key, rows] of curRows) if (key !== null && !own.has(key)) overflow += rows.length;
  const parts: [string, number[], number[]][] = admitted.map((segment) => [
    segment,
    refRows.get(segment) ?? [],
    curRows.get(segment) ?? [],
  ]);
  const other: [string, number[], number[]] = [OTHER_SEGMENT, rest(refRows), rest(curRows)];
  if (other[1].length + other[2].length > 0) parts.push(other);
  const sections: SegmentSection[] = [];
  for (const [segment, reference, current] of parts) {
    const inputs: ColumnInput[] = [];
    for (const column of columns) {
      const ref = columnOf(column.name, column.kind, column.reference, reference);
      const cur = columnOf(column.name, column.kind, column.current, current);
      if (ref.kind === "skipped" || cur.kind === "skipped") continue;
      inputs.push({
        name: column.name,
        kind: column.kind,
        reference: ref.sample,
        current: cur.sample,
        missing_reference: ref.missing,
        missing_current: cur.missing,
      } as ColumnInput);
    }
    const evaluation = decideColumns(await analyzeColumnsParallel(inputs, options), options);
    sections.push({
      segment,
      rows: { reference: reference.length, current: current.length },
      columns: evaluation.columns,
      dataset: evaluation.dataset,
      skipped: evaluation.skipped,
    });
  }
  return {
    by,
    max_segments: max,
    overflow_rows: overflow,
    verdict: segmentVerdict(
      pooled.drift,
      sections.map((s) => ({ segment: s.segment, dataset: s.dataset })),
    ),
    segments: sections,
  };
}
