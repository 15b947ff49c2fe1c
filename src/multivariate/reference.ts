import { showValue, UserError } from "../errors.js";
import { parseDecimal } from "../io/columns.js";
import { type RawValue, readRawRows } from "../io/rows.js";
import { emptySample, type SampleState, updateSample } from "../windows/sample.js";

/**
 * How a multivariate monitor makes one row of its features: a vector feature's array as it is, or
 * the numbers of a set of numeric features in the config's order.
 */
export type RowShape =
  | { readonly kind: "vector"; readonly feature: string; readonly dim: number }
  | { readonly kind: "set"; readonly features: readonly string[] };

/** How a monitor's features make a row: one vector feature, or a set of numeric ones (config checked). */
export function shapeOf(
  features: readonly string[],
  all: Readonly<Record<string, { readonly type: string; readonly dimension?: number }>>,
): RowShape {
  const first = all[features[0]];
  return first.type === "vector"
    ? { kind: "vector", feature: features[0], dim: first.dimension as number }
    : { kind: "set", features };
}

/** Numbers per row of a shape. */
export function dimOf(shape: RowShape): number {
  return shape.kind === "vector" ? shape.dim : shape.features.length;
}

/** Names of a shape's columns, for results that name them: `x`, `y` or `embedding[0]` …. */
export function columnNames(shape: RowShape): string[] {
  return shape.kind === "vector"
    ? Array.from({ length: shape.dim }, (_, i) => `${shape.feature}[${i}]`)
    : [...shape.features];
}

/**
 * Assembles rows of a set of numeric features into one array, reused for every event (the sample
 * copies what it keeps): null when a feature is missing, `false` (invalid) when one is not a finite
 * number, so that the sample counts the row as missing or invalid as a whole.
 */
export function rowAssembler(shape: RowShape): (values: Readonly<Record<string, unknown>>) => unknown {
  if (shape.kind === "vector") return (values) => values[shape.feature];
  const features = shape.features;
  const row = new Array<number>(features.length).fill(0);
  return (values) => {
    for (let k = 0; k < features.length; k++) {
      const value = values[features[k]];
      if (value === undefined || value === null) return null;
      if (typeof value !== "number" || !Number.isFinite(value)) return false;
      row[k] = value;
    }
    return row;
  };
}

/** A vector cell of a file: a JSON array's text (CSV, or a nested JSON or Parquet value). */
function vectorOf(cell: RawValue, where: () => string): unknown {
  if (cell === null) return null;
  if (typeof cell !== "string") return cell;
  try {
    return JSON.parse(cell);
  } catch {
    throw new UserError(`${where()}: not a JSON array of numbers (got ${showValue(cell)})`);
  }
}

/**
 * Reads a reference file into a sample of `size` rows (the same sample the stream's rows would
 * make), with its missing and invalid rows counted. A vector column holds JSON arrays (as text in
 * CSV); a set's columns hold numbers. Errors name the file, the row and the column.
 */
export async function readReferenceSample(
  path: string,
  shape: RowShape,
  size: number,
  seed: number,
): Promise<SampleState> {
  const columns = shape.kind === "vector" ? [shape.feature] : shape.features;
  const rows = await readRawRows(path, columns);
  const dim = dimOf(shape);
  const sample = emptySample(dim, size, seed);
  const assemble = rowAssembler(shape);
  const values: Record<string, unknown> = {};
  for (const [r, row] of rows.entries()) {
    if (shape.kind === "vector") {
      const value = vectorOf(row[0], () => `${path}: row ${r + 1}, column ${showValue(shape.feature)}`);
      updateSample(sample, value);
      continue;
    }
    for (const [k, column] of columns.entries()) {
      const cell = row[k];
      values[column] = typeof cell === "string" ? parseDecimal(cell) : cell;
    }
    updateSample(sample, assemble(values));
  }
  if (sample.seen < 2)
    throw new UserError(
      `${path}: the reference has ${sample.seen} complete row(s) of ${columns.map((c) => showValue(c)).join(", ")}; a multivariate test needs at least 2`,
    );
  return sample;
}
