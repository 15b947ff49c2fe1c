import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { valueAt } from "../decode/pointer.js";
import { EventDecoder } from "../decode/validate.js";
import { showValue, suggest } from "../errors.js";
import { endpointProblems } from "../io/endpoint.js";
import { lineOf, parseYaml, readText } from "../io/yaml.js";
import { monitorKinds, monitorSchemas } from "../monitors/registry.js";
import { sourceKind, sources as sourceKinds } from "../sources/registry.js";
import { clusterProblems } from "./cluster.js";
import { ConfigError, type ConfigProblem } from "./errors.js";
import { configSchemaWith } from "./schema.js";
import type { Config, SourceConfig } from "./types.js";

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
  // An `anyOf` of a number and an object (`min_effect`) fails in every branch: what a deeper
  // branch found wrong says it best; failing that, one line for the value, not one per branch.
  const anyOfPaths = new Set(errors.filter((e) => e.keyword === "anyOf").map((e) => e.instancePath));
  const deeper = (path: string) => errors.some((e) => e.instancePath.startsWith(`${path}/`));
  for (const error of errors) {
    const path = error.instancePath;
    const value = valueAt(document, path);
    if (anyOfPaths.has(path) && error.keyword !== "anyOf") continue;
    switch (error.keyword) {
      case "anyOf": {
        if (deeper(path)) break;
        const description = (error.parentSchema as { description?: string } | undefined)?.description;
        add(path, `must be ${description ?? "one of the allowed shapes"} (got ${showValue(value)})`);
        break;
      }
      // An `if`/`then` pair (a test's own options) reports what `then` found wrong as well.
      case "if":
        break;
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
  for (const problem of endpointProblems(config.metrics ?? {}, resolvePath))
    problems.push({ path: `/metrics/${problem.key}`, message: problem.message });
  for (const [name, feature] of Object.entries(config.features)) {
    if ((feature.type === "vector") !== (feature.dimension !== undefined)) {
      problems.push({
        path: `/features/${name}/${feature.type === "vector" ? "type" : "dimension"}`,
        message:
          feature.type === "vector"
            ? "a vector feature needs `dimension`, the numbers in its array"
            : `\`dimension\` is for vector features; this one is ${feature.type}`,
      });
    }
    if (!sources.includes(feature.source)) {
      problems.push({
        path: `/features/${name}/source`,
        message: `unknown source ${showValue(feature.source)}${suggest(feature.source, sources)}; sources: ${sources.join(", ")}`,
      });
    }
  }
  for (const [name, monitor] of Object.entries(config.monitors)) {
    // Each kind checks its own entries; a type no kind is registered under is the schema's problem.
    const kind = Object.hasOwn(monitorKinds, monitor.type) ? monitorKinds[monitor.type] : undefined;
    problems.push(...(kind?.problems?.(monitor, { config, resolvePath, path: `/monitors/${name}` }) ?? []));
  }
  problems.push(...clusterProblems(config));
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
  // `features` may be left out by a config whose monitors read none (a performance monitor).
  if (value !== null && typeof value === "object" && !Array.isArray(value) && !("features" in value))
    (value as Record<string, unknown>).features = {};
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
