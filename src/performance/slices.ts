/**
 * Declared slices: named feature conditions under which the monitor keeps one more accumulator,
 * so that quality can be read per segment (`slices: { eu: { feature: region, in: [eu] } }`).
 *
 * @example
 * sliceMatches({ feature: "region", in: ["eu"] }, "eu") // true
 * sliceMatches({ feature: "age", gte: 18, lt: 65 }, 70) // false
 * matchingSlices({ eu: { feature: "region", in: ["eu"] }, adults: { feature: "age", gte: 18 } },
 *   (f) => ({ region: "eu", age: 12 })[f]) // ["eu"]
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
  if ("in" in slice) {
    if (typeof value !== "string" && typeof value !== "boolean" && typeof value !== "number") return false;
    if (typeof value === "number" && Number.isNaN(value)) return false;
    const key = String(value);
    return slice.in.some((member) => String(member) === key);
  }
  if (typeof value !== "number" || !Number.isFinite(value)) return false;
  return (
    (slice.gte === undefined || value >= slice.gte) &&
    (slice.gt === undefined || value > slice.gt) &&
    (slice.lte === undefined || value <= slice.lte) &&
    (slice.lt === undefined || value < slice.lt)
  );
}

/**
 * The names of the slices an observation belongs to, in declaration order; `featureOf` reads a
 * feature of the observation (the caller resolves names to event fields).
 */
export function matchingSlices(
  slices: Readonly<Record<string, Slice>>,
  featureOf: (feature: string) => unknown,
): string[] {
  const names: string[] = [];
  for (const [name, slice] of Object.entries(slices))
    if (sliceMatches(slice, featureOf(slice.feature))) names.push(name);
  return names;
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
