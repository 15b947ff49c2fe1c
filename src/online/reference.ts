import { showValue, UserError } from "../errors.js";
import { readRawRows } from "../io/rows.js";
import type { OnlineMonitorConfig } from "./config.js";
import { valueFor } from "./monitor.js";

/** The detector a monitor runs: the configured one, else cvm for a numeric feature and fet otherwise. */
export function detectorOf(config: OnlineMonitorConfig, type: string | undefined): "cvm" | "fet" {
  return config.detector ?? (type === "numeric" ? "cvm" : "fet");
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
  const rows = await readRawRows(path, [config.feature]);
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
        `${path}: row ${r + 1}, column ${showValue(config.feature)}: ${detector === "cvm" ? "not a number" : "neither 0/1 nor true/false; set `positive`"} (got ${showValue(cell)})`,
      );
    values.push(value);
  }
  if (values.length < 2)
    throw new UserError(
      `${path}: the reference has ${values.length} value(s) of ${showValue(config.feature)}; the detector needs at least 2`,
    );
  return values;
}
