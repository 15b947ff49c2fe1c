import { Ajv, type ValidateFunction } from "ajv";
import { alertsSchemaOf } from "../alerts/schema.js";
import { showValue } from "../errors.js";
import type { Metrics } from "../metrics/metrics.js";
import { adaptMonitor } from "../monitors/adapt.js";
import { sourcesOfFeatures } from "../monitors/features.js";
import { featureProblems, missingFile, windowSource } from "../monitors/problems.js";
import type { MonitorInput, MonitorKind } from "../monitors/types.js";
import {
  type MultivariateTestName,
  multivariateTest,
  multivariateTests,
} from "../stats/multivariate/registry.js";
import { windowProblems } from "../windows/config.js";
import { DEFAULT_SAMPLE, type MultivariateMonitorConfig, multivariateConfigSchema } from "./config.js";
import {
  checkMultivariateMonitorState,
  MultivariateMonitor,
  type MultivariateMonitorState,
  type MultivariateResult,
} from "./monitor.js";
import { readReferenceSample, shapeOf } from "./reference.js";
import { multivariateAlertRules } from "./rules.js";
import { formatMultivariateVerdict } from "./verdict.js";

const validators = new Map<string, ValidateFunction>();

/** The compiled options schema of a registered test, compiled once. */
function optionsValidator(test: MultivariateTestName): ValidateFunction {
  let validate = validators.get(test);
  if (validate === undefined) {
    validate = new Ajv({ strict: false }).compile(multivariateTests[test].optionsSchema);
    validators.set(test, validate);
  }
  return validate;
}

/**
 * Drift of several features taken together, or of a vector feature (an embedding): the rows of
 * each window, sampled to a bound, compared with the reference's by a registered multivariate
 * test (MMD, KS after a reduction, PCA reconstruction error, a domain classifier).
 */
export const multivariateKind: MonitorKind<
  MultivariateMonitorConfig,
  MultivariateMonitorState,
  MultivariateResult
> = {
  type: "multivariate",
  schema: multivariateConfigSchema(alertsSchemaOf(multivariateAlertRules)),
  example: {
    type: "multivariate",
    features: ["x", "y"],
    test: "mmd",
    reference: { type: "first", events: 20 },
    window: { type: "tumbling", events: 10 },
  },
  exampleFeatures: {
    x: { source: "events", path: "/x", type: "numeric" },
    y: { source: "events", path: "/y", type: "numeric" },
  },

  sources: (config, all) => sourcesOfFeatures(all, config.features),

  problems(config, context) {
    const { config: all, path: base, resolvePath } = context;
    const features = Array.isArray(config.features) ? config.features : [];
    const { problems, source } = featureProblems(all, "multivariate", features, base);
    const types = features.map((f) => (Object.hasOwn(all.features, f) ? all.features[f].type : undefined));
    const vectors = types.filter((t) => t === "vector").length;
    for (const [i, type] of types.entries()) {
      if (type === "categorical")
        problems.push({
          path: `${base}/features/${i}`,
          message: `feature ${showValue(features[i])} is categorical; a multivariate monitor takes one vector feature or numeric features`,
        });
    }
    if (vectors > 0 && features.length > 1)
      problems.push({
        path: `${base}/features`,
        message: "a vector feature is taken alone: name one vector feature, or two or more numeric features",
      });
    if (vectors === 0 && features.length === 1 && types[0] === "numeric")
      problems.push({
        path: `${base}/features`,
        message: `one numeric feature is univariate: use a drift monitor, or name two or more numeric features (or one vector feature)`,
      });
    // Options the schema cannot judge alone (two that exclude each other): the test's own check,
    // on options its schema accepts (the schema's own problems are already reported).
    if (typeof config.test === "string" && Object.hasOwn(multivariateTests, config.test)) {
      const options = (config.options ?? {}) as Record<string, unknown>;
      if (optionsValidator(config.test)(options)) {
        try {
          multivariateTest(config.test).options(options);
        } catch (error) {
          if (!(error instanceof RangeError)) throw error;
          problems.push({ path: `${base}/options`, message: error.message });
        }
      }
    }
    if (config.window !== undefined)
      problems.push(
        ...windowProblems(config.window as Record<string, unknown>, base, windowSource(all, source)),
      );
    const reference = config.reference as { type?: string; path?: string } | undefined;
    if (reference?.path !== undefined)
      problems.push(...missingFile(resolvePath, reference.path, `${base}/reference/path`));
    return problems;
  },

  async create(context, name, config, restore) {
    const shape = shapeOf(config.features, context.config.features);
    const size = config.sample ?? DEFAULT_SAMPLE;
    const seed = config.seed ?? 0;
    const features = config.features.map((f) => context.config.features[f]);
    const state = restore({ monitor: config, features });
    const ref = config.reference;
    const reference =
      ref.type === "file"
        ? await readReferenceSample(context.resolvePath(ref.path), shape, size, seed)
        : null;
    const monitor = new MultivariateMonitor(name, config, shape, reference, state);
    context.metrics.referenceEvents.set({ monitor: name }, monitor.referenceEvents);
    context.metrics.lateEventsTotal.inc({ monitor: name }, 0);
    return adaptMonitor(monitor, {
      name,
      sources: sourcesOfFeatures(context.config, config.features),
      add: (input: MonitorInput) =>
        monitor.add(input.values, input.now, input.eventTime, { position: input.position }),
    });
  },

  checkState: checkMultivariateMonitorState,

  publish(result: MultivariateResult, m: Metrics): void {
    const labels = { monitor: result.monitor, test: result.test };
    if (result.statistic !== null) {
      m.multivariateStatistic.set(labels, result.statistic);
      m.multivariateThreshold.set(labels, result.threshold as number);
      if (result.p_value !== null) m.multivariatePValue.set(labels, result.p_value);
      m.multivariateDrift.set(labels, result.drift ? 1 : 0);
    }
    m.multivariateRows.set(
      { monitor: result.monitor, side: "reference" },
      result.reference_rows.sampled_rows,
    );
    m.multivariateRows.set({ monitor: result.monitor, side: "window" }, result.current_rows.sampled_rows);
    m.windowEvents.set({ monitor: result.monitor }, result.window.events);
    m.windowsTotal.inc({ monitor: result.monitor, trigger: result.trigger });
    m.evaluationDuration.observe({ monitor: result.monitor }, result.duration_secs);
  },

  alertRules: multivariateAlertRules,
  verdict: formatMultivariateVerdict,
};
