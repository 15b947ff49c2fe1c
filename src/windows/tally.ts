/**
 * What a row-level expectation made of one row: outside its domain (`SKIPPED`: its row condition
 * left the row out), `MISSING` (the value is null, left out as GE leaves it out), `EXPECTED`, or
 * unexpected, with the value to report (and, in the daemon, the event's id); or an error (a value
 * the expectation cannot judge). Numbers for the common outcomes, so that judging an event that
 * passes allocates nothing.
 */
export type RowOutcome =
  | typeof SKIPPED
  | typeof MISSING
  | typeof EXPECTED
  | { readonly unexpected: unknown; readonly id?: unknown }
  | { readonly error: string };

export const SKIPPED = 0;
export const MISSING = 1;
export const EXPECTED = 2;

/**
 * The outcomes of a row-level expectation over a window: counts plus the first `limit` unexpected
 * values and their index entries (row numbers in a file, event ids in the daemon). Plain JSON and
 * mergeable, `merge(a, b)` equal to one pass over a's rows then b's, so a window keeps a few
 * numbers per expectation instead of its columns, and sliding windows roll it up from panes.
 */
export interface TallyState {
  readonly kind: "tally";
  element: number;
  missing: number;
  unexpected: number;
  /** Rows whose value the expectation could not judge (each is an error). */
  invalid: number;
  values: unknown[];
  index: unknown[];
  /** The first error met, if any: the expectation then reports it instead of a verdict (GE). */
  error: string | null;
  /** How many unexpected values and index entries are kept. */
  readonly limit: number;
}

/** An empty tally keeping at most `limit` unexpected values (Infinity: all of them). */
export function emptyTally(limit: number): TallyState {
  return {
    kind: "tally",
    element: 0,
    missing: 0,
    unexpected: 0,
    invalid: 0,
    values: [],
    index: [],
    error: null,
    limit,
  };
}

/** Counts one row's outcome; `index` is where the row is (its number, or the event's id). */
export function addOutcome(tally: TallyState, outcome: RowOutcome, index: unknown): void {
  if (outcome === SKIPPED) return;
  tally.element++;
  if (outcome === EXPECTED) return;
  if (outcome === MISSING) {
    tally.missing++;
    return;
  }
  if ("error" in outcome) {
    tally.invalid++;
    tally.error ??= outcome.error;
    return;
  }
  tally.unexpected++;
  if (tally.values.length < tally.limit) {
    tally.values.push(outcome.unexpected);
    tally.index.push(outcome.id !== undefined ? outcome.id : index);
  }
}

/** The tally of both inputs in one: equal to one pass over a's rows then b's. */
export function mergeTallies(a: TallyState, b: TallyState): TallyState {
  const room = Math.max(0, a.limit - a.values.length);
  return {
    kind: "tally",
    element: a.element + b.element,
    missing: a.missing + b.missing,
    unexpected: a.unexpected + b.unexpected,
    invalid: a.invalid + b.invalid,
    values: a.values.concat(b.values.slice(0, room)),
    index: a.index.concat(b.index.slice(0, room)),
    error: a.error ?? b.error,
    limit: a.limit,
  };
}
