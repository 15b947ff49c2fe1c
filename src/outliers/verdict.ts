import { formatNumber } from "../report/markdown.js";
import type { OutlierResult } from "./monitor.js";

/**
 * One line per closed outlier window:
 * `[weather-outliers] window 3 (91 events): robust_z 2 outliers (2.2%) | isolation_forest 1 (1.1%) | most extreme: 2014-07-01 (robust_z 5.2)`;
 * a segmented monitor's line ends with each segment's outliers per scorer:
 * `| segments by weather: rain (40 events) robust_z 1, isolation_forest 0; sun (51 events) robust_z 0, isolation_forest 2`
 */
export function formatOutlierVerdict(result: OutlierResult): string {
  const head = `[${result.monitor}] window ${result.window.index} (${result.window.events} events)`;
  const scorers = result.scorers.map(
    (s) =>
      `${s.scorer} ${s.outliers} outlier${s.outliers === 1 ? "" : "s"} (${formatNumber(100 * s.ratio)}%, threshold ${formatNumber(s.threshold)})`,
  );
  const extreme = result.scorers
    .filter((s) => s.top.length > 0 && s.top[0].score > s.threshold)
    .map((s) => `${s.top[0].id ?? "(no id)"} (${s.scorer} ${formatNumber(s.top[0].score)})`);
  const segments = result.segments;
  const cut =
    segments === undefined
      ? []
      : [
          `segments by ${segments.by}: ${segments.results
            .map(
              (r) =>
                `${r.segment} (${r.window.events} event${r.window.events === 1 ? "" : "s"}) ${r.scorers.map((s) => `${s.scorer} ${s.outliers}`).join(", ")}`,
            )
            .join("; ")}`,
        ];
  return [
    `${head}: ${scorers.join(" | ")}`,
    ...(extreme.length ? [`most extreme: ${extreme.join(", ")}`] : []),
    ...cut,
  ].join(" | ");
}
