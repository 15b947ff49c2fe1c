/**
 * Declared slices: named feature conditions under which the monitor keeps one more accumulator,
 * so that quality can be read per segment (`slices: { eu: { feature: region, in: [eu] } }`).
 *
 * @example
 * sliceMatches({ feature: "region", in: ["eu"] }, "eu") // true
 * sliceMatches({ feature: "age", gte: 18, lt: 65 }, 70) // false
 * compileSlices({ eu: { feature: "region", in: ["eu"] }, adults: { feature: "age", gte: 18 } })(
 *   { region: "eu", age: 12 }) // ["eu"]
 */

import type { Slice } from "./types.js";

/**
 * Whether a feature value belongs to a slice.
 *
 * `in`: the value is one of the listed values, compared by text as categorical features are
 * (`String(value)`), so the number 1, the string "1" and a listed 1 or "1" all match; only
 * strings, numbers and booleans can match. Ranges (`gte`, `gt`, `lte`, `lt`, all given bounds
 * must hold): the value must be a finite number; numeric strings do not match, since a range
 * names a numeric feature.
 *
 * Edge cases: a missing value (undefined or null), NaN, an object or an array matches nothing.
 */
export function sliceMatches(slice: Slice, value: unknown): boolean {
  return sliceTest(slice)(value);
}

/** `sliceMatches` for one slice, with an `in` list turned into a set of texts once. */
function sliceTest(slice: Slice): (value: unknown) => boolean {
  if ("in" in slice) {
    const members = new Set(slice.in.map(String));
    return (value) =>
      (typeof value === "string" ||
        typeof value === "boolean" ||
        (typeof value === "number" && !Number.isNaN(value))) &&
      members.has(String(value));
  }
  const { gte, gt, lte, lt } = slice;
  return (value) =>
    typeof value === "number" &&
    Number.isFinite(value) &&
    (gte === undefined || value >= gte) &&
    (gt === undefined || value > gt) &&
    (lte === undefined || value <= lte) &&
    (lt === undefined || value < lt);
}

/** The names of the slices an observation's features (by feature name) belong to. */
export type SliceMatcher = (features: Readonly<Record<string, unknown>>) => readonly string[];

/** What a matcher returns for an observation in no slice: one array, so that it allocates none. */
const NO_SLICES: readonly string[] = Object.freeze([]);

/**
 * The declared slices compiled once into a matcher, which runs for every prediction: it returns
 * the names of the slices the observation belongs to, in declaration order (see `sliceMatches`),
 * and the same empty array whenever there is none.
 */
export function compileSlices(slices: Readonly<Record<string, Slice>>): SliceMatcher {
  const tests = Object.entries(slices).map(([name, slice]) => ({
    name,
    feature: slice.feature,
    matches: sliceTest(slice),
  }));
  return (features) => {
    let names: string[] | null = null;
    for (const { name, feature, matches } of tests) {
      if (!matches(features[feature])) continue;
      if (names === null) names = [name];
      else names.push(name);
    }
    return names ?? NO_SLICES;
  };
}

const sliceValue = { anyOf: [{ type: "string" }, { type: "number" }, { type: "boolean" }] } as const;
const bound = { type: "number" } as const;

/**
 * JSON Schema (draft-07) of one slice, for the config schema to include under `slices`'
 * `additionalProperties`: either `in` (a non-empty list) or at least one numeric bound.
 */
export const sliceSchema = {
  oneOf: [
    {
      type: "object",
      additionalProperties: false,
      required: ["feature", "in"],
      properties: {
        feature: { type: "string", minLength: 1, description: "feature the slice reads" },
        in: {
          type: "array",
          minItems: 1,
          items: sliceValue,
          description: "values in the slice, matched by text as categories are",
        },
      },
    },
    {
      type: "object",
      additionalProperties: false,
      required: ["feature"],
      anyOf: [{ required: ["gte"] }, { required: ["gt"] }, { required: ["lte"] }, { required: ["lt"] }],
      properties: {
        feature: { type: "string", minLength: 1, description: "feature the slice reads" },
        gte: { ...bound, description: "value ≥ this" },
        gt: { ...bound, description: "value > this" },
        lte: { ...bound, description: "value ≤ this" },
        lt: { ...bound, description: "value < this" },
      },
    },
  ],
} as const;
