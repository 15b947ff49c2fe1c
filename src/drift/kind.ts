import { basename } from "node:path";
import { validate as validateCron } from "node-cron";
import { alertsSchemaOf } from "../alerts/schema.js";
import { showValue, UserError } from "../errors.js";
import type { Metrics } from "../metrics/metrics.js";
import { adaptMonitor } from "../monitors/adapt.js";
import { sourcesOfFeatures } from "../monitors/features.js";
import { windowedFeatureProblems } from "../monitors/problems.js";
import { checkFutureWindow } from "../monitors/reference-source.js";
import type {
  MonitorContext,
  MonitorInput,
  MonitorKind,
  ReferenceSource,
  RestoreState,
} from "../monitors/types.js";
import { driftConfigSchema } from "./config.js";
import { checkDriftMonitorState, DriftMonitor, type DriftMonitorState, type DriftResult } from "./monitor.js";
import { loadReference } from "./reference.js";
import { driftAlertRules } from "./rules.js";
import { formatVerdict } from "./verdict.js";

/** A drift monitor's config entry (as the monitor takes it; `config/` composes the schema). */
type DriftConfig = ConstructorParameters<typeof DriftMonitor>[1];

/** Feature names → their kind, in the order the monitor lists them. */
function featureKinds(
  context: MonitorContext,
  config: DriftConfig,
): Record<string, "numeric" | "categorical"> {
  const kinds: Record<string, "numeric" | "categorical"> = {};
  for (const feature of config.features) kinds[feature] = context.config.features[feature].type;
  return kinds;
}

/**
 * Data drift of features against a reference: windows of feature values, each evaluated with the
 * drift test of its feature; a cron `schedule` evaluates the open window too.
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
    if (config.schedule !== undefined && !validateCron(config.schedule))
      problems.push({
        path: `${context.path}/schedule`,
        message: `not a valid cron expression (got ${showValue(config.schedule)})`,
      });
    return problems;
  },

  async create(context, name, config, restore: RestoreState<DriftMonitorState>) {
    const used = config.features;
    const state = restore({ monitor: config, features: used.map((f) => context.config.features[f]) });
    const kinds = featureKinds(context, config);
    const ref = config.reference;
    // A reference set while running stands in for the configured file, which is not read then.
    const reference =
      ref.type === "first" || ref.type === "rolling" || state?.replaced
        ? null
        : (await loadReference(ref.type, context.resolvePath(ref.path), kinds)).features;
    const monitor = new DriftMonitor(name, config, kinds, reference, state);
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
    const { evaluation } = result;
    for (const column of evaluation.columns) {
      m.driftStatistic.set({ monitor, feature: column.name, test: column.test }, column.statistic);
      const p = column.p_value_adjusted ?? column.p_value;
      if (p !== null) m.driftPValue.set({ monitor, feature: column.name, test: column.test }, p);
      m.driftDetected.set({ monitor, feature: column.name }, column.drift ? 1 : 0);
    }
    for (const [feature, quality] of Object.entries(result.quality)) {
      m.missingRatio.set({ monitor, feature }, quality.missing_ratio);
      if (quality.unseen_category_ratio !== null)
        m.unseenCategoryRatio.set({ monitor, feature }, quality.unseen_category_ratio);
    }
    m.datasetDrift.set({ monitor }, evaluation.dataset.drift ? 1 : 0);
    m.driftedShare.set({ monitor }, evaluation.dataset.share);
    m.windowEvents.set({ monitor }, result.window.events);
    m.windowsTotal.inc({ monitor, trigger: result.trigger });
    m.evaluationDuration.observe({ monitor }, result.duration_secs);
  },

  alertRules: driftAlertRules,
  verdict: formatVerdict,
};
