import { readFile } from "node:fs/promises";
import { showValue, UserError } from "../errors.js";
import type { ColumnData } from "../io/columns.js";
import { readTable } from "../io/read.js";
import { type FeatureState, fromSample, reviveFeatureState } from "../windows/feature-state.js";

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
    const out: Record<string, FeatureState> = {};
    for (const name of names) {
      const column = table.columns.find((c) => c.name === name);
      if (column === undefined)
        throw new UserError(
          `${path}: reference has no column ${showValue(name)} for the feature of that name`,
        );
      if (column.kind === "skipped")
        throw new UserError(`${path}: column ${showValue(name)} cannot be a reference: ${column.reason}`);
      out[name] = fromSample(column.sample, column.missing);
    }
    return { features: out, rows: table.rows };
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
