import { showValue, suggest } from "../errors.js";
import type { ArgKind, ArgSpec, ExpectationDefinition, Kwargs } from "./types.js";

/** One problem with an expectation's keyword arguments; `path` is relative to `kwargs`. */
export interface ArgProblem {
  readonly path: string;
  readonly message: string;
}

const RESULT_FORMATS = ["BOOLEAN_ONLY", "BASIC", "SUMMARY", "COMPLETE"];

/** Keyword arguments every expectation of a domain takes, beyond its own. */
export function commonArgs(definition: ExpectationDefinition): Record<string, ArgSpec> {
  const args: Record<string, ArgSpec> = {
    result_format: { kind: ["string", "object"] },
    catch_exceptions: { kind: "boolean", default: true },
    include_config: { kind: "boolean", default: true },
  };
  // A table expectation sees the whole window; only those that say how they apply a row
  // condition (the row counts) take one, declared in their own args.
  if (definition.domain !== "table") {
    args.row_condition = { kind: "string", nullable: true };
    args.condition_parser = { kind: "string", nullable: true };
  }
  if (definition.kind !== "aggregate") args.mostly = { kind: "number", default: 1, min: 0, max: 1 };
  switch (definition.domain) {
    case "column":
      args.column = { kind: "string", required: true };
      break;
    case "column_pair":
      args.column_A = { kind: "string", required: true };
      args.column_B = { kind: "string", required: true };
      args.ignore_row_if = {
        kind: "string",
        default: "both_values_are_missing",
        oneOf: ["both_values_are_missing", "either_value_is_missing", "neither"],
      };
      break;
    case "multicolumn":
      args.column_list = { kind: "array", required: true };
      args.ignore_row_if = {
        kind: "string",
        default: "all_values_are_missing",
        oneOf: ["all_values_are_missing", "any_value_is_missing", "never"],
      };
      break;
    case "table":
      break;
  }
  return args;
}

function kindOf(value: unknown): ArgKind {
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  if (typeof value === "string") return "string";
  if (typeof value === "boolean") return "boolean";
  return "object";
}

function accepts(kinds: readonly ArgKind[], value: unknown): boolean {
  const kind = kindOf(value);
  return kinds.some(
    (k) =>
      k === "any" ||
      k === kind ||
      (k === "number" && kind === "integer") ||
      (k === "comparable" && (kind === "number" || kind === "integer" || kind === "string")),
  );
}

/**
 * Checks keyword arguments against a definition (its own and the common ones) and fills in
 * defaults. Collects every problem, each with its argument's path and, for unknown names, the
 * nearest valid one.
 */
export function checkArgs(
  definition: ExpectationDefinition,
  kwargs: Readonly<Record<string, unknown>>,
): { kwargs: Kwargs; problems: ArgProblem[] } {
  const specs = { ...commonArgs(definition), ...definition.args };
  const problems: ArgProblem[] = [];
  const out: Record<string, unknown> = {};
  const known = Object.keys(specs);
  for (const [name, value] of Object.entries(kwargs)) {
    const spec = specs[name];
    if (spec === undefined) {
      problems.push({
        path: `/${name}`,
        message: `unknown argument ${showValue(name)} of ${definition.type}${suggest(name, known)}; valid: ${known.join(", ")}`,
      });
      continue;
    }
    if (value === null || value === undefined) {
      if (!spec.nullable && spec.required)
        problems.push({ path: `/${name}`, message: `${name} is required and cannot be null` });
      continue;
    }
    const kinds = typeof spec.kind === "string" ? [spec.kind] : spec.kind;
    if (!accepts(kinds, value)) {
      problems.push({
        path: `/${name}`,
        message: `${name} must be ${kinds.join(" or ")}, got ${showValue(value)}`,
      });
      continue;
    }
    if (spec.oneOf && !spec.oneOf.includes(value)) {
      problems.push({
        path: `/${name}`,
        message: `${name} ${showValue(value)} is not one of ${spec.oneOf.map((v) => showValue(v)).join(", ")}${typeof value === "string" ? suggest(value, spec.oneOf.map(String)) : ""}`,
      });
      continue;
    }
    if (typeof value === "number" && ((spec.min ?? -Infinity) > value || value > (spec.max ?? Infinity))) {
      problems.push({
        path: `/${name}`,
        message: `${name} must be between ${spec.min ?? "-inf"} and ${spec.max ?? "inf"}, got ${value}`,
      });
      continue;
    }
    out[name] = value;
  }
  for (const [name, spec] of Object.entries(specs)) {
    if (out[name] !== undefined) continue;
    if (spec.required && !(name in kwargs)) {
      problems.push({ path: `/${name}`, message: `${name} is required by ${definition.type}` });
    } else if (spec.default !== undefined) out[name] = spec.default;
  }
  if (typeof out.result_format === "string" && !RESULT_FORMATS.includes(out.result_format))
    problems.push({
      path: "/result_format",
      message: `result_format ${showValue(out.result_format)} is not one of ${RESULT_FORMATS.join(", ")}`,
    });
  return { kwargs: out, problems };
}
