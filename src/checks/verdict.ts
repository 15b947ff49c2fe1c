import { formatNumber } from "../report/markdown.js";
import type { ChecksResult } from "./monitor.js";
import { expectationFeature } from "./rules.js";

/**
 * One line per evaluated window of a suite, failures named:
 * `[weather-checks] window 3 (91 events): suite weather FAILED, 9/10 expectations | expect_column_values_to_be_between temp_max: 2 unexpected (2.2%)`
 */
export function formatChecksVerdict(result: ChecksResult): string {
  const v = result.validation;
  const head =
    result.trigger === "tick"
      ? `[${result.monitor}] clock`
      : `[${result.monitor}] window ${result.window.index} (${result.window.events} events)`;
  const failures = v.results
    .filter((r) => !r.success)
    .map((r) => {
      const feature = expectationFeature(r.expectation_config.kwargs);
      const body = r.result;
      const what = r.exception_info.raised_exception
        ? `error: ${r.exception_info.exception_message}`
        : body.unexpected_count !== undefined
          ? `${body.unexpected_count} unexpected (${formatNumber(body.unexpected_percent ?? 0)}%)`
          : `observed ${JSON.stringify(body.observed_value ?? null)?.slice(0, 80)}`;
      const severity = r.expectation_config.severity === "warn" ? " [warn]" : "";
      return `${r.expectation_config.type}${feature ? ` ${feature}` : ""}${severity}: ${what}`;
    });
  const s = v.statistics;
  return [
    `${head}: suite ${v.suite_name} ${v.success ? "passed" : "FAILED"}, ${s.successful_expectations}/${s.evaluated_expectations} expectations`,
    ...failures,
  ].join(" | ");
}
