import { formatNumber } from "../report/markdown.js";
import type { DriftResult } from "./monitor.js";
import { describeVerdict } from "./scope.js";
import { isReferenceThreshold } from "./thresholds.js";

function when(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString().replace(".000Z", "Z");
}

/**
 * One line per evaluated window, for people watching `driftwatch run`:
 * `[weather-drift] window 3 (91 events, 2013-04-01..2013-06-30): DRIFT 3/5 features drifted | temp_max ks 0.31 p=1.2e-05 drift | ...`
 * (with `thresholds`, each feature's own alpha or threshold: `temp_max ks 0.31 p=1.2e-05 (alpha 0.0016) drift`);
 * a segmented monitor's line ends with its segments:
 * `| segments by weather: drift confined to drizzle (1 of 5 segments) | drizzle (53 events) DRIFT 2/4 | fog (101 events) 0/4 | ...`
 */
export function formatVerdict(result: DriftResult): string {
  const { evaluation, window } = result;
  const d = evaluation.dataset;
  const span = [when(window.first_time ?? window.start), when(window.last_time ?? window.end)].filter(
    (x) => x !== null,
  );
  const range = span.length === 2 ? `, ${span[0]?.slice(0, 10)}..${span[1]?.slice(0, 10)}` : "";
  const head = `[${result.monitor}] ${result.trigger === "schedule" ? "scheduled evaluation of open window" : "window"} ${window.index} (${window.events} events${range}): ${
    d.drift ? "DRIFT" : "no drift"
  } ${d.drifted_columns}/${d.columns} features drifted`;
  const columns = evaluation.columns.map((c) => {
    // A threshold drawn from the reference differs by feature: the line gives it.
    const own = isReferenceThreshold(c.details.reference_threshold)
      ? ` (${c.p_value === null ? "threshold" : "alpha"} ${formatNumber(c.threshold)})`
      : "";
    return `${c.name} ${c.test} ${formatNumber(c.statistic)}${c.p_value === null ? "" : ` p=${formatNumber(c.p_value_adjusted ?? c.p_value)}`}${own}${c.drift ? " drift" : ""}`;
  });
  const skipped = evaluation.skipped.map((s) => `${s.name} skipped (${s.reason})`);
  const segments = result.segments;
  const cut =
    segments === undefined
      ? []
      : [
          `segments by ${segments.by}: ${describeVerdict(segments.verdict)}`,
          ...segments.results.map((s) => {
            const own = s.evaluation.dataset;
            return `${s.segment} (${s.window.events} event${s.window.events === 1 ? "" : "s"}) ${own.drift ? "DRIFT " : ""}${own.drifted_columns}/${own.columns}`;
          }),
        ];
  return [head, ...columns, ...skipped, ...cut].join(" | ");
}
