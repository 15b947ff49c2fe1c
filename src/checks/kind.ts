import { alertsSchemaOf } from "../alerts/schema.js";
import type { Metrics } from "../metrics/metrics.js";
import { adaptMonitor } from "../monitors/adapt.js";
import type { MonitorInput, MonitorKind } from "../monitors/types.js";
import { checksConfigSchema } from "./config.js";
import {
  ChecksMonitor,
  type ChecksMonitorState,
  type ChecksResult,
  checkChecksMonitorState,
} from "./monitor.js";
import { checksProblems } from "./problems.js";
import { readReferenceFields } from "./reference.js";
import { checksAlertRules, expectationFeature } from "./rules.js";
import { loadSuite } from "./suite.js";
import { formatChecksVerdict } from "./verdict.js";

/** A checks monitor's config entry (as the monitor takes it; `config/` composes the schema). */
type ChecksConfig = ConstructorParameters<typeof ChecksMonitor>[1];
/** Its window: its own, or a drift monitor's by `same_as`. */
type Window = ConstructorParameters<typeof ChecksMonitor>[3];

/**
 * An expectation suite (Great Expectations' format) over a source's events and windows; its
 * `dead_letter` expectations screen events before any monitor counts them.
 */
export const checksKind: MonitorKind<ChecksConfig, ChecksMonitorState, ChecksResult> = {
  type: "checks",
  schema: checksConfigSchema(alertsSchemaOf(checksAlertRules)),
  example: {
    type: "checks",
    source: "events",
    suite: "checks/weather.yaml",
    window: { type: "tumbling", events: 10 },
    id: "/date",
  },
  exampleFeatures: {
    temp_max: { source: "events", path: "/temp_max", type: "numeric" },
    weather: { source: "events", path: "/weather", type: "categorical" },
  },

  sources: (config) => [config.source],

  problems: checksProblems,

  async create(context, name, config, restore) {
    const suite = loadSuite(context.resolvePath(config.suite));
    const features = context.config.features;
    // The suite's expectations are part of the state's shape: an edited suite starts afresh.
    const state = restore({ monitor: config, features, suite: suite.expectations.map((e) => e.config) });
    const window =
      "same_as" in config.window
        ? (context.config.monitors[config.window.same_as] as { window: Window }).window
        : config.window;
    const columns: Record<string, string> = {};
    for (const [feature, f] of Object.entries(features))
      if (f.source === config.source) columns[feature] = f.path;
    const reference = config.reference
      ? await readReferenceFields(context.resolvePath(config.reference.path))
      : null;
    const monitor = new ChecksMonitor(name, config, suite, window, columns, reference, state, context.now());
    context.metrics.lateEventsTotal.inc({ monitor: name }, 0);
    for (const e of suite.expectations)
      context.metrics.expectationUnexpectedTotal.inc(
        { monitor: name, suite: suite.name, expectation: e.type, feature: e.feature },
        0,
      );
    return adaptMonitor(monitor, {
      name,
      sources: [config.source],
      add: (input: MonitorInput) =>
        monitor.add(input.event, input.now, input.eventTime, {
          position: input.position,
          id: monitor.idOf(input.event),
        }),
      screen(event: unknown) {
        const failed = monitor.rejects(event);
        if (failed.length === 0) return null;
        return {
          reason: `expectation:${failed[0]}`,
          detail: `suite ${suite.name}: failed ${failed.join(", ")}`,
        };
      },
    });
  },

  checkState: checkChecksMonitorState,

  /** Per expectation: success, unexpected count, observed value, bounds; per window: the suite. */
  publish(result: ChecksResult, m: Metrics): void {
    const monitor = result.monitor;
    const suite = result.suite;
    for (const r of result.validation.results) {
      const labels = {
        monitor,
        suite,
        expectation: r.expectation_config.type,
        feature: expectationFeature(r.expectation_config.kwargs),
      };
      const body = r.result;
      const details = (body.details ?? {}) as Record<string, unknown>;
      const warming = details.warming_up === true;
      m.expectationWarmingUp.set(labels, warming ? 1 : 0);
      if (warming) m.expectationSuccess.remove(labels);
      else m.expectationSuccess.set(labels, r.success ? 1 : 0);
      if (result.trigger === "window_close" && body.unexpected_count !== undefined)
        m.expectationUnexpectedTotal.inc(labels, body.unexpected_count);
      if (typeof body.observed_value === "number" && Number.isFinite(body.observed_value))
        m.expectationObservedValue.set(labels, body.observed_value);
      for (const bound of ["lower", "upper"] as const) {
        const value = details[bound];
        if (typeof value === "number") m.expectationBound.set({ ...labels, bound }, value);
      }
    }
    if (result.trigger === "window_close") {
      m.suiteSuccess.set({ monitor, suite }, result.validation.success ? 1 : 0);
      m.windowEvents.set({ monitor }, result.window.events);
      m.windowsTotal.inc({ monitor, trigger: result.trigger });
      m.evaluationDuration.observe({ monitor }, result.duration_secs);
    }
  },

  alertRules: checksAlertRules,
  verdict: formatChecksVerdict,
  // Clock-driven results (freshness) come every tick: their line is printed when the verdict changes.
  repeatKey: (result) => (result.trigger === "tick" ? String(result.validation.success) : undefined),
};
