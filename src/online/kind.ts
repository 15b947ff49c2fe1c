import { alertsSchemaOf } from "../alerts/schema.js";
import { type ConfigProblem, showValue, UserError } from "../errors.js";
import type { Metrics } from "../metrics/metrics.js";
import { adaptMonitor } from "../monitors/adapt.js";
import { sourcesOfFeatures } from "../monitors/features.js";
import { featureProblems, missingFile, unknownFeature } from "../monitors/problems.js";
import type { MonitorInput, MonitorKind } from "../monitors/types.js";
import { DEFAULT_N_BOOTSTRAPS } from "../stats/online/calibrate.js";
import { MMD_DEFAULT_N_BOOTSTRAPS } from "../stats/online/mmd.js";
import { type OnlineMonitorConfig, onlineConfigSchema } from "./config.js";
import {
  checkOnlineMonitorState,
  type OnlineDetectorName,
  OnlineMonitor,
  type OnlineMonitorState,
  type OnlineResult,
} from "./monitor.js";
import { detectorOf, featuresOf, readOnlineReference, subjectOf } from "./reference.js";
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
 * Online drift of one feature, a vector or a set: every event tested against the reference by a detector whose
 * thresholds are simulated for an expected run time between false alarms (alibi-detect's
 * CVMDriftOnline, FETDriftOnline and MMDDriftOnline for a vector or a set), so a stream is watched
 * between windows, with a known rate of false alarms.
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

  sources: (config, all) => sourcesOfFeatures(all, featuresOf(config)),

  problems(config, context) {
    const { config: all, path: base, resolvePath } = context;
    const names = featuresOf(config);
    if (names.length === 0 || (config.feature !== undefined && config.features !== undefined))
      return [
        {
          path: base,
          message:
            "name the feature tested: `feature` (one feature or a vector), or `features` (a set), not both",
        },
      ];
    const problems: ConfigProblem[] = [];
    if (config.features !== undefined) {
      const { problems: found } = featureProblems(all, "online_drift", names, base);
      problems.push(...found);
    } else problems.push(...unknownFeature(all, names[0], `${base}/feature`));
    const type = (name: string) => (Object.hasOwn(all.features, name) ? all.features[name].type : undefined);
    const detector = detectorOf(config, type(names[0]));
    const subject = config.features !== undefined ? "features" : "feature";
    if (detector === "mmd") {
      for (const [i, name] of names.entries()) {
        const t = type(name);
        const ok = config.features !== undefined ? t === "numeric" : t === "vector" || t === undefined;
        if (!ok && t !== undefined)
          problems.push({
            path: config.features !== undefined ? `${base}/features/${i}` : `${base}/feature`,
            message: `mmd tests a vector feature or a set of numeric features; ${showValue(name)} is ${t}`,
          });
      }
      if (Array.isArray(config.window_sizes) && config.window_sizes.length !== 1)
        problems.push({
          path: `${base}/window_sizes`,
          message: "mmd takes one window size (alibi-detect's window_size)",
        });
    } else {
      const t = type(names[0]);
      if (config.features !== undefined)
        problems.push({
          path: `${base}/detector`,
          message: `${detector} tests one feature; a set of features is tested by mmd`,
        });
      else if (t === "vector")
        problems.push({
          path: `${base}/${config.detector === undefined ? subject : "detector"}`,
          message: `feature ${showValue(names[0])} is a vector; ${detector} tests one numeric or categorical feature (mmd tests vectors)`,
        });
      else if (t !== undefined) {
        if (detector === "cvm" && t !== "numeric")
          problems.push({
            path: `${base}/detector`,
            message: `cvm tests a numeric feature; ${showValue(names[0])} is ${t} (fet tests a proportion)`,
          });
        if (t === "categorical" && config.positive === undefined)
          problems.push({
            path: `${base}/positive`,
            message: `fet on categorical feature ${showValue(names[0])} needs \`positive\`: the category counted as 1`,
          });
      }
    }
    const only: [readonly string[], OnlineDetectorName][] = [
      [["alternative", "lam", "simulation", "t_max", "positive"], "fet"],
      [["ties"], "cvm"],
      [["bandwidth", "sample"], "mmd"],
    ];
    for (const [keys, owner] of only)
      for (const key of keys)
        if ((config as Record<string, unknown>)[key] !== undefined && detector !== owner)
          problems.push({ path: `${base}/${key}`, message: `\`${key}\` is for the ${owner} detector` });
    // The (1 − 1/ert) quantile of each step needs many simulated streams left without an alarm.
    const bootstraps =
      config.n_bootstraps ?? (detector === "mmd" ? MMD_DEFAULT_N_BOOTSTRAPS : DEFAULT_N_BOOTSTRAPS);
    if (typeof config.ert === "number" && bootstraps < 10 * config.ert)
      problems.push({
        path: `${base}/${config.n_bootstraps === undefined ? "ert" : "n_bootstraps"}`,
        message: `the thresholds for ert ${config.ert} need at least ${Math.ceil(10 * config.ert)} simulated streams (n_bootstraps is ${bootstraps}${config.n_bootstraps === undefined ? ", the default" : ""}); raise n_bootstraps or lower ert`,
      });
    const reference = config.reference as { path?: string } | undefined;
    if (reference?.path !== undefined)
      problems.push(...missingFile(resolvePath, reference.path, `${base}/reference/path`));
    if (config.reference?.type === "first" && config.reference.events < 2)
      problems.push({ path: `${base}/reference/events`, message: "the reference needs at least 2 events" });
    return problems;
  },

  async create(context, name, config, restore) {
    const names = featuresOf(config);
    const subject = subjectOf(config, context.config.features);
    const state = restore({ monitor: config, features: names.map((f) => context.config.features[f]) });
    const ref = config.reference;
    let monitor: OnlineMonitor;
    try {
      const reference =
        ref.type === "file"
          ? await readOnlineReference(context.resolvePath(ref.path), config, subject)
          : null;
      monitor = new OnlineMonitor(name, config, subject, reference, state);
      // A complete reference is calibrated at once, and a checkpointed detector state checked
      // against it: a file it cannot use, or a damaged state, is said at start (exit 2), never at
      // an event.
      monitor.prepare();
    } catch (error) {
      if (error instanceof RangeError) throw new UserError(`monitor ${showValue(name)}: ${error.message}`);
      throw error;
    }
    context.metrics.referenceEvents.set({ monitor: name }, monitor.referenceEvents);
    // From 0, so that the alert rule's `increase` sees the first detection.
    context.metrics.onlineDetectionsTotal.inc({ monitor: name, feature: subject.name }, 0);
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
        sources: sourcesOfFeatures(context.config, names),
        add: (input: MonitorInput) => monitor.add(input.values, input.eventTime, input.position ?? null),
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
