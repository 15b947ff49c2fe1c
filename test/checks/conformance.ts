import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { compileExpectation } from "../../src/checks/engine.js";
import { ColumnTable } from "../../src/checks/table.js";
import {
  ExpectationError,
  type ExpectationResult,
  type ResultFormatOptions,
} from "../../src/checks/types.js";

/**
 * Runs Great Expectations' own JSON test definitions (GE 1.2.0, read in place from the shared
 * conformance folder) through driftwatch's expectation engine, applying GE's backend filters for
 * pandas (an in-memory engine, as ours is) and GE's comparison rules. See the folder's README.
 */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** Where GE's test definitions are: `DRIFTWATCH_GE_CONFORMANCE`, or `shared/` beside the project. */
export const CONFORMANCE_DIR =
  process.env.DRIFTWATCH_GE_CONFORMANCE ?? resolve(ROOT, "../shared/conformance/great_expectations");

const PANDAS_TAGS = ["pandas", "pandas_v3_api", "pandas>=024"];
const MAP_FOLDERS = [
  "column_map_expectations",
  "column_pair_map_expectations",
  "multicolumn_map_expectations",
];

interface GeTest {
  title: string;
  exact_match_out?: boolean;
  in: Record<string, unknown>;
  out: Record<string, unknown>;
  only_for?: string[];
  suppress_test_for?: string[];
  tolerance?: number;
  error?: unknown;
}

interface GeDataset {
  data: Record<string, unknown[]>;
  schemas?: Record<string, Record<string, string>>;
  only_for?: string[];
  suppress_test_for?: string[];
  tests: GeTest[];
}

/** One case: where it is, whether it applies to pandas, and how it went. */
export interface CaseOutcome {
  readonly id: string;
  readonly title: string;
  readonly applicable: boolean;
  readonly passed: boolean;
  /** Why it failed (first difference), for the report. */
  readonly reason?: string;
}

export interface Exclusion {
  readonly case: string;
  readonly reason: string;
}

/** The documented deviations (`conformance-exclusions.yaml`). */
export function loadExclusions(): Exclusion[] {
  const file = join(ROOT, "test/checks/conformance-exclusions.yaml");
  return (parse(readFileSync(file, "utf8")) as { exclusions: Exclusion[] | null }).exclusions ?? [];
}

function applies(dataset: GeDataset, test: GeTest, type: string): boolean {
  if (dataset.suppress_test_for?.includes("pandas")) return false;
  if (dataset.only_for && !dataset.only_for.includes("pandas")) return false;
  if (test.only_for && test.only_for.length > 0 && !test.only_for.some((t) => PANDAS_TAGS.includes(t)))
    return false;
  if (test.suppress_test_for?.some((t) => t === "pandas" || t === "pandas_v3_api")) return false;
  return !type.includes("like_pattern");
}

/** Naive ISO date-time text, as GE 1.x prints datetimes ("2019-01-01T00:00:00"). */
function isoNaive(date: Date): string {
  return date
    .toISOString()
    .replace(/\.000Z$/, "")
    .replace(/Z$/, "");
}

function parseDateTime(value: unknown): string | null {
  if (value === null) return null;
  const text = String(value);
  const ms = Date.parse(
    /[zZ]|[+-]\d\d:?\d\d$/.test(text) || !/\d/.test(text)
      ? text
      : `${text.replace(" ", "T")}${text.includes(":") || text.includes("T") ? "" : "T00:00:00"}Z`,
  );
  return Number.isNaN(ms) ? text : isoNaive(new Date(ms));
}

/** GE casts a pandas DataFrame to `schemas.pandas` before validating; we cast the JSON the same way. */
function castColumn(values: unknown[], type: string): unknown[] {
  return values.map((v) => {
    if (v === null) return null;
    switch (type) {
      case "int":
      case "int64":
      case "Int64Dtype":
      case "float":
      case "float64":
        return Number(v);
      case "str":
        return String(v);
      case "bool":
        return Boolean(v);
      case "date":
        return (parseDateTime(v) ?? "").slice(0, 10);
      case "datetime":
      case "datetime64":
      case "datetime64[ns]":
      case "timestamp":
        return parseDateTime(v);
      default:
        return v;
    }
  });
}

/** Suite parameters GE's tests use (`{"$PARAMETER": "now() - timedelta(weeks=52)"}`) as naive ISO text. */
function resolveParameters(kwargs: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(kwargs)) {
    const expr = (value as { $PARAMETER?: string } | null)?.$PARAMETER;
    if (typeof expr !== "string") {
      out[key] = value;
      continue;
    }
    const dt = /^datetime\((\d+),\s*(\d+),\s*(\d+)\)$/.exec(expr);
    const now = /^now\(\)(?:\s*-\s*timedelta\(weeks=(\d+)(?:\*(\d+))?\))?$/.exec(expr);
    if (dt) out[key] = isoNaive(new Date(Date.UTC(+dt[1], +dt[2] - 1, +dt[3])));
    else if (now) {
      const weeks = now[1] === undefined ? 0 : Number(now[1]) * Number(now[2] ?? 1);
      out[key] = isoNaive(new Date(Date.now() - weeks * 7 * 86_400_000));
    } else throw new Error(`unknown suite parameter ${expr}`);
  }
  return out;
}

function isClose(actual: number, expected: number, tolerance: number | undefined): boolean {
  if (Object.is(actual, expected)) return true;
  if (!Number.isFinite(expected) || !Number.isFinite(actual)) return actual === expected;
  if (tolerance !== undefined) return Math.abs(actual - expected) <= tolerance * Math.abs(expected);
  // GE: numpy.isclose (rtol 1e-7, atol 0.05) for numbers written with a decimal point; an integer
  // is held to equality.
  if (Number.isInteger(expected))
    return Math.abs(actual - expected) <= 1e-12 * Math.max(1, Math.abs(expected));
  return Math.abs(actual - expected) <= 0.05 + 1e-7 * Math.abs(expected);
}

/** Deep equality with GE's numeric tolerance; returns the first difference, or null. */
function diff(actual: unknown, expected: unknown, tolerance: number | undefined, path = ""): string | null {
  if (typeof expected === "number" && typeof actual === "number")
    return isClose(actual, expected, tolerance) ? null : `${path}: ${actual} != ${expected}`;
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length)
      return `${path}: ${JSON.stringify(actual)?.slice(0, 200)} != ${JSON.stringify(expected).slice(0, 200)}`;
    for (let i = 0; i < expected.length; i++) {
      const d = diff(actual[i], expected[i], tolerance, `${path}[${i}]`);
      if (d) return d;
    }
    return null;
  }
  if (expected !== null && typeof expected === "object") {
    if (actual === null || typeof actual !== "object" || Array.isArray(actual))
      return `${path}: ${JSON.stringify(actual)?.slice(0, 200)} != ${JSON.stringify(expected).slice(0, 200)}`;
    const a = actual as Record<string, unknown>;
    const e = expected as Record<string, unknown>;
    const keys = new Set([...Object.keys(a), ...Object.keys(e)]);
    for (const key of keys) {
      const d = diff(a[key], e[key], tolerance, `${path}.${key}`);
      if (d) return d;
    }
    return null;
  }
  return actual === expected ? null : `${path}: ${JSON.stringify(actual)} != ${JSON.stringify(expected)}`;
}

const byText = (a: unknown, b: unknown) => {
  const [x, y] = [JSON.stringify(a), JSON.stringify(b)];
  return x < y ? -1 : x > y ? 1 : 0;
};

/** Compares our result with GE's expected `out`, by GE's rules; null when they agree. */
function compare(result: ExpectationResult, test: GeTest): string | null {
  const out = test.out;
  const tolerance = test.tolerance;
  const errorExpected =
    "traceback_substring" in out || (test.error !== undefined && Object.keys(out).length === 0);
  if (errorExpected)
    return result.exception_info.raised_exception ? null : "an error was expected, none was raised";
  if (result.exception_info.raised_exception) return `raised: ${result.exception_info.exception_message}`;
  if (test.exact_match_out) {
    if (result.success !== out.success) return `success: ${result.success} != ${out.success}`;
    const expected = (out.result ?? {}) as Record<string, unknown>;
    const actual = result.result as Record<string, unknown>;
    for (const key of Object.keys(expected)) {
      if (!(key in actual)) continue;
      const d = diff(actual[key], expected[key], tolerance, `result.${key}`);
      if (d) return d;
    }
    return null;
  }
  const actual = result.result as Record<string, unknown>;
  for (const [key, expected] of Object.entries(out)) {
    switch (key) {
      case "success":
        if (result.success !== expected) return `success: ${result.success} != ${expected}`;
        break;
      case "observed_value_list": {
        const list = expected as unknown[];
        if (!list.some((e) => diff(actual.observed_value, e, tolerance) === null))
          return `observed_value: ${JSON.stringify(actual.observed_value)} not in ${JSON.stringify(list)}`;
        break;
      }
      case "unexpected_list":
      case "partial_unexpected_list": {
        const mine = [...((actual[key] as unknown[] | undefined) ?? [])].sort(byText);
        const theirs = [...(expected as unknown[])].sort(byText);
        const d = diff(mine, theirs, tolerance, key);
        if (d) return d;
        break;
      }
      case "unexpected_index_list": {
        const order = (x: unknown) =>
          typeof x === "number" ? x : ((x as { pk_index?: number }).pk_index ?? 0);
        const mine = [...((actual[key] as unknown[] | undefined) ?? [])].sort((a, b) => order(a) - order(b));
        const theirs = [...(expected as unknown[])].sort((a, b) => order(a) - order(b));
        const d = diff(mine, theirs, tolerance, key);
        if (d) return d;
        break;
      }
      case "value_counts": {
        // GE: every listed entry is in the result's details.value_counts.
        const details = (actual.details ?? {}) as Record<string, unknown>;
        const counts = (details.value_counts ?? []) as unknown[];
        for (const entry of expected as unknown[])
          if (!counts.some((c) => diff(c, entry, tolerance) === null))
            return `details.value_counts lacks ${JSON.stringify(entry)}`;
        break;
      }
      case "expected_partition":
      case "observed_partition": {
        // GE compares bins, weights and tail_weights (when listed) with numpy's allclose.
        const details = (actual.details ?? {}) as Record<string, Record<string, unknown> | undefined>;
        for (const [part, value] of Object.entries(expected as Record<string, unknown>)) {
          const d = diff(details[key]?.[part], value, tolerance, `details.${key}.${part}`);
          if (d) return d;
        }
        break;
      }
      case "details": {
        const e = expected as Record<string, unknown>;
        const a = (actual.details ?? {}) as Record<string, unknown>;
        for (const [dk, dv] of Object.entries(e)) {
          if (dk === "value_counts") {
            const counts = (a.value_counts ?? []) as unknown[];
            for (const entry of dv as unknown[])
              if (!counts.some((c) => diff(c, entry, tolerance) === null))
                return `details.value_counts lacks ${JSON.stringify(entry)}`;
            continue;
          }
          const d = diff(a[dk], dv, tolerance, `details.${dk}`);
          if (d) return d;
        }
        break;
      }
      default: {
        const d = diff(actual[key], expected, tolerance, key);
        if (d) return d;
      }
    }
  }
  return null;
}

/** Runs one case through the engine; an error while loading the expectation counts as raised. */
function runCase(folder: string, type: string, dataset: GeDataset, test: GeTest): ExpectationResult {
  const data: Record<string, unknown[]> = {};
  const schema = dataset.schemas?.pandas ?? {};
  for (const [column, values] of Object.entries(dataset.data))
    data[column] = schema[column] ? castColumn(values, schema[column]) : values;
  const columns = Object.keys(data);
  const isMap = MAP_FOLDERS.includes(folder);
  const rows = columns.length === 0 ? 0 : data[columns[0]].length;
  if (isMap) data.pk_index = Array.from({ length: rows }, (_, i) => i);
  const table = new ColumnTable(rows, data, columns);
  const kwargs = resolveParameters(test.in);
  const given = kwargs.result_format;
  const format: Partial<ResultFormatOptions> = {
    result_format:
      typeof given === "string"
        ? (given as ResultFormatOptions["result_format"])
        : ((given as { result_format?: ResultFormatOptions["result_format"] } | undefined)?.result_format ??
          "COMPLETE"),
    ...(isMap ? { unexpected_index_column_names: ["pk_index"] } : {}),
  };
  try {
    return compileExpectation({ type, kwargs }).evaluate(table, format);
  } catch (error) {
    if (!(error instanceof ExpectationError)) throw error;
    return {
      success: false,
      expectation_config: { type, kwargs },
      result: {},
      exception_info: { raised_exception: true, exception_message: error.message },
    };
  }
}

/** Every case of every file, in a stable order, with its outcome. */
export function runConformance(filter?: (id: string) => boolean): CaseOutcome[] {
  const outcomes: CaseOutcome[] = [];
  const folders = readdirSync(CONFORMANCE_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name !== "expectation_schemas")
    .map((d) => d.name)
    .sort();
  for (const folder of folders) {
    for (const file of readdirSync(join(CONFORMANCE_DIR, folder)).sort()) {
      if (!file.endsWith(".json")) continue;
      const text = readFileSync(join(CONFORMANCE_DIR, folder, file), "utf8").replace(
        /(-?)Infinity\b/g,
        '"$1Infinity"',
      );
      const spec = JSON.parse(text, (_, v) =>
        v === "Infinity" ? Infinity : v === "-Infinity" ? -Infinity : v,
      ) as { expectation_type: string; datasets: GeDataset[] };
      spec.datasets.forEach((dataset, di) => {
        dataset.tests.forEach((test, ti) => {
          const id = `${folder}/${file}#${di}.${ti}`;
          if (filter && !filter(id)) return;
          if (!applies(dataset, test, spec.expectation_type)) {
            outcomes.push({ id, title: test.title, applicable: false, passed: false });
            return;
          }
          let reason: string | null;
          try {
            reason = compare(runCase(folder, spec.expectation_type, dataset, test), test);
          } catch (error) {
            reason = `threw ${(error as Error).stack?.split("\n").slice(0, 3).join(" | ")}`;
          }
          outcomes.push({
            id,
            title: test.title,
            applicable: true,
            passed: reason === null,
            ...(reason === null ? {} : { reason }),
          });
        });
      });
    }
  }
  return outcomes;
}
