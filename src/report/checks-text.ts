import type { ExpectationOutcome } from "./model.js";

/**
 * Expectation outcomes as plain text for the renderers (which escape it for their markup): what
 * an expectation found and its arguments, one line each.
 */

/** A value for a one-line summary: JSON (fractions to six significant digits), cut to `max` characters. */
export function showCompact(value: unknown, max = 80): string {
  // Six significant digits are plenty to read a result; the JSON report keeps every digit.
  const text =
    JSON.stringify(value, (_, v) =>
      typeof v === "number" && !Number.isInteger(v) ? Number(v.toPrecision(6)) : v,
    ) ?? String(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Kwargs the renderers leave out of an expectation's arguments: its columns (shown apart) and options. */
const HIDDEN_KWARGS = new Set([
  "column",
  "column_A",
  "column_B",
  "column_list",
  "result_format",
  "catch_exceptions",
  "include_config",
  "meta",
]);

/**
 * An expectation's arguments as one line of plain text, e.g. `min_value: -4.7, max_value: 38`
 * (columns and result options left out), cut to `max` characters.
 */
export function showKwargs(kwargs: Readonly<Record<string, unknown>>, max = 120): string {
  const text = Object.entries(kwargs)
    .filter(([key]) => !HIDDEN_KWARGS.has(key))
    .map(([key, value]) => `${key}: ${showCompact(value, 60)}`)
    .join(", ");
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function formatPercent(value: number): string {
  if (value === 0) return "0";
  return value < 0.01 ? value.toExponential(1) : String(Number(value.toPrecision(3)));
}

/**
 * What an expectation found, as one line of plain text for the renderers (which escape it):
 * the error, the unexpected values, or the observed value.
 *
 * @example
 * describeOutcome(o) // "3 unexpected (0.822%), e.g. 36.1, 37.2, 38"
 */
export function describeOutcome(o: ExpectationOutcome): string {
  if (o.error !== null) return `error: ${o.error}`;
  if (o.unexpected_count !== undefined) {
    const share = o.unexpected_percent == null ? "" : ` (${formatPercent(o.unexpected_percent)}%)`;
    const examples = (o.partial_unexpected_list ?? []).slice(0, 5).map((v) => showCompact(v, 40));
    return `${o.unexpected_count} unexpected${share}${examples.length > 0 && o.unexpected_count > 0 ? `, e.g. ${examples.join(", ")}` : ""}`;
  }
  if (o.observed_value !== undefined) return `observed ${showCompact(o.observed_value)}`;
  return "";
}
