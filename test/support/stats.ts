import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import type { ColumnSample } from "../../src/stats/types.js";

/** Asserts |actual − expected| ≤ max(rtol·|expected|, atol), naming the value on failure. */
export function assertClose(
  actual: number,
  expected: number,
  rtol: number,
  atol: number,
  label: string,
): void {
  const err = Math.abs(actual - expected);
  assert.ok(
    err <= Math.max(rtol * Math.abs(expected), atol),
    `${label}: got ${actual}, expected ${expected} (error ${err})`,
  );
}

/** A numeric sample from unsorted values. */
export const numeric = (values: readonly number[]): ColumnSample => ({
  kind: "numeric",
  sorted: Float64Array.from(values).sort(),
});

/** A categorical sample from [category, count] pairs. */
export const categorical = (pairs: readonly [string, number][]): ColumnSample => ({
  kind: "categorical",
  counts: new Map(pairs),
});

/** Seattle's 1461 days (drift/demo/seattle-weather.jsonl) as events, in calendar order. */
export function seattleDays(): Record<string, unknown>[] {
  return readFileSync("drift/demo/seattle-weather.jsonl", "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
