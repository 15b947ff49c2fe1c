import {
  type AggregateOutcome,
  ExpectationError,
  type Kwargs,
  type StreamContext,
  type TableDefinition,
  type TableView,
} from "../types.js";

/**
 * Expectations for streams, beyond GE: freshness, schema change and volume. They are table
 * expectations that read the window's stream context (arrival and event times, the fields seen,
 * earlier windows' counts), so they run in the daemon; over a file, those that need a clock or
 * history raise a clear error instead of guessing.
 */

function contextOf(table: TableView, type: string, needs: keyof StreamContext): StreamContext {
  const context = table.context;
  if (context === undefined || context[needs] === undefined)
    throw new ExpectationError(
      `${type} needs a stream (${needs.replaceAll("_", " ")}); it runs in the daemon`,
    );
  return context;
}

/** The q-quantile of sorted values (linear interpolation, numpy's default). */
function quantile(sorted: readonly number[], q: number): number {
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
}

const eventTimeLag: TableDefinition = {
  type: "expect_event_time_lag_to_be_less_than",
  description:
    "Events arrive at most max_lag_secs after their own event time (for at least `mostly` of the events that carry one).",
  domain: "table",
  kind: "aggregate",
  args: {
    max_lag_secs: { kind: "number", required: true, min: 0 },
    mostly: { kind: "number", default: 1, min: 0, max: 1 },
  },
  compile(kwargs: Kwargs) {
    const max = kwargs.max_lag_secs as number;
    const mostly = kwargs.mostly as number;
    return (table): AggregateOutcome => {
      const lags = (contextOf(table, this.type, "lag_secs").lag_secs as (number | null)[]).filter(
        (l): l is number => l !== null,
      );
      if (lags.length === 0)
        return { success: true, observed_value: null, details: { events_with_time: 0, late: 0 } };
      const sorted = [...lags].sort((a, b) => a - b);
      const late = lags.filter((l) => l > max).length;
      return {
        success: (lags.length - late) / lags.length >= mostly,
        observed_value: sorted[sorted.length - 1],
        details: {
          events_with_time: lags.length,
          late,
          late_percent: (late / lags.length) * 100,
          p50_secs: quantile(sorted, 0.5),
          p99_secs: quantile(sorted, 0.99),
        },
      };
    };
  },
};

const timeSinceLastEvent: TableDefinition = {
  type: "expect_time_since_last_event_to_be_less_than",
  description:
    "The source delivered an event within the last max_secs (judged at every window and every second between them, so silence is seen).",
  domain: "table",
  kind: "aggregate",
  args: { max_secs: { kind: "number", required: true, min: 0 } },
  compile(kwargs: Kwargs) {
    const max = kwargs.max_secs as number;
    return (table): AggregateOutcome => {
      const context = contextOf(table, this.type, "last_arrival");
      if (context.last_arrival === null) return { success: false, observed_value: null };
      const since = Math.max(0, (context.now - context.last_arrival) / 1000);
      return { success: since < max, observed_value: since };
    };
  },
};

const schemaMatchesReference: TableDefinition = {
  type: "expect_schema_to_match_reference",
  description:
    "The window's fields (JSON pointers to leaves) and their JSON types are those of the reference: no field appears, disappears or changes type unless allowed.",
  domain: "table",
  kind: "aggregate",
  args: {
    allow_new_fields: { kind: "boolean", default: false },
    allow_missing_fields: { kind: "boolean", default: false },
    allow_type_changes: { kind: "boolean", default: false },
    /** Fields (pointers) not compared, e.g. free-form payloads. */
    ignore: { kind: "array", default: [] },
  },
  compile(kwargs: Kwargs) {
    const ignore = new Set(kwargs.ignore as string[]);
    const ignored = (field: string) => [...ignore].some((p) => field === p || field.startsWith(`${p}/`));
    return (table): AggregateOutcome => {
      const context = contextOf(table, this.type, "fields");
      const fields = context.fields as ReadonlyMap<string, ReadonlySet<string>>;
      const reference = context.reference_fields;
      if (reference === null || reference === undefined)
        return { success: true, observed_value: null, details: { warming_up: true } };
      const added = [...fields.keys()].filter((f) => !reference.has(f) && !ignored(f)).sort();
      const removed = [...reference.keys()].filter((f) => !fields.has(f) && !ignored(f)).sort();
      const changed: { field: string; reference: string[]; observed: string[] }[] = [];
      for (const [field, types] of fields) {
        const before = reference.get(field);
        if (before === undefined || ignored(field)) continue;
        const fresh = [...types].filter((t) => t !== "null" && !before.has(t));
        if (fresh.length > 0)
          changed.push({
            field,
            reference: [...before].sort(),
            observed: [...types].sort(),
          });
      }
      const success =
        (kwargs.allow_new_fields || added.length === 0) &&
        (kwargs.allow_missing_fields || removed.length === 0) &&
        (kwargs.allow_type_changes || changed.length === 0);
      return {
        success: Boolean(success),
        observed_value: { new_fields: added, missing_fields: removed, type_changes: changed },
      };
    };
  },
};

const volumeWithinHistory: TableDefinition = {
  type: "expect_window_event_count_to_be_within_history",
  description:
    "A time window holds about as many events as recent windows did: within mean ± k·stdev of the last history_windows counts; warming up (neither pass nor fail) until min_history windows exist.",
  domain: "table",
  kind: "aggregate",
  args: {
    history_windows: { kind: "integer", default: 24, min: 2, max: 10_000 },
    min_history: { kind: "integer", default: 5, min: 2 },
    k: { kind: "number", default: 3, min: 0 },
    /** Bounds never narrower than this fraction of the mean either way (a flat history has stdev 0). */
    min_relative_width: { kind: "number", default: 0.1, min: 0 },
  },
  validate(kwargs) {
    if ((kwargs.min_history as number) > (kwargs.history_windows as number))
      throw new ExpectationError("min_history cannot exceed history_windows");
  },
  compile(kwargs: Kwargs) {
    const windows = kwargs.history_windows as number;
    const minimum = kwargs.min_history as number;
    const k = kwargs.k as number;
    const relative = kwargs.min_relative_width as number;
    return (table): AggregateOutcome => {
      const context = contextOf(table, this.type, "history");
      if (context.window_secs === null)
        throw new ExpectationError(
          `${this.type} needs time windows (a count window always holds the same count)`,
        );
      const history = (context.history as number[]).slice(-windows);
      const observed = table.rows;
      if (history.length < minimum)
        return {
          success: true,
          observed_value: observed,
          details: { warming_up: true, history_windows: history.length, min_history: minimum },
        };
      const mean = history.reduce((a, b) => a + b, 0) / history.length;
      const variance = history.reduce((a, b) => a + (b - mean) ** 2, 0) / (history.length - 1);
      const half = Math.max(k * Math.sqrt(variance), relative * mean);
      const lower = Math.max(0, mean - half);
      const upper = mean + half;
      return {
        success: observed >= lower && observed <= upper,
        observed_value: observed,
        details: { warming_up: false, lower, upper, mean, history_windows: history.length },
      };
    };
  },
};

export const stream: readonly TableDefinition[] = [
  eventTimeLag,
  timeSinceLastEvent,
  schemaMatchesReference,
  volumeWithinHistory,
];

/** Expectations that also run between windows, on the clock (silence is only seen that way). */
export const LIVE_EXPECTATIONS: ReadonlySet<string> = new Set([timeSinceLastEvent.type]);

/** The JSON type of a value, as schema-change expectations name it. */
export function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  // One type for every number: JSON does not tell 1 from 1.0, and a field of whole numbers that
  // later carries 0.5 has not changed type.
  if (typeof value === "number") return "number";
  return typeof value;
}

/**
 * An event's shape: each leaf's JSON pointer and type, as one string (arrays are leaves). Windows
 * count shapes, which are few, rather than fields per event.
 */
export function shapeOf(event: unknown): string {
  const parts: string[] = [];
  const walk = (node: unknown, path: string) => {
    if (node !== null && typeof node === "object" && !Array.isArray(node)) {
      const keys = Object.keys(node);
      if (keys.length === 0 && path !== "") parts.push(`${path}\u0001object`);
      for (const key of keys)
        walk(
          (node as Record<string, unknown>)[key],
          `${path}/${key.replaceAll("~", "~0").replaceAll("/", "~1")}`,
        );
    } else parts.push(`${path}\u0001${jsonType(node)}`);
  };
  walk(event, "");
  return parts.join("\u0002");
}

/** Fields and their types from counted shapes. */
export function fieldsOf(shapes: Iterable<string>): Map<string, Set<string>> {
  const fields = new Map<string, Set<string>>();
  for (const shape of shapes) {
    if (shape === "") continue;
    for (const part of shape.split("\u0002")) {
      const [field, type] = part.split("\u0001");
      let types = fields.get(field);
      if (types === undefined) {
        types = new Set();
        fields.set(field, types);
      }
      types.add(type);
    }
  }
  return fields;
}
