import {
  expectArray,
  expectCount,
  expectFiniteArray,
  expectObject,
  expectOneOf,
  pointerSegment,
} from "../shape.js";
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
  | SampleState;

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
  | Exclude<FeatureKind, "sample">
  | { readonly kind: "tally"; readonly limit: number }
  | { readonly kind: "sample"; readonly dim: number; readonly size: number; readonly seed: number };

/** An empty state for a feature kind. */
export function emptyFeatureState(spec: FeatureSpec): FeatureState {
  if (typeof spec === "object")
    return spec.kind === "tally" ? emptyTally(spec.limit) : emptySample(spec.dim, spec.size, spec.seed);
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
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
    const key = String(value);
    state.counts[key] = (state.counts[key] ?? 0) + 1;
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
  if (state.kind !== "categorical") return state;
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
    ["numeric", "categorical", "raw", "tally", "sample"] as const,
    `${path}/kind`,
  );
  if (kind === "sample") {
    checkSample(state, path);
    return;
  }
  expectCount(state.missing, `${path}/missing`);
  expectCount(state.invalid, `${path}/invalid`);
  if (kind === "numeric") expectFiniteArray(state.values, `${path}/values`);
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
  let n = 0;
  for (const count of Object.values(state.counts)) n += count;
  return n;
}

/** The statistics' view of a state: sorted values or category counts. */
export function toSample(state: FeatureState): ColumnSample {
  if (state.kind === "raw" || state.kind === "tally" || state.kind === "sample")
    throw new TypeError(`a ${state.kind} state has no statistical sample`);
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
