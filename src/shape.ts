import { showValue } from "./errors.js";

/**
 * Checks of state read back from a checkpoint: the checksums prove the bytes are the ones written,
 * these prove the values have the shape the code relies on (a count is a count, a window value is
 * a finite number, a tree pointer points forward), so that a writer's bug or a hand-edited file
 * is refused at load instead of hanging a loop or giving numbers. Each check throws a
 * {@link StateShapeError} naming the JSON path and the value.
 *
 * @example
 *   expectCount(-1, "/monitors/m/state/window/late") // throws: "…/late: not a count (got -1)"
 */
export class StateShapeError extends Error {
  override readonly name = "StateShapeError";
}

function fail(path: string, what: string, value: unknown): never {
  throw new StateShapeError(`${path}: ${what} (got ${showValue(value)})`);
}

/** A plain object (not null, not an array). */
export function expectObject(value: unknown, path: string): Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) fail(path, "not an object", value);
  return value as Record<string, unknown>;
}

/** An array. */
export function expectArray(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) fail(path, "not an array", value);
  return value;
}

/** A non-negative safe integer (events, windows, missing values). */
export function expectCount(value: unknown, path: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0)
    fail(path, "not a count", value);
  return value;
}

/** A finite number. */
export function expectFinite(value: unknown, path: string): number {
  if (typeof value !== "number" || !Number.isFinite(value)) fail(path, "not a finite number", value);
  return value;
}

/** A finite number or null (a time not seen yet). */
export function expectFiniteOrNull(value: unknown, path: string): number | null {
  return value === null ? null : expectFinite(value, path);
}

/** An array of finite numbers, optionally of a given length. */
export function expectFiniteArray(value: unknown, path: string, length?: number): number[] {
  const array = expectArray(value, path);
  if (length !== undefined && array.length !== length)
    fail(path, `not an array of ${length} numbers`, `${array.length} items`);
  for (let i = 0; i < array.length; i++) {
    const v = array[i];
    if (typeof v !== "number" || !Number.isFinite(v)) fail(`${path}/${i}`, "not a finite number", v);
  }
  return array as number[];
}

/** A string. */
export function expectString(value: unknown, path: string): string {
  if (typeof value !== "string") fail(path, "not a string", value);
  return value;
}

/** One of the given values. */
export function expectOneOf<T>(value: unknown, allowed: readonly T[], path: string): T {
  if (!allowed.includes(value as T))
    fail(path, `not one of ${allowed.map((a) => showValue(a)).join(", ")}`, value);
  return value as T;
}

/** A JSON pointer segment, escaped as RFC 6901 asks, for paths built from object keys. */
export function pointerSegment(key: string): string {
  return key.replace(/~/g, "~0").replace(/\//g, "~1");
}
