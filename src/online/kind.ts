import { alertsSchemaOf } from "../alerts/schema.js";
import { showValue, UserError } from "../errors.js";
import type { Metrics } from "../metrics/metrics.js";
import { adaptMonitor } from "../monitors/adapt.js";
import { sourcesOfFeatures } from "../monitors/features.js";
import { missingFile, unknownFeature } from "../monitors/problems.js";
import type { MonitorInput, MonitorKind } from "../monitors/types.js";
import { type OnlineMonitorConfig, onlineConfigSchema } from "./config.js";
import {
  checkOnlineMonitorState,
  OnlineMonitor,
  type OnlineMonitorState,
  type OnlineResult,
} from "./monitor.js";
import { detectorOf, readReferenceValues } from "./reference.js";
import { onlineAlertRules } from "./rules.js";
import { formatOnlineVerdict } from "./verdict.js";

/** Exports the live statistics, threshold and run length after each batch. */
function observe(monitor: OnlineMonitor, m: Metrics): void {
  const { update, calibration } = monitor.current;
  m.onlineErt.set({ monitor: monitor.name }, monitor.config.ert);
  if (update === null || calibration === null) return;
  m.onlineRunLength.set({ monitor: monitor.name }, update.t);
  for (const [i, size] of monitor.config.window_sizes.entries()) {
    const statistic = update.statistics[i];
    // A window refilling after a detection keeps its last value (the one that fired) until it is full.
    if (statistic !== null) m.onlineStatistic.set({ monitor: monitor.name, window: String(size) }, statistic);
  }
  const threshold = update.thresholds.find((x) => x !== null);
  if (threshold !== undefined && threshold !== null)
    m.onlineThreshold.set({ monitor: monitor.name }, threshold);
}

/**
 * Online drift of one feature: every event tested against the reference by a detector whose
 * thresholds are simulated for an expected run time between false alarms (alibi-detect's
 * CVMDriftOnline and FETDriftOnline), so a stream is watched between windows, with a known rate
 * of false alarms.
 */
export const onlineKind: MonitorKind<OnlineMonitorConfig, OnlineMonitorState, OnlineResult> = {
  type: "online_drift",
  schema: onlineConfigSchema(alertsSchemaOf(onlineAlertRules)),
  example: {
    type: "online_drift",
    feature: "x",
    reference: { type: "first", events: 50 },
    ert: 50,
    window_sizes: [5, 10],
    n_bootstraps: 2000,
  },
  exampleFeatures: { x: { source: "events", path: "/x", type: "numeric" } },

  sources: (config, all) => sourcesOfFeatures(all, [config.feature]),

  problems(config, context) {
    const { config: all, path: base, resolvePath } = context;
    if (typeof config.feature !== "string") return [];
    const problems = unknownFeature(all, config.feature, `${base}/feature`);
    const type = Object.hasOwn(all.features, config.feature) ? all.features[config.feature].type : undefined;
    if (type === "vector")
      problems.push({
        path: `${base}/feature`,
        message: `feature ${showValue(config.feature)} is a vector; an online_drift monitor reads one numeric or categorical feature`,
      });
    const detector = detectorOf(config, type);
    if (type !== undefined && type !== "vector") {
      if (detector === "cvm" && type !== "numeric")
        problems.push({
          path: `${base}/detector`,
          message: `cvm tests a numeric feature; ${showValue(config.feature)} is ${type} (fet tests a proportion)`,
        });
      if (type === "categorical" && config.positive === undefined)
        problems.push({
          path: `${base}/positive`,
          message: `fet on categorical feature ${showValue(config.feature)} needs \`positive\`: the category counted as 1`,
        });
    }
    for (const key of ["alternative", "lam", "simulation", "t_max"] as const)
      if (config[key] !== undefined && detector !== "fet")
        problems.push({ path: `${base}/${key}`, message: `\`${key}\` is for the fet detector` });
    if (config.ties !== undefined && detector !== "cvm")
      problems.push({ path: `${base}/ties`, message: "`ties` is for the cvm detector" });
    const reference = config.reference as { path?: string } | undefined;
    if (reference?.path !== undefined)
      problems.push(...missingFile(resolvePath, reference.path, `${base}/reference/path`));
    if (config.reference?.type === "first" && Array.isArray(config.window_sizes))
      if (config.reference.events < 2)
        problems.push({ path: `${base}/reference/events`, message: "the reference needs at least 2 events" });
    return problems;
  },

  async create(context, name, config, restore) {
    const feature = context.config.features[config.feature];
    const detector = detectorOf(config, feature.type);
    const state = restore({ monitor: config, feature });
    const ref = config.reference;
    const reference =
      ref.type === "file" ? await readReferenceValues(context.resolvePath(ref.path), config, detector) : null;
    let monitor: OnlineMonitor;
    try {
      monitor = new OnlineMonitor(name, config, detector, reference, state);
    } catch (error) {
      if (error instanceof RangeError) throw new UserError(`monitor ${showValue(name)}: ${error.message}`);
      throw error;
    }
    context.metrics.referenceEvents.set({ monitor: name }, monitor.referenceEvents);
    // From 0, so that the alert rule's `increase` sees the first detection.
    context.metrics.onlineDetectionsTotal.inc({ monitor: name, feature: config.feature }, 0);
    context.metrics.onlineErt.set({ monitor: name }, config.ert);
    return adaptMonitor(
      {
        tick: () => [],
        flush: () => monitor.flush(),
        get state() {
          return monitor.state;
        },
        needsTick: false,
        lateEvents: 0,
        get referenceEvents() {
          return monitor.referenceEvents;
        },
        get reference() {
          return monitor.referenceLabel;
        },
      },
      {
        name,
        sources: sourcesOfFeatures(context.config, [config.feature]),
        add: (input: MonitorInput) =>
          monitor.add(input.values[config.feature], input.eventTime, input.position ?? null),
        observe: (m: Metrics) => observe(monitor, m),
      },
    );
  },

  checkState: checkOnlineMonitorState,

  publish(result: OnlineResult, m: Metrics): void {
    if (result.kind === "detection")
      m.onlineDetectionsTotal.inc({ monitor: result.monitor, feature: result.feature });
  },

  alertRules: onlineAlertRules,
  verdict: formatOnlineVerdict,
};
