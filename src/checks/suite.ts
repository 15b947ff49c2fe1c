import { basename, extname } from "node:path";
import { isMap } from "yaml";
import { ConfigError, type ConfigProblem, showValue, suggest } from "../errors.js";
import { lineOf, parseYaml, readText } from "../io/yaml.js";
import { checkArgs } from "./args.js";
import { CompiledExpectation, type ExpectationConfig } from "./engine.js";
import { definitions } from "./registry.js";
import {
  ExpectationError,
  type ExpectationResult,
  type ResultFormatOptions,
  type TableView,
} from "./types.js";

/** A loaded expectation suite: its name, source file and compiled expectations. */
export interface Suite {
  readonly name: string;
  readonly file: string;
  readonly meta?: Readonly<Record<string, unknown>>;
  readonly expectations: readonly CompiledExpectation[];
}

/** GE's `ExpectationSuiteValidationResult`: every expectation's result plus the statistics. */
export interface SuiteResult {
  /** True when every `fail`-severity expectation succeeded (`warn` ones are reported only). */
  readonly success: boolean;
  readonly suite_name: string;
  readonly statistics: {
    readonly evaluated_expectations: number;
    readonly successful_expectations: number;
    readonly unsuccessful_expectations: number;
    readonly success_percent: number | null;
  };
  readonly results: readonly ExpectationResult[];
}

const SUITE_KEYS = [
  "name",
  "expectation_suite_name",
  "meta",
  "notes",
  "expectations",
  "id",
  "data_asset_type",
  "ge_cloud_id",
];
const EXPECTATION_KEYS = [
  "type",
  "expectation_type",
  "kwargs",
  "meta",
  "notes",
  "severity",
  "dead_letter",
  "id",
  "description",
  "rendered_content",
];

/**
 * Reads an expectation suite: YAML or JSON, in GE's suite format (`name`, `expectations` of
 * `{type, kwargs, meta, notes}`; GE 0.x's `expectation_suite_name` and `expectation_type` are read
 * too), plus driftwatch's `severity` and `dead_letter`. Every problem at once, each with its JSON
 * path, line and the valid choices, as a ConfigError; afterwards the suite is trusted.
 */
export function loadSuite(file: string): Suite {
  const { shown, text } = readText(file, "cannot read suite");
  return parseSuite(text, shown, basename(file, extname(file)));
}

/** Parses a suite from text (see `loadSuite`); `shown` names the file in errors. */
export function parseSuite(text: string, shown: string, fallbackName: string): Suite {
  const { document, counter, value } = parseYaml(text, shown);
  const problems: ConfigProblem[] = [];
  const expectations: CompiledExpectation[] = [];
  let name = fallbackName;
  let meta: Record<string, unknown> | undefined;
  if (!isMap(document.contents) || value === null || typeof value !== "object" || Array.isArray(value)) {
    problems.push({ path: "", message: "a suite is a map with an `expectations` list" });
  } else {
    const suite = value as Record<string, unknown>;
    for (const key of Object.keys(suite))
      if (!SUITE_KEYS.includes(key))
        problems.push({
          path: `/${key}`,
          message: `unknown key ${showValue(key)}${suggest(key, SUITE_KEYS)}; valid: ${SUITE_KEYS.join(", ")}`,
        });
    const given = suite.name ?? suite.expectation_suite_name;
    if (given !== undefined) {
      if (typeof given === "string" && given !== "") name = given;
      else
        problems.push({ path: "/name", message: `name must be a non-empty string, got ${showValue(given)}` });
    }
    if (suite.meta !== undefined) meta = suite.meta as Record<string, unknown>;
    if (!Array.isArray(suite.expectations))
      problems.push({ path: "/expectations", message: "expectations must be a list" });
    else
      suite.expectations.forEach((entry, i) => {
        const compiled = loadEntry(entry, `/expectations/${i}`, problems);
        if (compiled) expectations.push(compiled);
      });
  }
  if (problems.length > 0)
    throw new ConfigError(
      shown,
      problems.map((p) => ({ ...p, line: lineOf(document, counter, p.path) })),
    );
  return { name, file: shown, ...(meta === undefined ? {} : { meta }), expectations };
}

function loadEntry(entry: unknown, path: string, problems: ConfigProblem[]): CompiledExpectation | null {
  if (entry === null || typeof entry !== "object" || Array.isArray(entry)) {
    problems.push({ path, message: "an expectation is a map with `type` and `kwargs`" });
    return null;
  }
  const e = entry as Record<string, unknown>;
  const before = problems.length;
  for (const key of Object.keys(e))
    if (!EXPECTATION_KEYS.includes(key))
      problems.push({
        path: `${path}/${key}`,
        message: `unknown key ${showValue(key)}${suggest(key, EXPECTATION_KEYS)}; valid: ${EXPECTATION_KEYS.join(", ")}`,
      });
  const typeKey = "type" in e ? "type" : "expectation_type";
  const type = e[typeKey];
  if (typeof type !== "string") {
    problems.push({ path, message: "`type` (the GE expectation name) is required" });
    return null;
  }
  const definition = definitions.get(type);
  if (definition === undefined) {
    problems.push({
      path: `${path}/${typeKey}`,
      message: `unknown expectation ${showValue(type)}${suggest(type, [...definitions.keys()])}; \`driftwatch list\` shows them all`,
    });
    return null;
  }
  const kwargs = e.kwargs ?? {};
  if (kwargs === null || typeof kwargs !== "object" || Array.isArray(kwargs)) {
    problems.push({ path: `${path}/kwargs`, message: "kwargs must be a map" });
    return null;
  }
  if (e.severity !== undefined && e.severity !== "warn" && e.severity !== "fail")
    problems.push({
      path: `${path}/severity`,
      message: `severity ${showValue(e.severity)} is not one of "warn", "fail"`,
    });
  if (e.dead_letter !== undefined && typeof e.dead_letter !== "boolean")
    problems.push({ path: `${path}/dead_letter`, message: `dead_letter must be true or false` });
  if (e.dead_letter === true && definition.kind !== "row")
    problems.push({
      path: `${path}/dead_letter`,
      message: `${type} judges a whole window, not single events, so its events cannot be dead-lettered`,
    });
  const checked = checkArgs(definition, kwargs as Record<string, unknown>);
  for (const p of checked.problems) problems.push({ path: `${path}/kwargs${p.path}`, message: p.message });
  if (problems.length > before) return null;
  const config: ExpectationConfig = {
    type,
    kwargs: kwargs as Record<string, unknown>,
    ...(e.meta === undefined ? {} : { meta: e.meta as Record<string, unknown> }),
    ...(e.notes === undefined ? {} : { notes: e.notes }),
    ...(e.severity === undefined ? {} : { severity: e.severity as "warn" | "fail" }),
    ...(e.dead_letter === undefined ? {} : { dead_letter: e.dead_letter as boolean }),
  };
  try {
    return new CompiledExpectation(config, definition, checked.kwargs);
  } catch (error) {
    if (!(error instanceof ExpectationError)) throw error;
    problems.push({ path: `${path}/kwargs`, message: error.message });
    return null;
  }
}

/** Runs every expectation of a suite over one window (or file), GE's suite result. */
export function validateSuite(
  suite: Suite,
  table: TableView,
  format?: Partial<ResultFormatOptions>,
): SuiteResult {
  const results = suite.expectations.map((e) => e.evaluate(table, format));
  return summarise(suite.name, results);
}

/** The suite verdict and statistics of a list of results. */
export function summarise(suite_name: string, results: readonly ExpectationResult[]): SuiteResult {
  const successful = results.filter((r) => r.success).length;
  return {
    success: results.every((r) => r.success || r.expectation_config.severity === "warn"),
    suite_name,
    statistics: {
      evaluated_expectations: results.length,
      successful_expectations: successful,
      unsuccessful_expectations: results.length - successful,
      success_percent: results.length === 0 ? null : (successful / results.length) * 100,
    },
    results,
  };
}
