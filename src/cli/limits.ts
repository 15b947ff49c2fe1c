import { constants } from "node:buffer";
import { type Command, InvalidArgumentError } from "commander";
import { defaultReadLimits, type ReadLimits } from "../io/limits.js";

/** Parses a whole-number flag within bounds, with a message naming the flag. */
export function integerIn(flag: string, min: number, max: number) {
  return (text: string): number => {
    const value = Number(text);
    if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(value) || value < min || value > max)
      throw new InvalidArgumentError(
        `${flag} must be a whole number in [${min}, ${max}] (got ${JSON.stringify(text)})`,
      );
    return value;
  };
}

/** The flags of {@link addLimitOptions}, as commander hands them over. */
export interface LimitFlags {
  maxLineBytes: number;
  maxFieldBytes: number;
  maxColumns: number;
}

// A line or field becomes one string before it is parsed, and V8 strings stop at this length.
const MAX_TEXT_BYTES = constants.MAX_STRING_LENGTH;

/** Adds `--max-line-bytes`, `--max-field-bytes` and `--max-columns` (see `ReadLimits`). */
export function addLimitOptions(command: Command): Command {
  return command
    .option(
      "--max-line-bytes <bytes>",
      "longest line a data file may have (a CSV row, a JSON Lines line, a JSON array element)",
      integerIn("--max-line-bytes", 1, MAX_TEXT_BYTES),
      defaultReadLimits.maxLineBytes,
    )
    .option(
      "--max-field-bytes <bytes>",
      "longest field (a CSV cell, a JSON or Parquet string)",
      integerIn("--max-field-bytes", 1, MAX_TEXT_BYTES),
      defaultReadLimits.maxFieldBytes,
    )
    .option(
      "--max-columns <n>",
      "most columns a data file may have",
      integerIn("--max-columns", 1, 10_000_000),
      defaultReadLimits.maxColumns,
    );
}

/** The read limits the flags give. */
export function limitsOf(flags: LimitFlags): ReadLimits {
  return {
    maxLineBytes: flags.maxLineBytes,
    maxFieldBytes: flags.maxFieldBytes,
    maxColumns: flags.maxColumns,
  };
}
