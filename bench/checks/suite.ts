/**
 * The expectation suite of `npm run bench:checks`: 20 expectations over bench/stream's events
 * (bench/stream/events.ts), a realistic mix of 14 row-level and 6 window-level ones, all of which
 * pass on those events (ranges from `eventAt`, with `mostly` where a tail could cross a bound).
 * Columns are feature names of the bench config (`amount`, `country`, ...), JSON pointers for the
 * fields that are not features (`/request/trace_id`) and top-level field names (`event_id`), so
 * that all three ways of naming a column are resolved.
 *
 * The suite is written as YAML to the scratch dir and loaded by the daemon itself (the checks
 * monitor's `suite:` path), exactly as a user's suite would be.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";

/** One suite entry, in GE's format plus driftwatch's `severity` and `dead_letter`. */
export interface SuiteEntry {
  readonly type: string;
  readonly kwargs: Readonly<Record<string, unknown>>;
  readonly severity?: "warn" | "fail";
  readonly dead_letter?: boolean;
}

const countries = ["US", "DE", "FR", "GB", "ES", "IT", "NL", "PL", "SE", "BR", "IN", "JP"];
const devices = ["android", "ios", "web", "tablet"];
const channels = ["organic", "paid_search", "referral", "email", "partner", "social"];
const segments = ["retail", "small_business", "premium"];

/** The 14 row-level expectations: compiled once to per-value closures, judged on every row. */
export const rowLevel: readonly SuiteEntry[] = [
  { type: "expect_column_values_to_not_be_null", kwargs: { column: "event_id" } },
  {
    type: "expect_column_values_to_match_regex",
    kwargs: { column: "event_id", regex: "^evt-[0-9a-f]{12}$" },
    // Judged per event as it arrives too (`ChecksMonitor#rejects`): an id that cannot be joined
    // on is set aside. None of the bench events fails it, so every event is accepted.
    dead_letter: true,
  },
  { type: "expect_column_values_to_not_be_null", kwargs: { column: "amount" } },
  { type: "expect_column_values_to_be_between", kwargs: { column: "age", min_value: 18, max_value: 95 } },
  {
    type: "expect_column_values_to_be_between",
    kwargs: { column: "credit_score", min_value: 300, max_value: 850 },
  },
  {
    type: "expect_column_values_to_be_between",
    kwargs: { column: "utilization", min_value: 0, max_value: 1 },
  },
  {
    type: "expect_column_values_to_be_between",
    kwargs: { column: "latency_ms", min_value: 0, max_value: 200, mostly: 0.99 },
  },
  { type: "expect_column_values_to_be_in_set", kwargs: { column: "country", value_set: countries } },
  { type: "expect_column_values_to_be_in_set", kwargs: { column: "device", value_set: devices } },
  { type: "expect_column_values_to_be_in_set", kwargs: { column: "channel", value_set: channels } },
  { type: "expect_column_values_to_be_of_type", kwargs: { column: "pages_viewed", type_: "int" } },
  {
    type: "expect_column_value_lengths_to_be_between",
    kwargs: { column: "/request/trace_id", min_value: 32, max_value: 32 },
  },
  {
    // log(income) − log(amount) is about N(6.8, 1.2²): a negative one is a 1e-8 event.
    type: "expect_column_pair_values_a_to_be_greater_than_b",
    kwargs: { column_A: "income", column_B: "amount", mostly: 0.999 },
  },
  {
    // The four context fields draw from disjoint vocabularies.
    type: "expect_select_column_values_to_be_unique_within_record",
    kwargs: { column_list: ["country", "device", "channel", "segment"] },
  },
];

/** The 6 window-level expectations (windows of `window` events): the whole window's values, once per window. */
export const windowLevel = (window: number): readonly SuiteEntry[] => [
  { type: "expect_column_values_to_be_unique", kwargs: { column: "event_id" } },
  {
    // N(690, 60²) clamped to [300, 850]: the mean of 10 000 is 690 ± 0.6.
    type: "expect_column_mean_to_be_between",
    kwargs: { column: "credit_score", min_value: 670, max_value: 710 },
    severity: "warn",
  },
  {
    // 20 + 8·χ²₁ (× 1.01 after the shift): quantiles 23.6, 41.6 and 73.1.
    type: "expect_column_quantile_values_to_be_between",
    kwargs: {
      column: "latency_ms",
      quantile_ranges: {
        quantiles: [0.5, 0.9, 0.99],
        value_ranges: [
          [20, 28],
          [35, 50],
          [60, 90],
        ],
      },
    },
  },
  { type: "expect_column_distinct_values_to_be_in_set", kwargs: { column: "segment", value_set: segments } },
  { type: "expect_table_row_count_to_equal", kwargs: { value: window } },
  {
    // Fields must neither appear, disappear nor change type (every number is one JSON type).
    type: "expect_schema_to_match_reference",
    kwargs: {},
  },
];

/** The whole suite for windows of `window` events, row-level expectations first. */
export function benchSuite(window: number) {
  return {
    name: "bench",
    meta: { notes: "npm run bench:checks; written by bench/checks/suite.ts" },
    expectations: [...rowLevel, ...windowLevel(window)],
  };
}

/** Writes the suite for windows of `window` events as YAML into `dir`; returns its path. */
export function writeSuite(dir: string, window: number): string {
  const file = join(dir, "suite.yaml");
  writeFileSync(file, `# written by bench/checks/suite.ts\n${stringify(benchSuite(window))}`);
  return file;
}
