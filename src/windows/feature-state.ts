import { showValue } from "../errors.js";
import {
  expectArray,
  expectCount,
  expectFinite,
  expectFiniteArray,
  expectFiniteOrNull,
  expectObject,
  expectOneOf,
  pointerSegment,
  StateShapeError,
} from "../shape.js";
import { type KllState, kllEmpty, kllMerge, kllUpdate } from "../stats/sketch.js";
import { sortFloat64 } from "../stats/sort.js";
import type { ColumnSample } from "../stats/types.js";
import { checkSample, emptySample, mergeSamples, type SampleState, updateSample } from "./sample.js";
import { addOutcome, emptyTally, mergeTallies, type RowOutcome, type TallyState } from "./tally.js";

/**
 * What a window (or a reference) holds for one feature: plain JSON data with `update` and
 * `merge`, so that it can be checkpointed, rolled up from panes and combined across instances.
 * Exact mode keeps the raw numeric values, which scipy-exact KS needs; `merge(a, b)` equals one
 * pass over both inputs (values concatenated, counts added).
 */
export type FeatureState =
  | { readonly kind: "numeric"; values: number[]; missing: number; invalid: number }
  | { readonly kind: "categorical"; counts: Record<string, number>; missing: number; invalid: number }
  | RawState
  | TallyState
  | SampleState
  | SketchState
  | CappedState;

/**
 * Sketch mode's numeric state: a KLL quantile sketch (`src/stats/sketch.ts`) in place of the raw
 * values, of bounded size at any window length; merging two is the sketch of the union, with the
 * error bound of the union.
 */
export interface SketchState {
  readonly kind: "sketch";
  sketch: KllState;
  missing: number;
  invalid: number;
}

/** The name of the bucket that pools the categories a capped categorical state does not keep. */
export const OTHER_CATEGORY = "__other__";

/**
 * Sketch mode's categorical state: category counts with at most `limit` categories kept. Once it
 * holds 2·limit categories it keeps the `limit` most frequent (ties by name) and pools the rest's
 * counts in `other` (shown as the category `__other__`), so memory stays bounded however many
 * distinct values the stream has. Pruning depends on arrival order, so a merge is one pass over
 * both inputs only up to which small categories were pooled.
 */
export interface CappedState {
  readonly kind: "capped";
  readonly limit: number;
  counts: Record<string, number>;
  /** Values pooled in `__other__`. */
  other: number;
  missing: number;
  invalid: number;
}

/**
 * Every value as the event carried it, `null` where it was absent, in arrival order: what
 * expectations read (a window's column, aligned row by row with the other raw columns).
 */
export interface RawState {
  readonly kind: "raw";
  values: unknown[];
  missing: number;
  invalid: number;
}

/** The kinds of state a window keeps per feature. */
export type FeatureKind = FeatureState["kind"];

/**
 * What a window keeps for a name: a kind, a tally with how many unexpected values it keeps, or a
 * bounded sample of rows (a vector feature, or a set of numeric features taken together).
 */
export type FeatureSpec =
  | Exclude<FeatureKind, "sample" | "sketch" | "capped">
  | { readonly kind: "tally"; readonly limit: number }
  | { readonly kind: "sketch"; readonly k: number; readonly seed: number }
  | { readonly kind: "capped"; readonly limit: number }
  | { readonly kind: "sample"; readonly dim: number; readonly size: number; readonly seed: number };

/** An empty state for a feature kind. */
export function emptyFeatureState(spec: FeatureSpec): FeatureState {
  if (typeof spec === "object") {
    if (spec.kind === "sketch")
      return { kind: "sketch", sketch: kllEmpty(spec.k, spec.seed), missing: 0, invalid: 0 };
    if (spec.kind === "capped")
      return {
        kind: "capped",
        limit: spec.limit,
        counts: Object.create(null) as Record<string, number>,
        other: 0,
        missing: 0,
        invalid: 0,
      };
    return spec.kind === "tally" ? emptyTally(spec.limit) : emptySample(spec.dim, spec.size, spec.seed);
  }
  const kind = spec;
  if (kind === "raw") return { kind, values: [], missing: 0, invalid: 0 };
  if (kind === "tally") return emptyTally(Number.POSITIVE_INFINITY);
  return kind === "numeric"
    ? { kind, values: [], missing: 0, invalid: 0 }
    : { kind, counts: Object.create(null) as Record<string, number>, missing: 0, invalid: 0 };
}

/**
 * Adds one extracted value. `undefined` and `null` are missing; a numeric feature counts a
 * non-number (or a non-finite number) as invalid rather than guessing; a categorical feature takes
 * strings, numbers and booleans by their text, and counts objects and arrays as invalid.
 */
export function updateFeatureState(state: FeatureState, value: unknown): void {
  if (state.kind === "tally") {
    addOutcome(state, value as RowOutcome, null);
    return;
  }
  if (state.kind === "sample") {
    updateSample(state, value);
    return;
  }
  if (value === undefined || value === null) {
    state.missing++;
    if (state.kind === "raw") state.values.push(null);
    return;
  }
  if (state.kind === "raw") {
    state.values.push(value);
    return;
  }
  if (state.kind === "numeric") {
    if (typeof value === "number" && Number.isFinite(value)) state.values.push(value);
    else state.invalid++;
    return;
  }
  if (state.kind === "sketch") {
    if (typeof value === "number" && Number.isFinite(value)) kllUpdate(state.sketch, value);
    else state.invalid++;
    return;
  }
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
    const key = String(value);
    const before = state.counts[key];
    state.counts[key] = (before ?? 0) + 1;
    if (before === undefined && state.kind === "capped") pruneCapped(state, 2 * state.limit);
  } else {
    state.invalid++;
  }
}

/**
 * Makes a state read back from JSON (a checkpoint, a profile) safe to update again: category counts
 * live in a prototype-less object, so that a category named "__proto__" or "constructor" is an
 * ordinary key, and JSON.parse gives back plain objects.
 */
export function reviveFeatureState(state: FeatureState): FeatureState {
  if (state.kind !== "categorical" && state.kind !== "capped") return state;
  return { ...state, counts: Object.assign(Object.create(null) as Record<string, number>, state.counts) };
}

/**
 * Checks a feature state read back from a checkpoint before it is used: its kind, its counts, and
 * for a numeric state values that are all finite (`updateFeatureState` keeps nothing else; a NaN
 * would stall the merges of the distance computations). Throws a `StateShapeError` naming the path.
 */
export function checkFeatureState(value: unknown, path: string): void {
  const state = expectObject(value, path);
  const kind = expectOneOf(
    state.kind,
    ["numeric", "categorical", "raw", "tally", "sample", "sketch", "capped"] as const,
    `${path}/kind`,
  );
  if (kind === "sample") {
    checkSample(state, path);
    return;
  }
  expectCount(state.missing, `${path}/missing`);
  expectCount(state.invalid, `${path}/invalid`);
  if (kind === "sketch") checkSketch(state.sketch, `${path}/sketch`);
  else if (kind === "capped") {
    const limit = expectCount(state.limit, `${path}/limit`);
    if (limit < 1) refuse(`${path}/limit`, `must be ≥ 1 (got ${showValue(limit)})`);
    expectCount(state.other, `${path}/other`);
    const counts = expectObject(state.counts, `${path}/counts`);
    const keys = Object.keys(counts);
    if (keys.length > 2 * limit)
      refuse(`${path}/counts`, `holds ${keys.length} categories, more than 2 × limit ${limit}`);
    for (const key of keys) expectCount(counts[key], `${path}/counts/${pointerSegment(key)}`);
  } else if (kind === "numeric") expectFiniteArray(state.values, `${path}/values`);
  else if (kind === "raw") expectArray(state.values, `${path}/values`);
  else if (kind === "categorical") {
    const counts = expectObject(state.counts, `${path}/counts`);
    for (const [key, n] of Object.entries(counts)) expectCount(n, `${path}/counts/${pointerSegment(key)}`);
  } else {
    for (const key of ["element", "unexpected"]) expectCount(state[key], `${path}/${key}`);
    expectArray(state.values, `${path}/values`);
    expectArray(state.index, `${path}/index`);
    // An unbounded tally's limit is Infinity, which JSON writes as null.
    if (state.limit !== null) expectCount(state.limit, `${path}/limit`);
  }
}

/** The state of both inputs in one: equal to one pass over a's events then b's. */
export function mergeFeatureStates(a: FeatureState, b: FeatureState): FeatureState {
  if (a.kind === "numeric" && b.kind === "numeric") {
    return {
      kind: "numeric",
      values: a.values.concat(b.values),
      missing: a.missing + b.missing,
      invalid: a.invalid + b.invalid,
    };
  }
  if (a.kind === "tally" && b.kind === "tally") return mergeTallies(a, b);
  if (a.kind === "sketch" && b.kind === "sketch")
    return {
      kind: "sketch",
      sketch: kllMerge(a.sketch, b.sketch),
      missing: a.missing + b.missing,
      invalid: a.invalid + b.invalid,
    };
  if (a.kind === "capped" && b.kind === "capped") {
    const counts = Object.assign(Object.create(null) as Record<string, number>, a.counts);
    for (const [key, n] of Object.entries(b.counts)) counts[key] = (counts[key] ?? 0) + n;
    const merged: CappedState = {
      kind: "capped",
      limit: a.limit,
      counts,
      other: a.other + b.other,
      missing: a.missing + b.missing,
      invalid: a.invalid + b.invalid,
    };
    pruneCapped(merged, 2 * merged.limit);
    return merged;
  }
  if (a.kind === "sample" && b.kind === "sample") return mergeSamples(a, b);
  if (a.kind === "raw" && b.kind === "raw") {
    return {
      kind: "raw",
      values: a.values.concat(b.values),
      missing: a.missing + b.missing,
      invalid: a.invalid + b.invalid,
    };
  }
  if (a.kind === "categorical" && b.kind === "categorical") {
    const counts = Object.assign(Object.create(null) as Record<string, number>, a.counts);
    for (const [key, n] of Object.entries(b.counts)) counts[key] = (counts[key] ?? 0) + n;
    return { kind: "categorical", counts, missing: a.missing + b.missing, invalid: a.invalid + b.invalid };
  }
  throw new TypeError(`cannot merge a ${a.kind} state with a ${b.kind} state`);
}

/** Number of values (not missing, not invalid) in a state. */
export function featureCount(state: FeatureState): number {
  if (state.kind === "numeric") return state.values.length;
  if (state.kind === "raw") return state.values.length - state.missing;
  if (state.kind === "tally") return state.element - state.missing;
  if (state.kind === "sample") return state.seen;
  if (state.kind === "sketch") return state.sketch.n;
  let n = state.kind === "capped" ? state.other : 0;
  for (const count of Object.values(state.counts)) n += count;
  return n;
}

/** The statistics' view of a state: sorted values or category counts. */
export function toSample(state: FeatureState): ColumnSample {
  if (state.kind === "raw" || state.kind === "tally" || state.kind === "sample" || state.kind === "sketch")
    throw new TypeError(`a ${state.kind} state has no statistical sample`);
  if (state.kind === "capped") {
    const kept: CappedState = { ...state, counts: Object.assign(Object.create(null), state.counts) };
    pruneCapped(kept, state.limit);
    const counts = new Map(Object.entries(kept.counts));
    if (kept.other > 0) counts.set(OTHER_CATEGORY, (counts.get(OTHER_CATEGORY) ?? 0) + kept.other);
    return { kind: "categorical", counts };
  }
  if (state.kind === "numeric")
    return { kind: "numeric", sorted: sortFloat64(Float64Array.from(state.values)) };
  return { kind: "categorical", counts: new Map(Object.entries(state.counts)) };
}

/** Rebuilds a state from a sample (a reference read from a file), for profiles and checkpoints. */
export function fromSample(sample: ColumnSample, missing: number): FeatureState {
  if (sample.kind === "numeric")
    return { kind: "numeric", values: Array.from(sample.sorted), missing, invalid: 0 };
  const counts = Object.create(null) as Record<string, number>;
  for (const [key, n] of sample.counts) counts[key] = n;
  return { kind: "categorical", counts, missing, invalid: 0 };
}

/**
 * Keeps a capped state's `limit` most frequent categories (ties by name, UTF-16 order) once it
 * holds more than `above`, pooling the rest's counts in `other`. Sorting 2·limit categories once
 * every `limit` new ones keeps the amortised cost per value O(log limit).
 */
export function pruneCapped(state: CappedState, above: number): void {
  const keys = Object.keys(state.counts);
  if (keys.length <= above) return;
  const counts = state.counts;
  keys.sort((x, y) => counts[y] - counts[x] || (x < y ? -1 : x > y ? 1 : 0));
  const kept = Object.create(null) as Record<string, number>;
  for (let i = 0; i < keys.length; i++) {
    if (i < state.limit) kept[keys[i]] = counts[keys[i]];
    else state.other += counts[keys[i]];
  }
  state.counts = kept;
}

/** Values a capped state has pooled in `__other__` once pruned to its limit (0 for other kinds). */
export function pooledCount(state: FeatureState): number {
  if (state.kind !== "capped") return 0;
  const kept: CappedState = { ...state, counts: Object.assign(Object.create(null), state.counts) };
  pruneCapped(kept, state.limit);
  return kept.other;
}

/** Throws the `StateShapeError` of a value at `path`. */
function refuse(path: string, message: string): never {
  throw new StateShapeError(`${path}: ${message}`);
}

/** The largest k a sketch state may have (its capacities, hence its size, grow with k). */
const MAX_SKETCH_K = 65_536;

/**
 * Checks a KLL sketch read back from a checkpoint: integer parameters, finite items, levels that
 * hold exactly n values (Σ |level h|·2^h = n), at most the items a sketch of its k keeps, and
 * moments and range consistent with being empty or not.
 */
function checkSketch(value: unknown, path: string): void {
  const sketch = expectObject(value, path);
  const k = expectCount(sketch.k, `${path}/k`);
  if (k < 2 || k > MAX_SKETCH_K) refuse(`${path}/k`, `must be in [2, ${MAX_SKETCH_K}] (got ${showValue(k)})`);
  expectCount(sketch.seed, `${path}/seed`);
  expectCount(sketch.flips, `${path}/flips`);
  const n = expectCount(sketch.n, `${path}/n`);
  const levels = expectArray(sketch.levels, `${path}/levels`);
  if (levels.length < 1 || levels.length > 64)
    refuse(`${path}/levels`, `must hold 1 to 64 levels (got ${levels.length})`);
  let total = 0;
  let items = 0;
  for (const [h, level] of levels.entries()) {
    const values = expectFiniteArray(level, `${path}/levels/${h}`);
    total += values.length * 2 ** h;
    items += values.length;
  }
  // A sketch compacts once it holds max(3k, Σ capacities) ≤ 3k + 9 per level items.
  if (items > 4 * k + 10 * levels.length + 16)
    refuse(`${path}/levels`, `holds ${items} items, more than a sketch of k ${k} keeps`);
  if (total !== n) refuse(`${path}/levels`, `weigh ${total}, not n = ${n}`);
  const variance = expectFinite(sketch.variance, `${path}/variance`);
  if (variance < 0) refuse(`${path}/variance`, `must be ≥ 0 (got ${showValue(variance)})`);
  expectFinite(sketch.mean, `${path}/mean`);
  const m2 = expectFinite(sketch.m2, `${path}/m2`);
  if (m2 < 0) refuse(`${path}/m2`, `must be ≥ 0 (got ${showValue(m2)})`);
  for (const end of ["min", "max"]) {
    const bound = expectFiniteOrNull(sketch[end], `${path}/${end}`);
    if ((bound === null) !== (n === 0))
      refuse(`${path}/${end}`, n === 0 ? "must be null when empty" : "must be a number");
  }
}
