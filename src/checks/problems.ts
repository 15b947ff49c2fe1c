import { existsSync } from "node:fs";
import { ConfigError, type ConfigProblem, showValue, suggest } from "../errors.js";
import { missingFile, unknownSource, windowSource } from "../monitors/problems.js";
import type { ProblemContext } from "../monitors/types.js";
import { windowProblems } from "../windows/config.js";
import type { ChecksMonitorConfig } from "./config.js";
import { loadSuite } from "./suite.js";

/** Cross-checks of a checks monitor: its source, its suite (loaded and checked), its window. */
export function checksProblems(monitor: ChecksMonitorConfig, context: ProblemContext): ConfigProblem[] {
  const { config, resolvePath, path: base } = context;
  const problems: ConfigProblem[] = [...unknownSource(config, monitor.source, `${base}/source`)];
  const file = resolvePath(monitor.suite);
  let types: Set<string> = new Set();
  if (!existsSync(file)) problems.push({ path: `${base}/suite`, message: `file not found: ${file}` });
  else {
    try {
      types = new Set(loadSuite(file).expectations.map((e) => e.type));
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      for (const p of error.problems)
        problems.push({
          path: `${base}/suite`,
          message: `${error.file}${p.line === undefined ? "" : `:${p.line}`} ${p.path || "/"}: ${p.message}`,
        });
    }
  }
  const window = monitor.window as Record<string, unknown>;
  const resolved = (
    typeof window.same_as === "string"
      ? (config.monitors[window.same_as] as { window?: unknown })?.window
      : window
  ) as Record<string, unknown> | undefined;
  if (
    types.has("expect_window_event_count_to_be_within_history") &&
    resolved !== undefined &&
    "events" in resolved
  )
    problems.push({
      path: `${base}/window`,
      message:
        "expect_window_event_count_to_be_within_history compares event counts of time windows; a window of a fixed number of events always holds that many (use duration_secs)",
    });
  if (
    types.has("expect_event_time_lag_to_be_less_than") &&
    config.sources[monitor.source]?.event_time === undefined
  )
    problems.push({
      path: `${base}/suite`,
      message: `expect_event_time_lag_to_be_less_than needs \`event_time\` on source ${showValue(monitor.source)}`,
    });
  if (typeof window.same_as === "string") {
    const other = config.monitors[window.same_as];
    if (other?.type !== "drift")
      problems.push({
        path: `${base}/window/same_as`,
        message: `${showValue(window.same_as)} is not a drift monitor${suggest(
          window.same_as,
          Object.keys(config.monitors).filter((m) => config.monitors[m].type === "drift"),
        )}`,
      });
  } else problems.push(...windowProblems(window, base, windowSource(config, monitor.source)));
  if (monitor.reference !== undefined)
    problems.push(...missingFile(resolvePath, monitor.reference.path, `${base}/reference/path`));
  return problems;
}
