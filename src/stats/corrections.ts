/**
 * Multiple-testing corrections for the per-column p-values of one report: a column drifts when its
 * adjusted p-value is below alpha.
 */

/** The corrections a report can apply (`correction` in the dataset summary). */
export type Correction = "none" | "bonferroni" | "fdr";

/**
 * Adjusted p-values, in the order given.
 *
 * - `none`: the p-values unchanged (copied).
 * - `bonferroni`: min(1, p·m) for m p-values; controls the family-wise error rate (Dunn 1961).
 * - `fdr`: Benjamini–Hochberg (1995) step-up adjusted p-values, exactly
 *   `scipy.stats.false_discovery_control(ps, method="bh")`: sort ascending, multiply the i-th
 *   (1-based) by m/i, take the running minimum from the largest down, restore the order and clip
 *   to [0, 1]. Ties get the same adjusted value whatever their order.
 *
 * Edge cases: an empty list gives []; a single p-value is returned unchanged by every method (as
 * scipy does); a p-value outside [0, 1] or NaN throws a RangeError (scipy raises ValueError).
 *
 * @example
 * adjustPValues([0.01, 0.02, 0.5, 0.04], "fdr") // [0.04, 0.04, 0.5, 0.05333333333333333]
 */
export function adjustPValues(p: readonly number[], method: Correction): number[] {
  for (const [i, x] of p.entries()) {
    if (!(x >= 0 && x <= 1)) throw new RangeError(`p-value ${i} must be in [0, 1] (got ${x})`);
  }
  const m = p.length;
  if (method === "none" || m <= 1) return [...p];
  if (method === "bonferroni") return p.map((x) => Math.min(1, x * m));
  // The order among ties does not matter: the running minimum gives tied p-values one value.
  const order = p.map((_, i) => i).sort((a, b) => p[a] - p[b]);
  const adjusted = new Array<number>(m);
  let running = Number.POSITIVE_INFINITY;
  for (let rank = m; rank >= 1; rank--) {
    const i = order[rank - 1];
    // p · (m / i), in scipy's order of operations, so results match bit for bit.
    running = Math.min(running, p[i] * (m / rank));
    adjusted[i] = Math.min(1, Math.max(0, running));
  }
  return adjusted;
}
