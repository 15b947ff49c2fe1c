import { type ConfigProblem, showValue } from "../errors.js";

// The window a monitor evaluates: its configuration type and JSON Schema branch, owned here beside
// the windows; `src/config/types.ts` re-exports the type and the monitors' schemas embed the branch.

/** The current window a monitor evaluates. */
export type WindowConfig =
  | { readonly type: "tumbling"; readonly events: number }
  | { readonly type: "tumbling"; readonly duration_secs: number; readonly time?: "event" | "processing" }
  | { readonly type: "sliding"; readonly events: number; readonly step_events: number }
  | {
      readonly type: "sliding";
      readonly duration_secs: number;
      readonly step_secs: number;
      readonly time?: "event" | "processing";
    };

const positiveInt = { type: "integer", minimum: 1 } as const;
const positive = { type: "number", exclusiveMinimum: 0 } as const;

/**
 * The schema of a {@link WindowConfig}: by event count or by time, never both (the config loader
 * words the `oneOf` failure of a `window` key as such). The type is narrower than the schema
 * (a step only on sliding windows): `windowProblems` checks the rest, and a compile-time test
 * checks that every `WindowConfig` passes this schema. Its `$comment` marks it for `ConfigOf`.
 */
export const windowSchema = {
  $comment: "driftwatch:window",
  type: "object",
  additionalProperties: false,
  required: ["type"],
  description: "the current window: by event count (`events`) or by time (`duration_secs`)",
  properties: {
    type: { enum: ["tumbling", "sliding"] },
    events: { ...positiveInt, description: "window length in events" },
    step_events: { ...positiveInt, description: "sliding: evaluate every this many events" },
    duration_secs: { ...positive, description: "window length in seconds" },
    step_secs: { ...positive, description: "sliding: evaluate every this many seconds" },
    time: {
      enum: ["event", "processing"],
      description:
        "which clock time windows follow (default processing; event needs the source's event_time)",
    },
  },
  oneOf: [
    {
      required: ["events"],
      not: { anyOf: [{ required: ["duration_secs"] }, { required: ["step_secs"] }, { required: ["time"] }] },
    },
    {
      required: ["duration_secs"],
      not: { anyOf: [{ required: ["events"] }, { required: ["step_events"] }] },
    },
  ],
} as const;

/** Window shape problems the schema cannot express (steps, event time without `event_time`). */
export function windowProblems(
  w: Record<string, unknown>,
  base: string,
  source: { readonly name: string; readonly eventTime: boolean } | undefined,
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (w.type === "sliding") {
    if ("events" in w && !("step_events" in w))
      problems.push({ path: `${base}/window`, message: "a sliding window by events needs `step_events`" });
    if ("duration_secs" in w && !("step_secs" in w))
      problems.push({ path: `${base}/window`, message: "a sliding window by time needs `step_secs`" });
    const [length, step] = "events" in w ? [w.events, w.step_events] : [w.duration_secs, w.step_secs];
    if (
      typeof length === "number" &&
      typeof step === "number" &&
      (step > length || Math.abs(length / step - Math.round(length / step)) > 1e-9)
    ) {
      problems.push({
        path: `${base}/window`,
        message: `the window length (${length}) must be a whole multiple of the step (${step})`,
      });
    }
  } else if ("step_events" in w || "step_secs" in w) {
    problems.push({
      path: `${base}/window`,
      message: "a tumbling window takes no step; use type: sliding",
    });
  }
  if (w.time === "event" && source !== undefined && !source.eventTime) {
    problems.push({
      path: `${base}/window/time`,
      message: `event time needs \`event_time\` on source ${showValue(source.name)}`,
    });
  }
  return problems;
}
