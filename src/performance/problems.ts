import { type AnyDetectorKind, detectors, isDetectorName } from "../detectors/registry.js";
import { type ConfigProblem, showValue } from "../errors.js";
import { unknownFeature, unknownSource } from "../monitors/problems.js";
import type { ProblemContext } from "../monitors/types.js";
import type { PerformanceMonitorConfig } from "./config.js";

/** Cross-checks of a performance monitor: its sources, slice features and detectors. */
export function performanceProblems(
  monitor: PerformanceMonitorConfig,
  context: ProblemContext,
): ConfigProblem[] {
  const { config, path: base } = context;
  const problems: ConfigProblem[] = [];
  for (const side of ["predictions", "labels"] as const)
    problems.push(...unknownSource(config, monitor[side].source, `${base}/${side}/source`));
  const predictions = monitor.predictions;
  const at = `${base}/predictions`;
  if (predictions.score !== undefined && predictions.probabilities !== undefined)
    problems.push({
      path: `${at}/probabilities`,
      message: "give score (the positive class's probability) or probabilities (every class's), not both",
    });
  if (monitor.task === "regression")
    for (const key of ["score", "probabilities", "classes"] as const)
      if (predictions[key] !== undefined)
        problems.push({
          path: `${at}/${key}`,
          message: `${key} is for classification; this monitor's task is regression`,
        });
  if (monitor.task === "classification" && predictions.score !== undefined && monitor.positive === undefined)
    problems.push({
      path: `${base}/positive`,
      message: "score is the probability of the positive class: name that class with positive",
    });
  const estimation = monitor.estimation;
  if (estimation !== undefined) {
    if (monitor.task !== "classification")
      problems.push({
        path: `${base}/estimation`,
        message: "estimation is for classifiers; this monitor's task is regression",
      });
    else if (predictions.score === undefined && predictions.probabilities === undefined)
      problems.push({
        path: `${base}/estimation`,
        message:
          "estimation reads the model's probabilities: set predictions.score or predictions.probabilities",
      });
    if (estimation.reference.pairs < 2 * estimation.chunk_size)
      problems.push({
        path: `${base}/estimation/reference/pairs`,
        message: `the reference needs at least two chunks for its thresholds: ${2 * estimation.chunk_size} pairs or more (got ${estimation.reference.pairs})`,
      });
    if (
      estimation.metrics?.includes("confusion_matrix") &&
      predictions.probabilities !== undefined &&
      predictions.classes !== undefined &&
      predictions.classes.length > 2
    )
      problems.push({
        path: `${base}/estimation/metrics`,
        message: "confusion_matrix is estimated for binary models only",
      });
  }
  if (predictions.classes !== undefined && predictions.probabilities === undefined)
    problems.push({
      path: `${at}/classes`,
      message: "classes name the entries of an array of probabilities; set probabilities too",
    });
  for (const [slice, definition] of Object.entries(monitor.slices ?? {})) {
    const feature = config.features[definition.feature];
    if (feature === undefined) {
      problems.push(...unknownFeature(config, definition.feature, `${base}/slices/${slice}/feature`));
    } else if (feature.source !== monitor.predictions.source) {
      problems.push({
        path: `${base}/slices/${slice}/feature`,
        message: `slices read features of the predictions source ${showValue(monitor.predictions.source)}; ${showValue(definition.feature)} is on ${showValue(feature.source)}`,
      });
    }
  }
  const names = new Set<string>();
  for (const [i, entry] of (monitor.detectors ?? []).entries()) {
    const { type, name, ...params } = entry;
    const label = typeof name === "string" ? name : type;
    if (names.has(label))
      problems.push(
        typeof name === "string"
          ? { path: `${base}/detectors/${i}/name`, message: `detector name ${showValue(name)} is taken` }
          : {
              path: `${base}/detectors/${i}/type`,
              message: `detector ${showValue(type)} appears twice; give each its own name (name: ...)`,
            },
      );
    names.add(label);
    if (!isDetectorName(type)) continue;
    const kind = detectors[type] as AnyDetectorKind;
    if (monitor.task === "regression" && kind.input !== "real") {
      problems.push({
        path: `${base}/detectors/${i}/type`,
        message: `${type} takes ${kind.input === "binary" ? "a 0/1 error stream" : "values in [0, 1]"}; a regression monitor feeds absolute errors (use adwin, page_hinkley or kswin)`,
      });
    }
    for (const p of kind.check(params))
      problems.push({ path: `${base}/detectors/${i}${p.path}`, message: p.message });
  }
  for (const [i, rule] of (monitor.alerts ?? []).entries()) {
    if (rule.type !== "concept_drift") continue;
    for (const [j, detector] of ((rule as { detectors?: readonly string[] }).detectors ?? []).entries())
      if (!names.has(detector))
        problems.push({
          path: `${base}/alerts/${i}/detectors/${j}`,
          message: `no detector of this monitor is named ${showValue(detector)}; its detectors: ${[...names].join(", ") || "none"}`,
        });
  }
  return problems;
}
