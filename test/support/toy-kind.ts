import { Gauge } from "prom-client";
import { commonRuleProperties, consecutiveWindowsProperty } from "../../src/alerts/rule-schema.js";
import { freshWindow } from "../../src/alerts/rules.js";
import { alertsSchemaOf } from "../../src/alerts/schema.js";
import type { AlertRuleCommon, AlertRuleKind } from "../../src/alerts/types.js";
import type { Metrics } from "../../src/metrics/metrics.js";
import { unknownSource } from "../../src/monitors/problems.js";
import type { MonitorKind } from "../../src/monitors/types.js";
import { expectCount, expectObject } from "../../src/shape.js";

// A monitor kind defined outside the source tree, through the public API only: one file, and one
// `registerMonitorKind(eventCounterKind)` where a test wants it. It counts a source's events in
// windows of N, exports a gauge, prints a verdict, and brings an alert rule type of its own.

/** The toy's config: a source to count and a window length in events. */
export interface CounterConfig {
  readonly type: "event_counter";
  readonly source: string;
  readonly events: number;
}

/** Its state: events in the open window, windows closed. */
export interface CounterState {
  readonly open: number;
  readonly closed: number;
}

/** Its result: one closed window. */
export interface CounterResult {
  readonly monitor: string;
  readonly window: number;
  readonly events: number;
}

/** Its one rule type: a window closed, for N windows in a row. */
interface WindowsClosedRule extends AlertRuleCommon {
  readonly type: "windows_closed";
  readonly consecutive_windows?: number;
}

/** A rule type defined outside the source tree, with the generic helpers only. */
const windowsClosed: AlertRuleKind<CounterResult, WindowsClosedRule> = {
  type: "windows_closed",
  alertname: "WindowsClosed",
  schema: {
    type: "object",
    additionalProperties: false,
    required: ["type"],
    properties: {
      type: { const: "windows_closed", description: "a window closed" },
      consecutive_windows: consecutiveWindowsProperty,
      ...commonRuleProperties,
    },
  },
  evaluate(rule, result, state, context) {
    if (!freshWindow(state, result.window)) return null;
    const n = (state.counters[""] ?? 0) + 1;
    state.counters = { "": n };
    if (n < (rule.consecutive_windows ?? 1)) return [];
    return [
      context.condition(
        {},
        {
          summary: `${n} windows closed in monitor "${context.monitor}"`,
          in_a_row: String(n),
          events: String(result.events),
        },
        n,
      ),
    ];
  },
};

/** Its one metric, one per set of metrics (a pipeline's registry). */
const gauges = new WeakMap<Metrics, Gauge<"monitor">>();
function gaugeOf(metrics: Metrics): Gauge<"monitor"> {
  let gauge = gauges.get(metrics);
  if (gauge === undefined) {
    gauge = new Gauge({
      name: "toy_windows_closed",
      help: "Windows an event_counter monitor closed.",
      labelNames: ["monitor"],
      registers: [metrics.registry],
    });
    gauges.set(metrics, gauge);
  }
  return gauge;
}

export const eventCounterKind: MonitorKind<CounterConfig, CounterState, CounterResult> = {
  type: "event_counter",
  schema: {
    type: "object",
    additionalProperties: false,
    required: ["type", "source", "events"],
    properties: {
      type: { const: "event_counter" },
      source: { type: "string" },
      events: { type: "integer", minimum: 1 },
      alerts: alertsSchemaOf([windowsClosed]),
    },
  },
  example: { type: "event_counter", source: "events", events: 3 },
  exampleFeatures: {},
  sources: (config) => [config.source],
  problems: (config, { config: all, path }) => unknownSource(all, config.source, `${path}/source`),
  async create(_context, name, config, restore) {
    let state = restore({ monitor: config }) ?? { open: 0, closed: 0 };
    const close = (events: number): CounterResult => {
      state = { open: 0, closed: state.closed + 1 };
      return { monitor: name, window: state.closed - 1, events };
    };
    return {
      name,
      sources: [config.source],
      add() {
        const open = state.open + 1;
        if (open < config.events) {
          state = { ...state, open };
          return [];
        }
        return [close(open)];
      },
      tick: () => [],
      flush: () => (state.open === 0 ? [] : [close(state.open)]),
      get state() {
        return state;
      },
      needsTick: false,
      lateEvents: 0,
      referenceEvents: 0,
    };
  },
  checkState(value, path) {
    const state = expectObject(value, path);
    expectCount(state.open, `${path}/open`);
    expectCount(state.closed, `${path}/closed`);
  },
  publish(result, metrics) {
    gaugeOf(metrics).set({ monitor: result.monitor }, result.window + 1);
  },
  alertRules: [windowsClosed],
  verdict: (result) => `[${result.monitor}] window ${result.window}: ${result.events} events`,
};
