import { basename } from "node:path";
import { alertsSchemaOf } from "../alerts/schema.js";
import { showValue, UserError } from "../errors.js";
import { readNumericRows } from "../io/rows.js";
import type { Logger } from "../log.js";
import type { Metrics } from "../metrics/metrics.js";
import type { HistogramSeries } from "../metrics/series-histogram.js";
import { adaptMonitor } from "../monitors/adapt.js";
import { sourcesOfFeatures } from "../monitors/features.js";
import { windowedFeatureProblems } from "../monitors/problems.js";
import { checkFutureWindow } from "../monitors/reference-source.js";
import { segmentProblems } from "../monitors/segments.js";
import type {
  Monitor,
  MonitorContext,
  MonitorInput,
  MonitorKind,
  ReferenceSource,
} from "../monitors/types.js";
import { outliersConfigSchema } from "./config.js";
import { DeferredScoring, type DeferredState } from "./deferred.js";
import {
  checkOutlierMonitorState,
  OutlierMonitor,
  type OutlierMonitorState,
  type OutlierResult,
  type OutlierScore,
  toRow,
} from "./monitor.js";
import { outlierScorers, paramProblems, thresholdProblems } from "./registry.js";
import { outlierAlertRules } from "./rules.js";
import { scoringThread } from "./scoring-thread.js";
import { loadSegmentedRows, type OutlierSegmentReferences, SegmentedOutlierMonitor } from "./segmented.js";
import { formatOutlierVerdict } from "./verdict.js";

/** An outlier monitor's config entry (as the monitor takes it; `config/` composes the schema). */
type OutlierConfig = ConstructorParameters<typeof OutlierMonitor>[1];

/** Exports the fitted thresholds (a `first` reference fits them mid-batch: they appear then). */
function exportThresholds(monitor: OutlierMonitor | SegmentedOutlierMonitor, metrics: Metrics): void {
  for (const { scorer, threshold, segment } of monitor.thresholds as {
    scorer: string;
    threshold: number;
    segment?: string;
  }[])
    metrics.outlierThreshold.set(
      { monitor: monitor.name, scorer, ...(segment === undefined ? {} : { segment }) },
      threshold,
    );
}

/** Exports one closed window, the pooled one (no `segment` label) or a segment's. */
function publishWindow(result: OutlierResult, m: Metrics, segment?: string): void {
  const own = segment === undefined ? {} : { segment };
  for (const scorer of result.scorers) {
    m.outlierRatio.set({ monitor: result.monitor, scorer: scorer.scorer, ...own }, scorer.ratio);
    m.outlierThreshold.set({ monitor: result.monitor, scorer: scorer.scorer, ...own }, scorer.threshold);
  }
  m.windowEvents.set({ monitor: result.monitor, ...own }, result.window.events);
}

let watched = false;

/** Logs each failure of the process's scoring worker once (its blocks are scored on the main thread). */
function watchScoringThread(log: Logger): void {
  if (watched) return;
  watched = true;
  scoringThread().onFailure((error) =>
    log.warn("outlier scoring worker failed; its events are scored on the main thread", {
      error: error.message,
    }),
  );
}

/**
 * Observes each event's scores into its scorer's series of `driftwatch_outlier_score` (taken once
 * per scorer: the histogram is observed on every event) and counts the outliers.
 */
function scoreObserver(metrics: Metrics, monitor: string): (scores: readonly OutlierScore[]) => void {
  const series = new Map<string, HistogramSeries>();
  return (scores) => {
    for (const score of scores) {
      let s = series.get(score.scorer);
      if (s === undefined) {
        s = metrics.outlierScore.labels({ monitor, scorer: score.scorer });
        series.set(score.scorer, s);
      }
      s.observe(score.score);
      if (score.outlier) metrics.outlierEventsTotal.inc({ monitor, scorer: score.scorer });
    }
  };
}

/** A segmented outlier monitor (`segment_by`) as the pipeline runs it. */
async function createSegmented(
  context: MonitorContext,
  name: string,
  config: OutlierConfig,
  state: OutlierMonitorState | undefined,
): Promise<Monitor<OutlierMonitorState, OutlierResult>> {
  const by = config.segment_by as string;
  const ref = config.reference;
  const references: OutlierSegmentReferences =
    ref.type === "file"
      ? await loadSegmentedRows(context.resolvePath(ref.path), config.features, by)
      : { rows: null, split: null, counts: null };
  const monitor = new SegmentedOutlierMonitor(name, config, references, state);
  const metrics = context.metrics;
  const observeScores = scoreObserver(metrics, name);
  exportThresholds(monitor, metrics);
  metrics.referenceEvents.set({ monitor: name }, monitor.referenceEvents);
  metrics.lateEventsTotal.inc({ monitor: name }, 0);
  metrics.segmentsOverflowTotal.inc({ monitor: name }, 0);
  metrics.segments.set({ monitor: name }, monitor.admitted);
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
      const { scores, segment, segmentScores, closed } = monitor.add(
        input.values as Record<string, unknown>,
        input.now,
        input.eventTime,
        monitor.idOf(input.event),
      );
      observeScores(scores);
      // Per segment only the outlier count: a score histogram per segment would multiply its series.
      for (const score of segmentScores)
        if (score.outlier) metrics.outlierEventsTotal.inc({ monitor: name, scorer: score.scorer, segment });
      if (monitor.overflow > overflow)
        metrics.segmentsOverflowTotal.inc({ monitor: name }, monitor.overflow - overflow);
      return closed;
    },
    observe(m: Metrics) {
      exportThresholds(monitor, m);
      m.segments.set({ monitor: name }, monitor.admitted);
      for (const [segment, why] of monitor.takeUnfitted())
        context.log.warn("segment not fitted on its own reference", { monitor: name, segment, reason: why });
    },
  });
}

/**
 * Streaming outlier scores of feature rows against a reference: every event is scored (a
 * histogram and a counter per scorer), every closed window reports its outlier ratio.
 */
export const outliersKind: MonitorKind<OutlierConfig, OutlierMonitorState, OutlierResult> = {
  type: "outliers",
  schema: outliersConfigSchema(alertsSchemaOf(outlierAlertRules)),
  example: {
    type: "outliers",
    features: ["x", "y"],
    reference: { type: "first", events: 20 },
    scorers: [{ type: "robust_z", threshold: { value: 4 } }],
    window: { type: "tumbling", events: 10 },
  },
  exampleFeatures: {
    x: { source: "events", path: "/x", type: "numeric" },
    y: { source: "events", path: "/y", type: "numeric" },
  },

  sources: (config, all) => sourcesOfFeatures(all, config.features),

  problems(config, context) {
    const { config: all, path: base } = context;
    const problems = windowedFeatureProblems("outliers", config, context);
    for (const [i, feature] of config.features.entries()) {
      if (all.features[feature]?.type === "categorical") {
        problems.push({
          path: `${base}/features/${i}`,
          message: `outlier scorers take numeric features; ${showValue(feature)} is categorical`,
        });
      }
    }
    problems.push(...segmentProblems(all, config, base));
    const seen = new Set<string>();
    for (const [i, scorer] of (config.scorers ?? []).entries()) {
      const { type, threshold, name, ...params } = scorer;
      const label = name ?? type;
      if (seen.has(label))
        problems.push(
          name === undefined
            ? {
                path: `${base}/scorers/${i}/type`,
                message: `scorer ${showValue(type)} appears twice; give each its own name (name: ...)`,
              }
            : { path: `${base}/scorers/${i}/name`, message: `scorer name ${showValue(name)} is taken` },
        );
      seen.add(label);
      if (type in outlierScorers) problems.push(...paramProblems(type, params, `${base}/scorers/${i}`));
      if (threshold !== undefined)
        problems.push(...thresholdProblems(threshold, `${base}/scorers/${i}/threshold`));
    }
    return problems;
  },

  async create(context, name, config, restore) {
    const used = config.features;
    // A segmented monitor's state also depends on its segment feature.
    const identity = config.segment_by === undefined ? used : [...used, config.segment_by];
    // Where events are scored changes no number: switching it keeps the state.
    const { scoring_thread: thread, ...scored } = config;
    const restored = restore({
      monitor: scored,
      features: identity.map((f) => context.config.features[f]),
    }) as DeferredState | undefined;
    if (config.segment_by !== undefined) return createSegmented(context, name, config, restored);
    const { unreported, ...state } = restored ?? { unreported: undefined };
    const ref = config.reference;
    // A reference set while running is fitted in the state: the configured file is not read then.
    const rows =
      ref.type === "file" && !restored?.replaced
        ? await readNumericRows(context.resolvePath(ref.path), config.features)
        : null;
    const monitor = new OutlierMonitor(name, config, rows, restored && (state as OutlierMonitorState));
    const metrics = context.metrics;
    const onWorker = (thread ?? "worker") === "worker";
    if (onWorker) {
      watchScoringThread(context.log);
      // Loading the worker takes a few hundred milliseconds: it is done by the time events come.
      void scoringThread().ready();
    }
    const scoring = new DeferredScoring(
      monitor,
      onWorker ? scoringThread() : null,
      scoreObserver(metrics, name),
      unreported,
    );
    exportThresholds(monitor, metrics);
    metrics.referenceEvents.set({ monitor: name }, monitor.referenceEvents);
    metrics.lateEventsTotal.inc({ monitor: name }, 0);
    return adaptMonitor(scoring, {
      name,
      sources: sourcesOfFeatures(context.config, used),
      async setReference(from: ReferenceSource) {
        // The events already added are scored with the models they arrived under.
        scoring.applyQueued();
        if (from.type === "window") {
          checkFutureWindow(name, from.index, monitor.nextWindow);
          monitor.referenceFromWindow(from.index);
          return { reference: `window:${from.index}`, pending: true };
        }
        if (from.type === "profile")
          throw new UserError(
            `monitor ${showValue(name)} (outliers) fits its scorers on rows: give a data file, not a profile`,
          );
        const rows = await readNumericRows(from.path, config.features);
        // Reading the file let batches in: they too were added under the old models.
        scoring.applyQueued();
        monitor.replaceReference(rows, `file:${basename(from.path)}`);
        exportThresholds(monitor, metrics);
        return { reference: monitor.reference, pending: false };
      },
      add: (input: MonitorInput) =>
        scoring.add(
          toRow(input.values as Record<string, unknown>, config.features),
          input.now,
          input.eventTime,
          monitor.idOf(input.event),
        ),
      endBatch: () => scoring.endBatch(),
      settle: () => scoring.settle(),
      observe: (m: Metrics) => exportThresholds(monitor, m),
    });
  },

  checkState: checkOutlierMonitorState,

  publish(result: OutlierResult, m: Metrics): void {
    publishWindow(result, m);
    m.windowsTotal.inc({ monitor: result.monitor, trigger: "window_close" });
    if (result.segments === undefined) return;
    for (const segment of result.segments.results) publishWindow(segment, m, segment.segment);
    m.segments.set({ monitor: result.monitor }, result.segments.admitted);
  },

  alertRules: outlierAlertRules,
  verdict: formatOutlierVerdict,
};
