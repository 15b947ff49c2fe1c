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

const positiveInt = { type: "integer", minimum: 1 };
const positive = { type: "number", exclusiveMinimum: 0 };

/**
 * The schema of a {@link WindowConfig}: by event count or by time, never both (the config loader
 * words the `oneOf` failure of a `window` key as such).
 */
export const windowSchema = {
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
};
