/**
 * Shared shapes of the outlier scorers. A scorer kind is fitted once on reference rows, giving a
 * model that is plain JSON data (numbers, arrays, objects: no NaN, no typed arrays), so the CLI can
 * build a model that the daemon loads unchanged; scoring a row is then a pure function of the model
 * and the row.
 */

import type { JSONSchemaType } from "ajv";

/**
 * One event's features, in the order the monitor configured them. A feature is missing when it is
 * `null`, `undefined` or NaN; what a scorer does with a missing feature is its `missing` rule.
 */
export type Row = ArrayLike<number | null | undefined>;

/**
 * How a scorer treats a missing feature in a row:
 * - `skip`: the feature is left out of the score (a row with every feature missing scores 0);
 * - `impute_median`: the feature takes the reference median before scoring, and the monitor
 *   should flag the event as imputed (count them with `countMissing`).
 */
export type MissingRule = "skip" | "impute_median";

/**
 * A family of outlier scorers, registered by the name used in config (`robust_z`, `iqr`, ...).
 * `P` is its params as written in config, `M` its fitted model (plain JSON data).
 *
 * @example
 * const model = robustZ.fit([[1], [2], [3], [4], [100]], {});
 * robustZ.score(model, [3]) // 0: the median
 */
export interface OutlierScorerKind<P, M> {
  /** JSON Schema of the params (unknown keys rejected); its `description`s are the docs. */
  readonly schema: JSONSchemaType<P>;
  /** Params that pass the schema, for docs, `list` and the conformance test. */
  readonly example: P;
  /** One-line description for `list` and docs. */
  readonly description: string;
  /** What happens to a missing feature in a scored row. */
  readonly missing: MissingRule;
  /**
   * Fits a model on reference rows (all of one length, at least one feature). Deterministic: the
   * same rows and params (including any `seed`) give the same model, bit for bit.
   */
  fit(reference: readonly Row[], params: P): M;
  /** The outlier score of one row: higher is more anomalous; finite for finite inputs. */
  score(model: M, row: Row): number;
}

/** Whether a feature value counts as missing: `null`, `undefined` or NaN. */
export function isMissing(value: number | null | undefined): value is null | undefined {
  return value === null || value === undefined || Number.isNaN(value);
}

/**
 * Number of missing features in a row, so a monitor can flag events whose score used imputed
 * values (scorers whose `missing` rule is `impute_median`).
 *
 * @example
 * countMissing([1, null, Number.NaN]) // 2
 */
export function countMissing(row: Row): number {
  let missing = 0;
  for (let j = 0; j < row.length; j++) if (isMissing(row[j])) missing++;
  return missing;
}

/**
 * Whether a score would enter a `keepTop` list: scored events call it first, so that the common
 * event, below the list's last entry, allocates no entry at all.
 */
export function qualifies(
  list: readonly { readonly score: number }[],
  score: number,
  limit: number,
): boolean {
  return limit > 0 && (list.length < limit || score > list[list.length - 1].score);
}

/**
 * Keeps `entry` among the `limit` highest-scoring entries of `list` (highest first), in place:
 * an outlier window's and the report's most extreme events.
 */
export function keepTop<T extends { readonly score: number }>(list: T[], entry: T, limit: number): void {
  if (!qualifies(list, entry.score, limit)) return;
  let at = list.findIndex((e) => entry.score > e.score);
  if (at < 0) at = list.length;
  list.splice(at, 0, entry);
  if (list.length > limit) list.pop();
}
