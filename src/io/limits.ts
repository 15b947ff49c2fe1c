import { UserError } from "../errors.js";

/**
 * Limits on what one record of a data file may hold, checked while the file is read, so that a
 * hostile or broken file (a 2 GiB line, a million-column header) ends with a one-line error
 * instead of minutes of work and gigabytes of memory: a reader never holds more than one line
 * (plus one read chunk) it has not checked. The defaults are far above real data; `report`,
 * `profile` and `suggest` take them as flags, and the daemon reads reference files with the
 * defaults.
 */
export interface ReadLimits {
  /** Bytes in one line (a CSV row, a JSON Lines line, a JSON array element), line end excluded. */
  readonly maxLineBytes: number;
  /** Bytes in one field (a CSV cell, a JSON string value, a Parquet string or byte array). */
  readonly maxFieldBytes: number;
  /** Columns in one file (a CSV header, the distinct keys of JSON objects, a Parquet schema). */
  readonly maxColumns: number;
}

/** The limits when none are given: 64 MiB lines, 16 MiB fields, 10 000 columns. */
export const defaultReadLimits: ReadLimits = {
  maxLineBytes: 64 << 20,
  maxFieldBytes: 16 << 20,
  maxColumns: 10_000,
};

/** `file:line: ` for an error, or `file: ` when the line is not known. */
const at = (path: string, line?: number): string => `${path}${line === undefined ? "" : `:${line}`}: `;

/** A line longer than the limit; `bytes` when its whole length is known. */
export function lineTooLong(path: string, line: number, limits: ReadLimits, bytes?: number): UserError {
  return new UserError(
    bytes === undefined
      ? `${at(path, line)}line longer than ${limits.maxLineBytes} bytes (no line end within --max-line-bytes ${limits.maxLineBytes})`
      : `${at(path, line)}line of ${bytes} bytes, more than --max-line-bytes ${limits.maxLineBytes}`,
  );
}

/** A field longer than the limit; `field` names it (`column 3 ("name")`). */
export function fieldTooLong(
  path: string,
  line: number | undefined,
  field: string,
  bytes: number,
  limits: ReadLimits,
): UserError {
  return new UserError(
    `${at(path, line)}${field}: field of ${bytes} bytes, more than --max-field-bytes ${limits.maxFieldBytes}`,
  );
}

/** More columns than the limit; `count` when the whole count is known. */
export function tooManyColumns(
  path: string,
  line: number | undefined,
  limits: ReadLimits,
  count?: number,
): UserError {
  return new UserError(
    count === undefined
      ? `${at(path, line)}more than ${limits.maxColumns} columns (--max-columns ${limits.maxColumns})`
      : `${at(path, line)}${count} columns, more than --max-columns ${limits.maxColumns}`,
  );
}
