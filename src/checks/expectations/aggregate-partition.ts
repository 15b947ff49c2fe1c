import { showValue } from "../../errors.js";
import { numpySum, upperBound } from "../../stats/bins.js";
import { ExpectationError } from "../types.js";
import { isMissing, pandasQuantile, valueCounts, valueKey } from "./aggregate-values.js";

/**
 * GE's partition objects and the Kullback–Leibler divergence of a column from one
 * (`expect_column_kl_divergence_to_be_less_than`, GE 1.x on pandas): partition validation, numpy's
 * histogram, GE's tail and internal weight holdouts, scipy's `entropy`, and GE's "auto" partition.
 */

/** A categorical partition: each value's expected share. */
export interface CategoricalPartition {
  readonly kind: "categorical";
  readonly values: readonly unknown[];
  readonly weights: readonly number[];
}

/**
 * A continuous partition: bin edges (ascending, ±Infinity allowed at the ends), each bin's share
 * and, optionally, the shares below the first and above the last edge.
 */
export interface ContinuousPartition {
  readonly kind: "continuous";
  readonly bins: readonly number[];
  readonly weights: readonly number[];
  readonly tailWeights: readonly [number, number] | null;
}

/** A GE partition object, validated: categorical (`values`) or continuous (`bins`). */
export type Partition = CategoricalPartition | ContinuousPartition;

/** numpy's `allclose(sum, 1)` (rtol 1e-5, atol 1e-8), GE's test that weights sum to one. */
function sumsToOne(weights: readonly number[]): boolean {
  return Math.abs(numpySum(weights) - 1) <= 1e-8 + 1e-5;
}

function numberList(value: unknown, path: string, edges = false): number[] {
  if (!Array.isArray(value)) throw new ExpectationError(`${path} must be a list of numbers`);
  return value.map((v, i) => {
    if (typeof v === "number" && (edges || Number.isFinite(v))) return v;
    // JSON has no infinity: a bin edge may be written "Infinity" / "-inf" (YAML's .inf parses as a number).
    if (edges && typeof v === "string" && /^[+-]?(inf|infinity)$/i.test(v))
      return v.startsWith("-") ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
    throw new ExpectationError(
      `${path}[${i}] must be a ${edges ? "number" : "finite number"}, got ${showValue(v)}`,
    );
  });
}

function nonNegative(weights: readonly number[], path: string): void {
  const i = weights.findIndex((w) => w < 0);
  if (i >= 0) throw new ExpectationError(`${path}[${i}] is negative (${weights[i]})`);
}

/**
 * Reads and validates a partition object as GE does (`is_valid_partition_object`): a categorical
 * one has as many `values` as `weights`, summing to 1; a continuous one has one more strictly
 * increasing bin edge than weights, and its weights plus its two `tail_weights` sum to 1. Throws
 * ExpectationError saying what is wrong.
 *
 * @example
 * parsePartition({ values: ["a", "b"], weights: [0.6, 0.4] }).kind // "categorical"
 */
export function parsePartition(raw: unknown): Partition {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw))
    throw new ExpectationError(`partition_object must be an object, got ${showValue(raw)}`);
  const p = raw as Record<string, unknown>;
  if (p.weights === undefined || (p.values === undefined && p.bins === undefined))
    throw new ExpectationError(
      "invalid partition_object: it needs weights and either values (categorical) or bins (continuous)",
    );
  const weights = numberList(p.weights, "partition_object.weights");
  nonNegative(weights, "partition_object.weights");
  if (p.values !== undefined) {
    if (!Array.isArray(p.values)) throw new ExpectationError("partition_object.values must be a list");
    if (p.values.length !== weights.length)
      throw new ExpectationError(
        `invalid partition_object: ${p.values.length} values but ${weights.length} weights`,
      );
    if (new Set(p.values.map(valueKey)).size !== p.values.length)
      throw new ExpectationError("invalid partition_object: values repeat");
    if (!sumsToOne(weights))
      throw new ExpectationError(`invalid partition_object: weights sum to ${numpySum(weights)}, not 1`);
    return { kind: "categorical", values: p.values, weights };
  }
  const bins = numberList(p.bins, "partition_object.bins", true);
  if (bins.length !== weights.length + 1)
    throw new ExpectationError(
      `invalid partition_object: ${bins.length} bin edges for ${weights.length} weights (need one more edge than weights)`,
    );
  for (let i = 1; i < bins.length; i++)
    if (!(bins[i] > bins[i - 1]))
      throw new ExpectationError(
        `invalid partition_object: bins must increase strictly (${bins[i - 1]}, ${bins[i]})`,
      );
  let tailWeights: [number, number] | null = null;
  if (p.tail_weights !== undefined) {
    const tails = numberList(p.tail_weights, "partition_object.tail_weights");
    if (tails.length !== 2)
      throw new ExpectationError(
        `invalid partition_object: tail_weights must have 2 entries, got ${tails.length}`,
      );
    nonNegative(tails, "partition_object.tail_weights");
    tailWeights = [tails[0], tails[1]];
  }
  const all = tailWeights === null ? weights : [...tailWeights, ...weights];
  if (!sumsToOne(all))
    throw new ExpectationError(
      `invalid partition_object: weights${tailWeights === null ? "" : " and tail_weights"} sum to ${numpySum(all)}, not 1`,
    );
  return { kind: "continuous", bins, weights, tailWeights };
}

/** The holdout options of the KL expectation. */
export interface Holdouts {
  readonly tail: number;
  readonly internal: number;
}

/**
 * GE's checks of a partition against the holdouts and `bucketize_data`: tail weights exclude a
 * tail holdout, a categorical partition takes no internal holdout, a continuous one needs
 * bucketized data, and an infinite end leaves no room for tail weights (both ends: nor for a tail
 * holdout).
 */
export function checkHoldouts(partition: Partition, holdouts: Holdouts, bucketize: boolean): void {
  if (partition.kind === "categorical") {
    if (holdouts.internal > 0)
      throw new ExpectationError("internal_weight_holdout cannot be used with a categorical partition");
    return;
  }
  if (holdouts.tail !== 0 && partition.tailWeights !== null)
    throw new ExpectationError("tail_weight_holdout must be 0 when the partition has tail_weights");
  if (!bucketize) throw new ExpectationError("a continuous partition (bins) needs bucketize_data: true");
  const lowerInf = partition.bins[0] === Number.NEGATIVE_INFINITY;
  const upperInf = partition.bins[partition.bins.length - 1] === Number.POSITIVE_INFINITY;
  if (lowerInf && upperInf && holdouts.tail > 0)
    throw new ExpectationError(
      "tail_weight_holdout cannot be used with a partition whose both ends are infinite",
    );
  if ((lowerInf || upperInf) && partition.tailWeights !== null)
    throw new ExpectationError("a partition with an infinite end cannot have tail_weights");
}

/** Number of elements of the ascending `sorted` below `x` (numpy's `searchsorted(side="left")`). */
function lowerBound(sorted: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Counts of an ascending sample in the bins `[e0, e1), [e1, e2), …, [e_k-1, e_k]` (the last one
 * closed), as `np.histogram(sample, edges)`; values outside [e0, e_k] are not counted.
 *
 * @example
 * histogram(Float64Array.of(0, 1, 1, 2, 3), [0, 1, 2]) // [1, 3]
 */
export function histogram(sorted: ArrayLike<number>, edges: readonly number[]): number[] {
  const k = edges.length - 1;
  const counts: number[] = [];
  for (let i = 0; i < k; i++) {
    const right = i === k - 1 ? upperBound(sorted, edges[k]) : lowerBound(sorted, edges[i + 1]);
    counts.push(right - lowerBound(sorted, edges[i]));
  }
  return counts;
}

/** The smallest normal double (C's DBL_MIN). */
const DBL_MIN = 2.2250738585072014e-308;

/**
 * scipy.special.rel_entr(x, y): x·ln(x/y) for x, y > 0 (log1p where x/y is near 1, as scipy's xsf
 * implementation), 0 for x = 0 and y ≥ 0, +Infinity otherwise, NaN for NaN.
 */
function relEntr(x: number, y: number): number {
  if (Number.isNaN(x) || Number.isNaN(y)) return Number.NaN;
  if (x > 0 && y > 0) {
    const ratio = x / y;
    if (ratio > 0.5 && ratio < 2) return x * Math.log1p((x - y) / y);
    if (ratio > DBL_MIN && ratio < Number.POSITIVE_INFINITY) return x * Math.log(ratio);
    return x * (Math.log(x) - Math.log(y));
  }
  return x === 0 && y >= 0 ? 0 : Number.POSITIVE_INFINITY;
}

/**
 * Relative entropy D(p ‖ q) in nats, exactly `scipy.stats.entropy(pk, qk)`: both normalised to sum
 * to 1 first, then Σ rel_entr(p_i, q_i) in numpy's summation order. +Infinity where q has a zero
 * that p has not; NaN when p is all zeros.
 *
 * @example
 * entropy([0.5, 0.25, 0.25], [0.54, 0.36, 0.1]) // 0.09943138400349738
 */
export function entropy(pk: readonly number[], qk: readonly number[]): number {
  const sp = numpySum(pk);
  const sq = numpySum(qk);
  return numpySum(pk.map((p, i) => relEntr((1.0 * p) / sp, qk[i] / sq)));
}

/** What the KL expectation reports: the divergence and both partitions as compared. */
export interface KlOutcome {
  readonly kl: number;
  readonly observed_partition: Readonly<Record<string, unknown>>;
  readonly expected_partition: Readonly<Record<string, unknown>>;
}

/** NaN (the shares of an empty column) as null, for JSON. */
const json = (xs: readonly number[]) => xs.map((x) => (Number.isNaN(x) ? null : x));

/**
 * KL divergence of a column's values from a categorical partition, as GE: observed shares over
 * the present values; observed values the partition lacks share `tail` of the expected weight
 * equally (the partition's own weights scaled by 1 − tail), and with no holdout make the
 * divergence infinite. Partitions list the partition's values, then the new ones in value order.
 */
export function categoricalKl(
  values: readonly unknown[],
  partition: CategoricalPartition,
  tail: number,
): KlOutcome {
  const counts = valueCounts(values);
  const n = counts.reduce((s, c) => s + c.count, 0);
  const observed = new Map(counts.map((c) => [valueKey(c.value), c.count / n]));
  const expectedKeys = new Set(partition.values.map(valueKey));
  const extra = counts.filter((c) => !expectedKeys.has(valueKey(c.value))).map((c) => c.value);
  const index = [...partition.values, ...extra];
  const pk = index.map((v) => observed.get(valueKey(v)) ?? 0);
  const qk =
    extra.length === 0
      ? [...partition.weights]
      : [...partition.weights.map((w) => w * (1 - tail)), ...extra.map(() => tail / extra.length)];
  return {
    kl: entropy(pk, qk),
    observed_partition: { values: index, weights: json(pk) },
    expected_partition: { values: index, weights: json(qk) },
  };
}

/**
 * KL divergence of numeric values (ascending) from a continuous partition, as GE: numpy's
 * histogram over the bins plus the shares below and above them, against the partition's weights
 * scaled by 1 − tail − internal, with `internal` spread over its empty bins and the tail weights
 * (given, or `tail` split over the finite ends) outside; an infinite end makes the outer bin the
 * tail. The reported partitions have finite bins and separate `tail_weights`.
 */
export function continuousKl(
  sorted: Float64Array,
  partition: ContinuousPartition,
  holdouts: Holdouts,
): KlOutcome {
  const { bins, tailWeights } = partition;
  const { tail, internal } = holdouts;
  const n = sorted.length;
  const observed = histogram(sorted, bins).map((c) => c / n);
  const below = lowerBound(sorted, bins[0]) / n;
  const above = (n - upperBound(sorted, bins[bins.length - 1])) / n;
  const expected = partition.weights.map((w) => w * (1 - tail - internal));
  const zeros = expected.filter((w) => w === 0).length;
  if (internal > 0 && zeros > 0)
    for (let i = 0; i < expected.length; i++) if (expected[i] === 0) expected[i] = internal / zeros;
  const last = expected.length - 1;
  const lowerInf = bins[0] === Number.NEGATIVE_INFINITY;
  const upperInf = bins[bins.length - 1] === Number.POSITIVE_INFINITY;
  let shown: { bins: number[]; obs: number[]; exp: number[]; obsTail: number[]; expTail: number[] };
  let combObserved: number[];
  let combExpected: number[];
  if (lowerInf && upperInf) {
    combObserved = observed;
    combExpected = expected;
    shown = {
      bins: bins.slice(1, -1),
      obs: observed.slice(1, -1),
      exp: expected.slice(1, -1),
      obsTail: [observed[0], observed[last]],
      expTail: [expected[0], expected[last]],
    };
  } else if (lowerInf) {
    combObserved = [...observed, above];
    combExpected = [...expected, tail];
    shown = {
      bins: bins.slice(1),
      obs: observed.slice(1),
      exp: expected.slice(1),
      obsTail: [observed[0], above],
      expTail: [expected[0], tail],
    };
  } else if (upperInf) {
    combObserved = [below, ...observed];
    combExpected = [tail, ...expected];
    shown = {
      bins: bins.slice(0, -1),
      obs: observed.slice(0, -1),
      exp: expected.slice(0, -1),
      obsTail: [below, observed[last]],
      expTail: [tail, expected[last]],
    };
  } else {
    const expTail = tailWeights === null ? [tail / 2, tail / 2] : [...tailWeights];
    combObserved = [below, ...observed, above];
    combExpected = [expTail[0], ...expected, expTail[1]];
    shown = { bins: [...bins], obs: observed, exp: expected, obsTail: [below, above], expTail };
  }
  return {
    kl: entropy(combObserved, combExpected),
    observed_partition: { bins: shown.bins, weights: json(shown.obs), tail_weights: json(shown.obsTail) },
    expected_partition: { bins: shown.bins, weights: json(shown.exp), tail_weights: json(shown.expTail) },
  };
}

/** `np.linspace(start, stop, num)`: i·step + start, the last point exactly `stop`. */
function linspace(start: number, stop: number, num: number): number[] {
  const div = num - 1;
  const delta = stop - start;
  const step = delta / div;
  const out = Array.from({ length: num }, (_, i) =>
    step === 0 ? (i / div) * delta + start : i * step + start,
  );
  if (num > 1) out[num - 1] = stop;
  return out;
}

/**
 * GE's "auto" partition of numeric values (ascending), used when no partition is given: numpy's
 * `auto` bin count (the larger of Sturges' and Freedman–Diaconis', Sturges' alone when the IQR is
 * ~0) from nearest-rank quartiles, equal-width bins from the minimum to the maximum, the observed
 * shares as weights and what they miss of 1 split over the two tails.
 */
export function autoPartition(sorted: Float64Array): Partition {
  const n = sorted.length;
  if (n === 0) throw new ExpectationError("cannot build a partition from a column without values");
  const sturges = Math.log2(1.0 * n + 1.0);
  const [min, q25, q75, max] = [0, 0.25, 0.75, 1].map((q) => pandasQuantile(sorted, q, "nearest"));
  const iqr = q75 - q25;
  const nBins =
    iqr < 1e-10
      ? Math.ceil(sturges)
      : Math.max(Math.ceil(sturges), Math.ceil((max - min) / ((2 * iqr) / n ** (1.0 / 3.0))));
  const bins = linspace(min, max, nBins + 1);
  const weights = histogram(sorted, bins).map((c) => c / n);
  let total = 0; // Python's sequential sum(), as GE
  for (const w of weights) total += w;
  const t = (1 - total) / 2;
  return parsePartition({ bins, weights, tail_weights: [t, t] });
}

/** GE's categorical partition of a column's values (when no partition is given and data are not bucketized). */
export function categoricalPartitionOf(values: readonly unknown[]): Partition {
  const counts = valueCounts(values);
  const n = counts.reduce((s, c) => s + c.count, 0);
  if (n === 0) throw new ExpectationError("cannot build a partition from a column without values");
  return parsePartition({ values: counts.map((c) => c.value), weights: counts.map((c) => c.count / n) });
}

/** Present numeric values, ascending (a continuous partition needs numbers). */
export function sortedNumbers(values: readonly unknown[]): Float64Array {
  const out: number[] = [];
  for (const v of values) {
    if (isMissing(v)) continue;
    if (typeof v === "number") out.push(v);
    else if (typeof v === "boolean") out.push(v ? 1 : 0);
    else
      throw new ExpectationError(
        `a continuous partition needs numeric values; the column holds ${showValue(v)}`,
      );
  }
  return Float64Array.from(out).sort();
}
