import { readFile } from "node:fs/promises";
import { showValue, UserError } from "../errors.js";
import { type ColumnData, parseDecimal } from "../io/columns.js";
import { readTable } from "../io/read.js";
import type { Table } from "../io/table.js";
import { segmentValue } from "../monitors/segments.js";
import {
  emptyFeatureState,
  type FeatureState,
  fromSample,
  reviveFeatureState,
  updateFeatureState,
} from "../windows/feature-state.js";

/** A saved reference profile (`driftwatch profile`): exact per-column state, reusable by the daemon. */
export interface ReferenceProfile {
  readonly format: "driftwatch-profile";
  readonly version: 1;
  /** The data file it was made from, and its row count. */
  readonly source: string;
  readonly rows: number;
  readonly columns: Record<string, FeatureState>;
  /** Columns of the file left out (timestamps, nested values). */
  readonly skipped: readonly { readonly name: string; readonly reason: string }[];
}

/** Builds a profile from already-read columns. */
export function profileOf(source: string, rows: number, columns: readonly ColumnData[]): ReferenceProfile {
  const out: Record<string, FeatureState> = {};
  const skipped: { name: string; reason: string }[] = [];
  for (const column of columns) {
    if (column.kind === "skipped") skipped.push({ name: column.name, reason: column.reason });
    else out[column.name] = fromSample(column.sample, column.missing);
  }
  return { format: "driftwatch-profile", version: 1, source, rows, columns: out, skipped };
}

/** The reference state of each feature from a table read with those features' kinds. */
function featuresOf(table: Table, path: string, names: readonly string[]): Record<string, FeatureState> {
  const out: Record<string, FeatureState> = {};
  for (const name of names) {
    const column = table.columns.find((c) => c.name === name);
    if (column === undefined)
      throw new UserError(`${path}: reference has no column ${showValue(name)} for the feature of that name`);
    if (column.kind === "skipped")
      throw new UserError(`${path}: column ${showValue(name)} cannot be a reference: ${column.reason}`);
    out[name] = fromSample(column.sample, column.missing);
  }
  return out;
}

/** Reference state of the features a monitor watches. */
export interface LoadedReference {
  readonly features: Record<string, FeatureState>;
  readonly rows: number;
}

/**
 * Loads a monitor's reference from a data file (columns named like the features, read by the
 * same readers as `report`) or from a profile. Errors name the file and the column.
 */
export async function loadReference(
  type: "file" | "profile",
  path: string,
  features: Readonly<Record<string, "numeric" | "categorical">>,
): Promise<LoadedReference> {
  const names = Object.keys(features);
  if (type === "file") {
    const table = await readTable(path, {
      hint: (name) => features[name] ?? "auto",
      include: (name) => name in features,
    });
    return { features: featuresOf(table, path, names), rows: table.rows };
  }
  let profile: ReferenceProfile;
  try {
    profile = JSON.parse(await readFile(path, "utf8")) as ReferenceProfile;
  } catch (error) {
    throw new UserError(`${path}: cannot read reference profile: ${(error as Error).message}`);
  }
  if (profile?.format !== "driftwatch-profile" || profile.version !== 1) {
    throw new UserError(
      `${path}: not a driftwatch profile (write one with \`driftwatch profile --input FILE --out ${path}\`)`,
    );
  }
  const out: Record<string, FeatureState> = {};
  for (const name of names) {
    const state = profile.columns[name];
    if (state === undefined) throw new UserError(`${path}: profile has no column ${showValue(name)}`);
    if (state.kind !== features[name]) {
      throw new UserError(
        `${path}: column ${showValue(name)} is ${state.kind} in the profile but the feature is ${features[name]}`,
      );
    }
    out[name] = reviveFeatureState(state);
  }
  return { features: out, rows: profile.rows };
}

/** A reference for a segmented monitor: the whole of it, and, when it can be, its rows by segment. */
export interface SegmentedReference extends LoadedReference {
  /**
   * Feature states of the rows of each segment value (`segmentValue` of the segment column), and
   * of the rows without one under null; null when the reference cannot be cut (a profile, or a
   * file without the segment column): every segment then shares the whole reference.
   */
  readonly split: ReadonlyMap<string | null, Record<string, FeatureState>> | null;
  /** Rows per segment value (rows without one left out), when the reference is cut. */
  readonly counts: ReadonlyMap<string, number> | null;
}

/**
 * Loads a segmented monitor's reference: the whole reference as `loadReference` gives it, read in
 * the same pass as the segment column and each feature's cells in row order, which are then cut
 * by segment. A numeric cell is the number the column reader reads; a categorical one its text.
 */
export async function loadSegmentedReference(
  type: "file" | "profile",
  path: string,
  features: Readonly<Record<string, "numeric" | "categorical">>,
  by: string,
): Promise<SegmentedReference> {
  if (type === "profile")
    return { ...(await loadReference(type, path, features)), split: null, counts: null };
  const names = Object.keys(features);
  const kept = new Set([...names, by]);
  const table = await readTable(path, {
    hint: (name) => (Object.hasOwn(features, name) ? features[name] : "categorical"),
    include: (name) => Object.hasOwn(features, name),
    keep: (name) => kept.has(name),
  });
  const whole = { features: featuresOf(table, path, names), rows: table.rows };
  const segments = table.raw?.get(by);
  if (!table.names.includes(by) || segments === undefined) return { ...whole, split: null, counts: null };
  const cells = names.map((name) => table.raw?.get(name) ?? []);
  const split = new Map<string | null, Record<string, FeatureState>>();
  const counts = new Map<string, number>();
  for (let r = 0; r < table.rows; r++) {
    const key = segmentValue(segments[r]);
    if (key !== null) counts.set(key, (counts.get(key) ?? 0) + 1);
    let states = split.get(key);
    if (states === undefined) {
      states = {};
      for (const name of names) states[name] = emptyFeatureState(features[name]);
      split.set(key, states);
    }
    for (let k = 0; k < names.length; k++) {
      const cell = cells[k][r] ?? null;
      // A CSV cell is text: a numeric feature reads it as the column reader does.
      const value = features[names[k]] === "numeric" && typeof cell === "string" ? parseDecimal(cell) : cell;
      updateFeatureState(states[names[k]], value);
    }
  }
  return { ...whole, split, counts };
}
