/**
 * A problem the user can fix: a bad flag, a missing or malformed file, a column that does not
 * exist. The CLI prints its message as one line and exits with code 2, without a stack trace.
 * Messages are lower-case fragments naming the file, line and column where they apply, e.g.
 * `data/current.csv:17: column "price": expected 5 fields, found 4`.
 */
export class UserError extends Error {
  override readonly name = "UserError";
}

/** Formats a value for an error message: JSON (strings quoted), cut to 60 characters. */
export function showValue(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
