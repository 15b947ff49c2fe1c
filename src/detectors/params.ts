import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { valueAt } from "../decode/pointer.js";
import { showValue } from "../errors.js";
import type { DetectorKind, ParamProblem } from "./types.js";

const compiled = new WeakMap<object, ValidateFunction>();

function validator<P, S>(kind: DetectorKind<P, S>): ValidateFunction {
  let validate = compiled.get(kind);
  if (validate === undefined) {
    validate = new Ajv({ allErrors: true, strict: true }).compile(kind.schema);
    compiled.set(kind, validate);
  }
  return validate;
}

function describe(error: ErrorObject, params: unknown, known: readonly string[]): ParamProblem {
  switch (error.keyword) {
    case "additionalProperties": {
      const key = (error.params as { additionalProperty: string }).additionalProperty;
      return {
        path: `${error.instancePath}/${key}`,
        message: `unknown key ${showValue(key)}; known keys: ${known.join(", ")}`,
      };
    }
    case "enum": {
      const allowed = (error.params as { allowedValues: unknown[] }).allowedValues.map(String);
      return {
        path: error.instancePath,
        message: `must be one of ${allowed.join(", ")} (got ${showValue(valueAt(params, error.instancePath))})`,
      };
    }
    default:
      return {
        path: error.instancePath,
        message: `${error.message ?? "is invalid"} (got ${showValue(valueAt(params, error.instancePath))})`,
      };
  }
}

/**
 * Every problem with a detector's params: its JSON Schema's (ajv, all errors), then, when those
 * pass, the kind's own cross-parameter `check`. Each problem has a JSON pointer into the params, so
 * the config loader can prefix the entry's path. Empty when the params are valid.
 *
 * @example
 * paramProblemsOf(adwin, { delta: 2, clok: 1 })
 * // [{ path: "/clok", message: "unknown key \"clok\"; known keys: delta, clock, ..." },
 * //  { path: "/delta", message: "must be < 1 (got 2)" }]
 */
export function paramProblemsOf<P, S>(kind: DetectorKind<P, S>, params: unknown): ParamProblem[] {
  const validate = validator(kind);
  if (validate(params)) return kind.check(params as P);
  const known = Object.keys((kind.schema as { properties?: Record<string, unknown> }).properties ?? {});
  return (validate.errors ?? []).map((error) => describe(error, params, known));
}
