import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import type { ConfigProblem } from "../errors.js";
import { iqr } from "./iqr.js";
import { isolationForest } from "./isolation-forest.js";
import { mahalanobis } from "./mahalanobis.js";
import { robustZ } from "./robust-z.js";
import { thresholdSchema } from "./threshold.js";
import type { OutlierScorerKind } from "./types.js";

/**
 * Every outlier scorer, by the name used in config (`type: robust_z`). The config schema, the
 * `list` command and the conformance test are derived from this object, so adding a scorer is one
 * new file plus one line here.
 */
export const outlierScorers = {
  robust_z: robustZ,
  iqr,
  mahalanobis,
  isolation_forest: isolationForest,
} satisfies Record<string, AnyOutlierScorerKind>;

/** A registered scorer name. */
export type OutlierScorerName = keyof typeof outlierScorers;

/** A scorer kind whatever its params and model (for code that walks the registry). */
// biome-ignore lint/suspicious/noExplicitAny: params and model types differ per entry; each entry is checked by its own declaration
export type AnyOutlierScorerKind = Omit<OutlierScorerKind<any, any>, "schema"> & { readonly schema: object };

const ajv = new Ajv({ allErrors: true, strict: false });
const validators = new WeakMap<object, ValidateFunction>();

/**
 * Problems with a scorer's params, each with the JSON path under `prefix` and a message naming the
 * offending value, all at once; empty when the params are valid.
 *
 * @example
 * paramProblems("iqr", { k: -1 }, "/outliers/0/params")
 * // [{ path: "/outliers/0/params/k", message: "must be >= 0 (got -1)" }]
 */
export function paramProblems(name: OutlierScorerName, params: unknown, prefix = ""): ConfigProblem[] {
  return schemaProblems(outlierScorers[name].schema, params, prefix);
}

/**
 * Problems with threshold params (`thresholdSchema`), as `paramProblems` reports them.
 *
 * @example
 * thresholdProblems({ percentile: 99, value: 3 }, "/threshold")
 * // [{ path: "/threshold", message: "give either `percentile` or `value`, not both" }]
 */
export function thresholdProblems(params: unknown, prefix = ""): ConfigProblem[] {
  return schemaProblems(thresholdSchema, params, prefix);
}

function schemaProblems(schema: object, value: unknown, prefix: string): ConfigProblem[] {
  let validate = validators.get(schema);
  if (validate === undefined) {
    validate = ajv.compile(schema);
    validators.set(schema, validate);
  }
  if (validate(value)) return [];
  return (validate.errors ?? []).map((error) => problem(error, value, prefix));
}

function problem(error: ErrorObject, params: unknown, prefix: string): ConfigProblem {
  if (error.keyword === "additionalProperties") {
    const key = (error.params as { additionalProperty: string }).additionalProperty;
    return { path: `${prefix}${error.instancePath}/${key}`, message: `unknown key ${JSON.stringify(key)}` };
  }
  if (error.keyword === "not") {
    // Only the threshold schema uses `not` (percentile and value are exclusive).
    return {
      path: `${prefix}${error.instancePath}`,
      message: "give either `percentile` or `value`, not both",
    };
  }
  let value: unknown = params;
  for (const part of error.instancePath.split("/").slice(1)) {
    value =
      value !== null && typeof value === "object" ? (value as Record<string, unknown>)[part] : undefined;
  }
  return {
    path: `${prefix}${error.instancePath}`,
    message: `${error.message} (got ${JSON.stringify(value)})`,
  };
}
