import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { validate as validateCron } from "node-cron";
import { loadSuite } from "../checks/suite.js";
import { valueAt } from "../decode/pointer.js";
import { EventDecoder } from "../decode/validate.js";
import { type AnyDetectorKind, detectors, isDetectorName } from "../detectors/registry.js";
import { showValue, suggest } from "../errors.js";
import { lineOf, parseYaml, readText } from "../io/yaml.js";
import { monitorKinds, monitorSchemas } from "../monitors/registry.js";
import { outlierScorers, paramProblems, thresholdProblems } from "../outliers/registry.js";
import { sourceKind, sources as sourceKinds } from "../sources/registry.js";
import { ConfigError, type ConfigProblem } from "./errors.js";
import { configSchemaWith } from "./schema.js";
import type { ChecksMonitorConfig, Config, PerformanceMonitorConfig, SourceConfig } from "./types.js";

export { lineOf, parseYaml, readText } from "../io/yaml.js";
export { ConfigError, type ConfigProblem } from "./errors.js";

/** A loaded configuration: paths resolved against the config file's folder. */
export interface LoadedConfig {
  readonly file: string;
  readonly config: Config;
  /** Resolves a path written in the config file (relative to its folder). */
  resolvePath(path: string): string;
  /**
   * Problems found after loading (by `validate`'s checks of what `run` builds) as one ConfigError,
   * each with its line, as the loader reports its own.
   */
  reject(problems: readonly ConfigProblem[]): ConfigError;
}

/**
 * The monitor kinds whose cross-references (features, sources, suites, slices) {@link crossCheck}
 * checks; a kind registered as an extension is checked by its own schema alone.
 */
const builtInMonitorTypes: readonly string[] = ["drift", "outliers", "performance", "checks"];

let compiled: { readonly kinds: string; readonly validate: ValidateFunction } | null = null;
/** The schema's validator, compiled again when a monitor kind was registered since. */
function validator(): ValidateFunction {
  const kinds = Object.keys(monitorKinds).join();
  if (compiled?.kinds !== kinds) {
    const ajv = new Ajv({ allErrors: true, discriminator: true, strict: false, verbose: true });
    compiled = { kinds, validate: ajv.compile(configSchemaWith(monitorSchemas())) };
  }
  return compiled.validate;
}

// YAML 1.2 has no merge keys, and with them an alias chain multiplies silently; an anchor on the
// whole value shares it just as well.
const mergeKeys =
  "YAML merge keys (<<) are not supported; write the keys out, or anchor the whole value (&name) and use its alias (*name)";

/** Turns ajv's errors into problems a person can act on, dropping the noise of oneOf branches. */
function explain(errors: readonly ErrorObject[], document: unknown): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const seen = new Set<string>();
  const add = (path: string, message: string): void => {
    const key = `${path}\u0000${message}`;
    if (!seen.has(key)) {
      seen.add(key);
      problems.push({ path, message });
    }
  };
  for (const error of errors) {
    const path = error.instancePath;
    const value = valueAt(document, path);
    switch (error.keyword) {
      case "additionalProperties": {
        const key = (error.params as { additionalProperty: string }).additionalProperty;
        const parentSchema = error.parentSchema as { properties?: Record<string, unknown> } | undefined;
        const known = Object.keys(parentSchema?.properties ?? {});
        if (key === "<<") {
          add(`${path}/${key}`, mergeKeys);
          break;
        }
        add(
          `${path}/${key}`,
          `unknown key ${showValue(key)}${suggest(key, known)}${known.length ? `; known keys: ${known.join(", ")}` : ""}`,
        );
        break;
      }
      case "discriminator": {
        const params = error.params as { error: string; tag: string; tagValue: unknown };
        const choices = (
          (error.parentSchema as { oneOf?: { properties: { type: { const: string } } }[] })?.oneOf ?? []
        ).map((s) => s.properties.type.const);
        if (params.error === "mapping") {
          add(
            `${path}/type`,
            `unknown type ${showValue(params.tagValue)}${suggest(String(params.tagValue), choices)}; known types: ${choices.join(", ")}`,
          );
        } else {
          add(`${path}/type`, `must be a string; known types: ${choices.join(", ")}`);
        }
        break;
      }
      case "enum": {
        const allowed = (error.params as { allowedValues: unknown[] }).allowedValues.map(String);
        add(
          path,
          `must be one of ${allowed.join(", ")} (got ${showValue(value)})${typeof value === "string" ? suggest(value, allowed) : ""}`,
        );
        break;
      }
      case "required":
        add(
          path,
          `missing required key ${showValue((error.params as { missingProperty: string }).missingProperty)}`,
        );
        break;
      case "oneOf":
      case "not":
        if (path.endsWith("/window")) {
          add(
            path,
            "give either `events` (with `step_events` for sliding) or `duration_secs` (with `step_secs` for sliding), not both",
          );
        } else if (error.keyword === "oneOf" && path.endsWith("/dead_letter")) {
          add(path, "must be { topic: NAME } or { path: FILE }");
        }
        break;
      case "const":
        break; // reported through the discriminator
      case "pattern": {
        const description = (error.parentSchema as { description?: string } | undefined)?.description;
        add(
          path,
          `must be ${description ?? `a string matching ${(error.params as { pattern: string }).pattern}`} (got ${showValue(value)})`,
        );
        break;
      }
      default:
        add(path, `${error.message ?? "is invalid"} (got ${showValue(value)})`);
    }
  }
  return problems;
}

/** Checks what the schema cannot: references between sections and files on disk. */
function crossCheck(config: Config, resolvePath: (p: string) => string): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const sources = Object.keys(config.sources);
  const features = Object.keys(config.features);
  for (const [name, source] of Object.entries(config.sources) as [string, SourceConfig][]) {
    if (source.schema !== undefined) {
      const file = resolvePath(source.schema);
      if (!existsSync(file)) {
        problems.push({ path: `/sources/${name}/schema`, message: `file not found: ${file}` });
      } else {
        try {
          new EventDecoder(file);
        } catch (error) {
          const reason = (error as Error).message.split("\n")[0];
          problems.push({
            path: `/sources/${name}/schema`,
            message: `${file}: not a usable JSON Schema: ${reason}`,
          });
        }
      }
    }
    // Cross-checks run on a config the schema refused too (all problems at once): the type may be unknown.
    const kind = Object.hasOwn(sourceKinds, source.type) ? sourceKind(source) : undefined;
    if (kind === undefined) continue;
    // A topic is produced on the brokers the source reads: a source without any cannot have one.
    if (kind.kafka === undefined && source.dead_letter !== undefined && "topic" in source.dead_letter) {
      problems.push({
        path: `/sources/${name}/dead_letter`,
        message: "a dead-letter topic needs a kafka source; use { path: FILE }",
      });
    }
    for (const problem of kind.problems?.(source, resolvePath) ?? [])
      problems.push({ path: `/sources/${name}/${problem.key}`, message: problem.message });
  }
  for (const [name, feature] of Object.entries(config.features)) {
    if (!sources.includes(feature.source)) {
      problems.push({
        path: `/features/${name}/source`,
        message: `unknown source ${showValue(feature.source)}${suggest(feature.source, sources)}; sources: ${sources.join(", ")}`,
      });
    }
  }
  for (const [name, monitor] of Object.entries(config.monitors)) {
    const base = `/monitors/${name}`;
    // A kind registered as an extension is checked by its own schema.
    if (!builtInMonitorTypes.includes(monitor.type)) continue;
    if (monitor.type === "performance") {
      problems.push(...checkPerformance(config, monitor, base, sources, features));
      continue;
    }
    if (monitor.type === "checks") {
      problems.push(...checkChecks(config, monitor, base, sources, resolvePath));
      continue;
    }
    const used = new Set<string>();
    for (const [i, feature] of monitor.features.entries()) {
      const f = config.features[feature];
      if (f === undefined) {
        problems.push({
          path: `${base}/features/${i}`,
          message: `unknown feature ${showValue(feature)}${suggest(feature, features)}; features: ${features.join(", ")}`,
        });
      } else used.add(f.source);
    }
    if (used.size > 1) {
      problems.push({
        path: `${base}/features`,
        message: `features come from several sources (${[...used].join(", ")}); a ${monitor.type} monitor windows one source`,
      });
    }
    if (monitor.type === "outliers") {
      for (const [i, feature] of monitor.features.entries()) {
        if (config.features[feature]?.type === "categorical") {
          problems.push({
            path: `${base}/features/${i}`,
            message: `outlier scorers take numeric features; ${showValue(feature)} is categorical`,
          });
        }
      }
      const seen = new Set<string>();
      for (const [i, scorer] of (monitor.scorers ?? []).entries()) {
        const { type, threshold, ...params } = scorer;
        if (seen.has(type))
          problems.push({
            path: `${base}/scorers/${i}/type`,
            message: `scorer ${showValue(type)} appears twice; give each scorer once`,
          });
        seen.add(type);
        if (type in outlierScorers) problems.push(...paramProblems(type, params, `${base}/scorers/${i}`));
        if (threshold !== undefined)
          problems.push(...thresholdProblems(threshold, `${base}/scorers/${i}/threshold`));
      }
    }
    problems.push(
      ...windowProblems(
        config,
        monitor.window as Record<string, unknown>,
        base,
        used.size === 1 ? [...used][0] : undefined,
      ),
    );
    if (monitor.type === "drift" && monitor.schedule !== undefined && !validateCron(monitor.schedule)) {
      problems.push({
        path: `${base}/schedule`,
        message: `not a valid cron expression (got ${showValue(monitor.schedule)})`,
      });
    }
    const reference = monitor.reference;
    if (reference.type !== "first" && !existsSync(resolvePath(reference.path))) {
      problems.push({
        path: `${base}/reference/path`,
        message: `file not found: ${resolvePath(reference.path)}`,
      });
    }
  }
  return problems;
}

/** Window shape problems the schema cannot express (steps, event time without `event_time`). */
function windowProblems(
  config: Config,
  w: Record<string, unknown>,
  base: string,
  sourceName: string | undefined,
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (w.type === "sliding") {
    if ("events" in w && !("step_events" in w))
      problems.push({ path: `${base}/window`, message: "a sliding window by events needs `step_events`" });
    if ("duration_secs" in w && !("step_secs" in w))
      problems.push({ path: `${base}/window`, message: "a sliding window by time needs `step_secs`" });
    const [length, step] = "events" in w ? [w.events, w.step_events] : [w.duration_secs, w.step_secs];
    if (
      typeof length === "number" &&
      typeof step === "number" &&
      (step > length || Math.abs(length / step - Math.round(length / step)) > 1e-9)
    ) {
      problems.push({
        path: `${base}/window`,
        message: `the window length (${length}) must be a whole multiple of the step (${step})`,
      });
    }
  } else if ("step_events" in w || "step_secs" in w) {
    problems.push({
      path: `${base}/window`,
      message: "a tumbling window takes no step; use type: sliding",
    });
  }
  if (w.time === "event") {
    const source = sourceName === undefined ? undefined : config.sources[sourceName];
    if (source !== undefined && source.event_time === undefined) {
      problems.push({
        path: `${base}/window/time`,
        message: `event time needs \`event_time\` on source ${showValue(sourceName)}`,
      });
    }
  }
  return problems;
}

/** Cross-checks of a checks monitor: its source, its suite (loaded and checked), its window. */
function checkChecks(
  config: Config,
  monitor: ChecksMonitorConfig,
  base: string,
  sources: readonly string[],
  resolvePath: (path: string) => string,
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (!sources.includes(monitor.source))
    problems.push({
      path: `${base}/source`,
      message: `unknown source ${showValue(monitor.source)}${suggest(monitor.source, sources)}; sources: ${sources.join(", ")}`,
    });
  const file = resolvePath(monitor.suite);
  let types: Set<string> = new Set();
  if (!existsSync(file)) problems.push({ path: `${base}/suite`, message: `file not found: ${file}` });
  else {
    try {
      types = new Set(loadSuite(file).expectations.map((e) => e.type));
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      for (const p of error.problems)
        problems.push({
          path: `${base}/suite`,
          message: `${error.file}${p.line === undefined ? "" : `:${p.line}`} ${p.path || "/"}: ${p.message}`,
        });
    }
  }
  const window = monitor.window as Record<string, unknown>;
  const resolved = (
    typeof window.same_as === "string"
      ? (config.monitors[window.same_as] as { window?: unknown })?.window
      : window
  ) as Record<string, unknown> | undefined;
  if (
    types.has("expect_window_event_count_to_be_within_history") &&
    resolved !== undefined &&
    "events" in resolved
  )
    problems.push({
      path: `${base}/window`,
      message:
        "expect_window_event_count_to_be_within_history compares event counts of time windows; a window of a fixed number of events always holds that many (use duration_secs)",
    });
  if (
    types.has("expect_event_time_lag_to_be_less_than") &&
    config.sources[monitor.source]?.event_time === undefined
  )
    problems.push({
      path: `${base}/suite`,
      message: `expect_event_time_lag_to_be_less_than needs \`event_time\` on source ${showValue(monitor.source)}`,
    });
  if (typeof window.same_as === "string") {
    const other = config.monitors[window.same_as];
    if (other?.type !== "drift")
      problems.push({
        path: `${base}/window/same_as`,
        message: `${showValue(window.same_as)} is not a drift monitor${suggest(
          window.same_as,
          Object.keys(config.monitors).filter((m) => config.monitors[m].type === "drift"),
        )}`,
      });
  } else problems.push(...windowProblems(config, window, base, monitor.source));
  if (monitor.reference !== undefined && !existsSync(resolvePath(monitor.reference.path)))
    problems.push({
      path: `${base}/reference/path`,
      message: `file not found: ${resolvePath(monitor.reference.path)}`,
    });
  return problems;
}

/** Cross-checks of a performance monitor: its sources, slice features and detectors. */
function checkPerformance(
  config: Config,
  monitor: PerformanceMonitorConfig,
  base: string,
  sources: readonly string[],
  features: readonly string[],
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const side of ["predictions", "labels"] as const) {
    const source = monitor[side].source;
    if (!sources.includes(source)) {
      problems.push({
        path: `${base}/${side}/source`,
        message: `unknown source ${showValue(source)}${suggest(source, sources)}; sources: ${sources.join(", ")}`,
      });
    }
  }
  for (const [slice, definition] of Object.entries(monitor.slices ?? {})) {
    const feature = config.features[definition.feature];
    if (feature === undefined) {
      problems.push({
        path: `${base}/slices/${slice}/feature`,
        message: `unknown feature ${showValue(definition.feature)}${suggest(definition.feature, features)}; features: ${features.join(", ")}`,
      });
    } else if (feature.source !== monitor.predictions.source) {
      problems.push({
        path: `${base}/slices/${slice}/feature`,
        message: `slices read features of the predictions source ${showValue(monitor.predictions.source)}; ${showValue(definition.feature)} is on ${showValue(feature.source)}`,
      });
    }
  }
  for (const [i, entry] of (monitor.detectors ?? []).entries()) {
    const { type, ...params } = entry;
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
  return problems;
}

/**
 * Reads, parses and validates a YAML configuration file: one JSON Schema (ajv, unknown keys
 * rejected), then the cross-references the schema cannot express. Throws a `ConfigError` listing
 * every problem with its JSON path and line; after this the code trusts the config.
 */
export function loadConfig(file: string): LoadedConfig {
  const { shown, text } = readText(file, "cannot read");
  const { document, counter, value } = parseYaml(text, shown, "finite-safe");
  const validate = validator();
  const base = dirname(resolve(file));
  const resolvePath = (path: string): string => resolve(base, path);
  const problems: ConfigProblem[] = validate(value) ? [] : explain(validate.errors ?? [], value);
  try {
    // Cross-references are checked even when the schema failed, so that one run shows every
    // problem; on a document too broken to walk they are simply not reported.
    problems.push(...crossCheck(value as Config, resolvePath));
  } catch {
    // reported by the schema already
  }
  const reject = (found: readonly ConfigProblem[]): ConfigError => {
    const located = found.map((p) => ({ ...p, line: p.line ?? lineOf(document, counter, p.path) }));
    located.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    return new ConfigError(shown, located);
  };
  if (problems.length > 0) throw reject(problems);
  return { file: resolve(file), config: value as Config, resolvePath, reject };
}
