import { formatNumber } from "../report/markdown.js";
import type { MultivariateResult } from "./monitor.js";

/**
 * One line per evaluated window, for people watching `driftwatch run`:
 * `[embedding-drift] window 3 (500 events): DRIFT mmd 0.0213 p=0.0099 | embedding (384 dims), 500 of 500 window rows, 1000 of 2000 reference rows (sampled)`
 */
export function formatMultivariateVerdict(result: MultivariateResult): string {
  const { window } = result;
  const head = `[${result.monitor}] window ${window.index} (${window.events} events)`;
  const what = `${result.features.join(", ")} (${result.dimension} dims)`;
  if (result.statistic === null) return `${head}: skipped (${result.skipped}) | ${what}`;
  const lower = result.details.lower;
  const p =
    result.p_value !== null
      ? ` p=${formatNumber(result.p_value)}`
      : typeof lower === "number"
        ? ` thresholds ${formatNumber(lower)}..${formatNumber(result.threshold as number)}`
        : ` threshold ${formatNumber(result.threshold as number)}`;
  const rows = `${result.current_rows.sampled_rows} of ${result.current_rows.rows} window rows, ${result.reference_rows.sampled_rows} of ${result.reference_rows.rows} reference rows${result.sampled ? " (sampled)" : ""}`;
  const importance = result.details.importance;
  // The features that separate the samples say something only when they do separate them.
  const by =
    result.drift && Array.isArray(importance) && importance.length > 0
      ? ` | separated most by ${importance
          .slice(0, 3)
          .map((e) => (e as { name: string }).name)
          .join(", ")}`
      : "";
  return `${head}: ${result.drift ? "DRIFT" : "no drift"} ${result.test} ${formatNumber(result.statistic)}${p} | ${what}, ${rows}${by}`;
}
