/**
 * Per-feature views of the reference rows that several scorers share: the dimension check, the
 * sorted non-missing values of each feature, and numpy's median.
 */

import { UserError } from "../errors.js";
import { isMissing, type Row } from "./types.js";

/**
 * The number of features of the reference rows, after checking that there are at least
 * `minRows` rows, all of one length, with at least one feature.
 *
 * Edge cases: too few rows or ragged rows throw a UserError naming the row.
 */
export function referenceDimension(reference: readonly Row[], minRows: number, scorer: string): number {
  if (reference.length < minRows) {
    throw new UserError(
      `${scorer}: the reference needs at least ${minRows} row${minRows === 1 ? "" : "s"} (got ${reference.length})`,
    );
  }
  const d = reference[0].length;
  if (d < 1) throw new UserError(`${scorer}: reference rows need at least one feature`);
  for (let i = 1; i < reference.length; i++) {
    if (reference[i].length !== d) {
      throw new UserError(
        `${scorer}: reference row ${i} has ${reference[i].length} features, row 0 has ${d}`,
      );
    }
  }
  return d;
}

/**
 * The non-missing values of each feature, each column ascending.
 *
 * Edge cases: a feature with no value in the whole reference throws a UserError (it could never
 * be scored, so the configuration is wrong rather than the data).
 */
export function sortedColumns(reference: readonly Row[], d: number, scorer: string): Float64Array[] {
  const columns: Float64Array[] = [];
  for (let j = 0; j < d; j++) {
    const values: number[] = [];
    for (const row of reference) {
      const v = row[j];
      if (!isMissing(v)) values.push(v);
    }
    if (values.length === 0) throw new UserError(`${scorer}: feature ${j} has no value in the reference`);
    columns.push(Float64Array.from(values).sort());
  }
  return columns;
}

/**
 * Median of an ascending, non-empty sample exactly as `numpy.median`: the middle value, or for an
 * even count the mean of the two middle values computed as (a + b) / 2.
 *
 * @example
 * median(Float64Array.of(1, 2, 4, 8)) // 3
 */
export function median(sorted: ArrayLike<number>): number {
  const n = sorted.length;
  if (n === 0) throw new RangeError("median of an empty sample");
  const mid = n >>> 1;
  return n % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Throws a RangeError when a scored row does not have the model's number of features (a bug). */
export function checkRowLength(row: Row, d: number): void {
  if (row.length !== d) throw new RangeError(`row has ${row.length} features, the model has ${d}`);
}

/** A dense copy of the rows with missing features replaced by the given per-feature values. */
export function imputedMatrix(reference: readonly Row[], d: number, fill: readonly number[]): Float64Array[] {
  return reference.map((row) => {
    const out = new Float64Array(d);
    for (let j = 0; j < d; j++) {
      const v = row[j];
      out[j] = isMissing(v) ? fill[j] : v;
    }
    return out;
  });
}
