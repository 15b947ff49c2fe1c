import { formatNumber } from "../report/markdown.js";
import type { OnlineResult } from "./monitor.js";
import { exceeded } from "./rules.js";

/**
 * One line per detection, recovery and summary, for people watching `driftwatch run`:
 * `[temp-online] DRIFT temp_max (cvm) at event 412, run length 412: window 40: 0.91 ≥ 0.62`
 */
export function formatOnlineVerdict(result: OnlineResult): string {
  const head = `[${result.monitor}]`;
  if (result.kind === "detection") {
    const when = result.event_time === null ? "" : ` (${new Date(result.event_time).toISOString()})`;
    return `${head} DRIFT ${result.feature} (${result.detector}) at event ${result.events}${when}, run length ${result.t}: ${exceeded(result)}`;
  }
  if (result.kind === "reference_failed")
    return `${head} ${result.feature} (${result.detector}): the first ${result.reference_events} values cannot be a reference (${result.reason}); collecting the next ones`;
  if (result.kind === "recovered")
    return `${head} ${result.feature} (${result.detector}): no drift in the ${result.t} events since the last detection`;
  if (!result.reference_complete)
    return `${head} ${result.feature} (${result.detector}): the reference is not complete (${result.reference_events} values); nothing was tested`;
  return `${head} ${result.feature} (${result.detector}): ${result.events} events tested, ${result.detections} detection(s); a stationary stream gives ${formatNumber(result.expected_false_alarms)} on average (one per ${formatNumber(result.ert)} events)${result.missing + result.invalid > 0 ? `; ${result.missing} missing, ${result.invalid} invalid` : ""}`;
}
