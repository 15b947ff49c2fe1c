import { existsSync } from "node:fs";
import type { Config } from "../config/types.js";
import { type ConfigProblem, showValue, suggest } from "../errors.js";
import { windowProblems } from "../windows/config.js";

// Cross-checks several monitor kinds share: names that must exist in the config's other sections,
// files that must exist on disk. Each kind's `problems` calls the ones it needs.

/** A problem when `source` is not one of the config's sources, naming the closest. */
export function unknownSource(config: Config, source: string, path: string): ConfigProblem[] {
  const sources = Object.keys(config.sources);
  if (sources.includes(source)) return [];
  return [
    {
      path,
      message: `unknown source ${showValue(source)}${suggest(source, sources)}; sources: ${sources.join(", ")}`,
    },
  ];
}

/** A problem when `feature` is not one of the config's features, naming the closest. */
export function unknownFeature(config: Config, feature: string, path: string): ConfigProblem[] {
  if (Object.hasOwn(config.features, feature)) return [];
  const features = Object.keys(config.features);
  return [
    {
      path,
      message: `unknown feature ${showValue(feature)}${suggest(feature, features)}; features: ${features.join(", ")}`,
    },
  ];
}

/**
 * Problems of a monitor that windows features of one source (drift, outliers): each feature must
 * exist, and all must come from the same source; that source, when there is one.
 */
export function featureProblems(
  config: Config,
  type: string,
  features: readonly string[],
  base: string,
): { problems: ConfigProblem[]; source: string | undefined } {
  const problems: ConfigProblem[] = [];
  const used = new Set<string>();
  for (const [i, feature] of features.entries()) {
    const unknown = unknownFeature(config, feature, `${base}/features/${i}`);
    if (unknown.length > 0) problems.push(...unknown);
    else used.add(config.features[feature].source);
  }
  if (used.size > 1) {
    problems.push({
      path: `${base}/features`,
      message: `features come from several sources (${[...used].join(", ")}); a ${type} monitor windows one source`,
    });
  }
  return { problems, source: used.size === 1 ? [...used][0] : undefined };
}

/** A source for `windowProblems`: its name and whether its events carry a time. */
export function windowSource(
  config: Config,
  name: string | undefined,
): { readonly name: string; readonly eventTime: boolean } | undefined {
  const source = name === undefined ? undefined : config.sources[name];
  return name === undefined || source === undefined
    ? undefined
    : { name, eventTime: source.event_time !== undefined };
}

/** A problem when a file the monitor reads (a reference) does not exist. */
export function missingFile(
  resolvePath: (path: string) => string,
  path: string,
  at: string,
): ConfigProblem[] {
  const file = resolvePath(path);
  return existsSync(file) ? [] : [{ path: at, message: `file not found: ${file}` }];
}

/**
 * Problems of a monitor that windows features of one source against a reference (drift,
 * outliers): its features, its window against that source, and its reference file.
 */
export function windowedFeatureProblems(
  type: string,
  monitor: {
    readonly features: readonly string[];
    readonly window: object;
    readonly reference: { readonly type: string; readonly path?: string };
  },
  context: { readonly config: Config; readonly resolvePath: (path: string) => string; readonly path: string },
): ConfigProblem[] {
  const { config, resolvePath, path: base } = context;
  const { problems, source } = featureProblems(config, type, monitor.features, base);
  for (const [i, feature] of monitor.features.entries()) {
    if (Object.hasOwn(config.features, feature) && config.features[feature].type === "vector")
      problems.push({
        path: `${base}/features/${i}`,
        message: `feature ${showValue(feature)} is a vector; a ${type} monitor reads numeric and categorical features (a multivariate monitor reads vectors)`,
      });
  }
  problems.push(
    ...windowProblems(monitor.window as Record<string, unknown>, base, windowSource(config, source)),
  );
  if (monitor.reference.path !== undefined)
    problems.push(...missingFile(resolvePath, monitor.reference.path, `${base}/reference/path`));
  return problems;
}
