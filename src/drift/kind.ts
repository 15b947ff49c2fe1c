import { basename } from "node:path";
import { validate as validateCron } from "node-cron";
import { alertsSchemaOf } from "../alerts/schema.js";
import { type ConfigProblem, showValue, UserError } from "../errors.js";
import type { Metrics } from "../metrics/metrics.js";
import { adaptMonitor } from "../monitors/adapt.js";
import { sourcesOfFeatures } from "../monitors/features.js";
import { windowedFeatureProblems } from "../monitors/problems.js";
import { checkFutureWindow } from "../monitors/reference-source.js";
import { segmentProblems } from "../monitors/segments.js";
import type {
  ClusterWindows,
  Monitor,
  MonitorContext,
  MonitorInput,
  MonitorKind,
  ReferenceSource,
  RestoreState,
} from "../monitors/types.js";
import type { ClosedWindow } from "../windows/window.js";
import { driftConfigSchema } from "./config.js";
import { SKETCH_TESTS } from "./evaluate.js";
import {
  checkDriftMonitorState,
  DriftMonitor,
  type DriftMonitorState,
  type DriftResult,
  featureSpecs,
} from "./monitor.js";
import { loadReference, loadSegmentedReference } from "./reference.js";
import { driftAlertRules } from "./rules.js";
import type { DriftScope } from "./scope.js";
import { type DriftSegmentReferences, SegmentedDriftMonitor } from "./segmented.js";
import { thresholdProblems } from "./thresholds.js";
import { formatVerdict } from "./verdict.js";

/** A drift monitor's config entry (as the monitor takes it; `config/` composes the schema). */
type DriftConfig = ConstructorParameters<typeof DriftMonitor>[1];

/** Feature names → their kind, in the order the monitor lists them. */
function featureKinds(
  context: MonitorContext,
  config: DriftConfig,
): Record<string, "numeric" | "categorical"> {
  const kinds: Record<string, "numeric" | "categorical"> = {};
  // The problems refuse vector features on a drift monitor, so each is numeric or categorical.
  for (const feature of config.features)
    kinds[feature] = context.config.features[feature].type as "numeric" | "categorical";
  return kinds;
}

/** The scopes a segmented window's verdict takes, each a series of `driftwatch_drift_scope`. */
const SCOPES: readonly DriftScope[] = ["none", "confined", "global"];

/** Exports one evaluated window, the pooled one (no `segment` label) or a segment's. */
function publishWindow(result: DriftResult, m: Metrics, segment?: string): void {
  const monitor = result.monitor;
  const own = segment === undefined ? {} : { segment };
  const { evaluation } = result;
  for (const column of evaluation.columns) {
    m.driftStatistic.set({ monitor, feature: column.name, test: column.test, ...own }, column.statistic);
    const p = column.p_value_adjusted ?? column.p_value;
    if (p !== null) m.driftPValue.set({ monitor, feature: column.name, test: column.test, ...own }, p);
    // A p-value test's threshold is its alpha, on the p-value; a distance's is on its statistic.
    (p === null ? m.driftThreshold : m.driftAlpha).set(
      { monitor, feature: column.name, test: column.test, ...own },
      column.threshold,
    );
    m.driftDetected.set({ monitor, feature: column.name, ...own }, column.drift ? 1 : 0);
  }
  for (const [feature, quality] of Object.entries(result.quality)) {
    m.missingRatio.set({ monitor, feature, ...own }, quality.missing_ratio);
    if (quality.pooled_values !== undefined)
      m.categoriesCappedTotal.inc({ monitor, feature }, quality.pooled_values);
    if (quality.unseen_category_ratio !== null)
      m.unseenCategoryRatio.set({ monitor, feature, ...own }, quality.unseen_category_ratio);
  }
  m.datasetDrift.set({ monitor, ...own }, evaluation.dataset.drift ? 1 : 0);
  m.driftedShare.set({ monitor, ...own }, evaluation.dataset.share);
  m.windowEvents.set({ monitor, ...own }, result.window.events);
}

/** A window a cluster source can cut per partition: tumbling, by count or by event time; null otherwise. */
function clusterWindow(window: DriftConfig["window"]): ClusterWindows<DriftResult>["window"] | null {
  if (window.type !== "tumbling") return null;
  if ("events" in window) return { type: "tumbling", events: window.events };
  return window.time === "event"
    ? { type: "tumbling", duration_secs: window.duration_secs, time: "event" }
    : null;
}

/** A segmented drift monitor (`segment_by`) as the pipeline runs it. */
async function createSegmented(
  context: MonitorContext,
  name: string,
  config: DriftConfig,
  state: DriftMonitorState | undefined,
): Promise<Monitor<DriftMonitorState, DriftResult>> {
  const kinds = featureKinds(context, config);
  const by = config.segment_by as string;
  const ref = config.reference;
  let references: DriftSegmentReferences = { whole: null, split: null, counts: null };
  if (ref.type === "file" || ref.type === "profile") {
    const loaded = await loadSegmentedReference(ref.type, context.resolvePath(ref.path), kinds, by);
    references = { whole: loaded.features, split: loaded.split, counts: loaded.counts };
  }
  const monitor = new SegmentedDriftMonitor(name, config, kinds, references, state);
  const metrics = context.metrics;
  metrics.referenceEvents.set({ monitor: name }, monitor.referenceEvents);
  metrics.lateEventsTotal.inc({ monitor: name }, 0);
  metrics.segmentsOverflowTotal.inc({ monitor: name }, 0);
  metrics.segments.set({ monitor: name }, monitor.admitted);
  const schedule = config.schedule;
  return adaptMonitor(monitor, {
    name,
    sources: sourcesOfFeatures(context.config, config.features),
    async setReference() {
      throw new UserError(
        `monitor ${showValue(name)} is segmented by ${showValue(by)}: its segments' references cannot be set while it runs; change its reference and restart`,
      );
    },
    add(input: MonitorInput) {
      const overflow = monitor.overflow;
      const results = monitor.add(input.values as Record<string, unknown>, input.now, input.eventTime, {
        position: input.position,
        id: monitor.idOf(input.event),
      });
      if (monitor.overflow > overflow)
        metrics.segmentsOverflowTotal.inc({ monitor: name }, monitor.overflow - overflow);
      return results;
    },
    observe: (m: Metrics) => m.segments.set({ monitor: name }, monitor.admitted),
    ...(schedule === undefined
      ? {}
      : {
          schedule: {
            cron: schedule,
            run: () => {
              const result = monitor.evaluateOpen();
              return result ? [result] : [];
            },
          },
        }),
  });
}

/**
 * Data drift of features against a reference: windows of feature values, each evaluated with the
 * drift test of its feature; a cron `schedule` evaluates the open window too. With `segment_by`,
 * each window is also cut into segments by a categorical feature, each compared with its own
 * reference (`SegmentedDriftMonitor`).
 */
export const driftKind: MonitorKind<DriftConfig, DriftMonitorState, DriftResult> = {
  type: "drift",
  schema: driftConfigSchema(alertsSchemaOf(driftAlertRules)),
  example: {
    type: "drift",
    features: ["x", "colour"],
    reference: { type: "first", events: 20 },
    window: { type: "tumbling", events: 10 },
  },
  exampleFeatures: {
    x: { source: "events", path: "/x", type: "numeric" },
    colour: { source: "events", path: "/colour", type: "categorical" },
  },

  sources: (config, all) => sourcesOfFeatures(all, config.features),

  problems(config, context) {
    const problems = windowedFeatureProblems("drift", config, context);
    problems.push(...segmentProblems(context.config, config, context.path));
    problems.push(...thresholdProblems(config, context.path));
    const numericTest = config.numeric_test ?? "ks";
    if (config.mode === "sketch" && !SKETCH_TESTS.has(numericTest))
      problems.push({
        path: `${context.path}/numeric_test`,
        message: `${showValue(numericTest)} needs raw values and cannot run in sketch mode; tests that can: ${[...SKETCH_TESTS].join(", ")}`,
      });
    if (config.schedule !== undefined && !validateCron(config.schedule))
      problems.push({
        path: `${context.path}/schedule`,
        message: `not a valid cron expression (got ${showValue(config.schedule)})`,
      });
    return problems;
  },

  clusterProblems(config, path) {
    const problems: ConfigProblem[] = [];
    const why = "on a cluster source";
    if (config.segment_by !== undefined)
      problems.push({ path: `${path}/segment_by`, message: `segmented monitors cannot run ${why} yet` });
    if (config.reference.type !== "file" && config.reference.type !== "profile")
      problems.push({
        path: `${path}/reference/type`,
        message: `${why} every instance must compare with the same reference: use a file or a profile (got ${showValue(config.reference.type)})`,
      });
    if (clusterWindow(config.window) === null)
      problems.push({
        path: `${path}/window`,
        message: `${why} each partition cuts its own windows: use type: tumbling, with events (counted per partition) or with duration_secs and time: event (processing time differs between instances)`,
      });
    if (config.schedule !== undefined)
      problems.push({
        path: `${path}/schedule`,
        message: `${why} no instance holds the whole open window, so it cannot be evaluated on a schedule`,
      });
    return problems;
  },

  async create(context, name, config, restore: RestoreState<DriftMonitorState>) {
    const used = config.features;
    // A segmented monitor's state also depends on its segment feature.
    const identity = config.segment_by === undefined ? used : [...used, config.segment_by];
    const state = restore({ monitor: config, features: identity.map((f) => context.config.features[f]) });
    if (config.segment_by !== undefined) return createSegmented(context, name, config, state);
    const kinds = featureKinds(context, config);
    const ref = config.reference;
    // A reference set while running stands in for the configured file, which is not read then.
    const reference =
      ref.type === "first" || ref.type === "rolling" || state?.replaced
        ? null
        : (await loadReference(ref.type, context.resolvePath(ref.path), kinds)).features;
    const monitor = new DriftMonitor(name, config, kinds, reference, state);
    if (reference !== null && ref.type !== "first" && ref.type !== "rolling")
      for (const [feature, entry] of monitor.referenceThresholds ?? [])
        if ("unavailable" in entry)
          throw new UserError(
            `${ref.path}: monitor ${showValue(name)}: no threshold can be drawn for feature ${showValue(feature)}: ${entry.unavailable}`,
          );
    context.metrics.referenceEvents.set({ monitor: name }, monitor.referenceEvents);
    context.metrics.lateEventsTotal.inc({ monitor: name }, 0);
    const sources = sourcesOfFeatures(context.config, used);
    const schedule = config.schedule;
    return adaptMonitor(monitor, {
      name,
      sources,
      async setReference(from: ReferenceSource) {
        if (config.reference.type === "rolling")
          throw new UserError(
            `monitor ${showValue(name)} has a rolling reference, which moves by itself with each window`,
          );
        if (from.type === "window") {
          checkFutureWindow(name, from.index, monitor.nextWindow);
          monitor.referenceFromWindow(from.index);
          return { reference: `window:${from.index}`, pending: true };
        }
        const loaded = await loadReference(from.type, from.path, kinds);
        monitor.replaceReference(loaded.features, `${from.type}:${basename(from.path)}`);
        return { reference: monitor.reference, pending: false };
      },
      add: (input: MonitorInput) =>
        monitor.add(input.values as Record<string, unknown>, input.now, input.eventTime, {
          position: input.position,
          id: monitor.idOf(input.event),
        }),
      // Tumbling count and event-time windows merge exactly; the config loader refuses the rest on a cluster source.
      ...(clusterWindow(config.window) === null
        ? {}
        : {
            cluster: {
              specs: featureSpecs(config, kinds),
              window: clusterWindow(config.window) as NonNullable<ReturnType<typeof clusterWindow>>,
              idOf: (event: unknown) => monitor.idOf(event),
              judge: (window: ClosedWindow) => monitor.judge(window),
            },
          }),
      ...(schedule === undefined
        ? {}
        : {
            schedule: {
              cron: schedule,
              run: () => {
                const result = monitor.evaluateOpen();
                return result ? [result] : [];
              },
            },
          }),
    });
  },

  checkState: checkDriftMonitorState,

  publish(result: DriftResult, m: Metrics): void {
    const monitor = result.monitor;
    publishWindow(result, m);
    m.windowsTotal.inc({ monitor, trigger: result.trigger });
    m.evaluationDuration.observe({ monitor }, result.duration_secs);
    const segments = result.segments;
    if (segments === undefined) return;
    // A segment without events in this window keeps its last window's series, as a monitor does.
    for (const segment of segments.results) publishWindow(segment, m, segment.segment);
    for (const scope of SCOPES)
      m.driftScope.set({ monitor, scope }, segments.verdict.scope === scope ? 1 : 0);
    m.driftedSegments.set({ monitor }, segments.verdict.drifted.length);
    m.segments.set({ monitor }, segments.admitted);
  },

  alertRules: driftAlertRules,
  verdict: formatVerdict,
};
