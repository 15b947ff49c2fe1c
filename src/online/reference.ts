import { showValue, UserError } from "../errors.js";
import { readRawRows } from "../io/rows.js";
import { type RowShape, readReferenceSample, shapeOf } from "../multivariate/reference.js";
import type { SampleState } from "../windows/sample.js";
import type { OnlineMonitorConfig } from "./config.js";
import { DEFAULT_MMD_SAMPLE, type OnlineDetectorName, type OnlineSubject, valueFor } from "./monitor.js";

/** The names a monitor reads: its `feature`, or its `features`. */
export function featuresOf(config: OnlineMonitorConfig): string[] {
  if (Array.isArray(config.features)) return [...config.features];
  return typeof config.feature === "string" ? [config.feature] : [];
}

/**
 * The detector a monitor runs: the configured one, else mmd for a vector or a set, cvm for a
 * numeric feature and fet otherwise.
 */
export function detectorOf(config: OnlineMonitorConfig, type: string | undefined): OnlineDetectorName {
  if (config.detector !== undefined) return config.detector;
  if (config.features !== undefined || type === "vector") return "mmd";
  return type === "numeric" ? "cvm" : "fet";
}

/** What a monitor tests, from its (checked) config and the config's features. */
export function subjectOf(
  config: OnlineMonitorConfig,
  all: Readonly<Record<string, { readonly type: string; readonly dimension?: number }>>,
): OnlineSubject {
  const names = featuresOf(config);
  const detector = detectorOf(config, all[names[0]]?.type);
  return { detector, name: names.join("+"), shape: detector === "mmd" ? shapeOf(names, all) : null };
}

/**
 * Reads a reference file's column of the feature as the detector's values (numbers, or 0 and 1),
 * leaving out missing values; a value the detector cannot take names the file and the row.
 */
export async function readReferenceValues(
  path: string,
  config: OnlineMonitorConfig,
  detector: "cvm" | "fet",
): Promise<number[]> {
  const feature = config.feature as string;
  const rows = await readRawRows(path, [feature]);
  const values: number[] = [];
  for (const [r, [cell]] of rows.entries()) {
    // CSV holds text: a number's text is a number to cvm and to a numeric `positive`.
    const raw =
      typeof cell === "string" && detector === "cvm" && cell.trim() !== "" && Number.isFinite(Number(cell))
        ? Number(cell)
        : cell;
    const value = valueFor(detector, config.positive, raw);
    if (value === null) continue;
    if (value === undefined)
      throw new UserError(
        `${path}: row ${r + 1}, column ${showValue(feature)}: ${detector === "cvm" ? "not a number" : "neither 0/1 nor true/false; set `positive`"} (got ${showValue(cell)})`,
      );
    values.push(value);
  }
  if (values.length < 2)
    throw new UserError(
      `${path}: the reference has ${values.length} value(s) of ${showValue(feature)}; the detector needs at least 2`,
    );
  return values;
}

/**
 * Reads a monitor's reference file into what its detector takes: the values of its feature (cvm,
 * fet), or a bounded sample of its rows (mmd). Errors name the file, the row and the column.
 */
export async function readOnlineReference(
  path: string,
  config: OnlineMonitorConfig,
  subject: OnlineSubject,
): Promise<number[] | SampleState> {
  if (subject.detector !== "mmd") return readReferenceValues(path, config, subject.detector);
  return readReferenceSample(
    path,
    subject.shape as RowShape,
    config.sample ?? DEFAULT_MMD_SAMPLE,
    config.seed ?? 0,
  );
}
