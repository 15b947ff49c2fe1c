// JSON Schema fragments the monitor kinds' config branches share (each kind's branch lives in its
// own `config.ts`; `src/config/schema.ts` composes them through the kind registry).

/** A JSON pointer into an event. */
export const pointer = {
  type: "string",
  pattern: "^(/([^~/]|~[01])*)*$",
  description: "JSON pointer (RFC 6901) into the event, e.g. /inputs/temp_max",
};
/** An integer of at least 1. */
export const positiveInt = { type: "integer", minimum: 1 };
/** A number above 0. */
export const positive = { type: "number", exclusiveMinimum: 0 };

/** A reference read from a file of events. */
export const referenceFile = {
  type: "object",
  additionalProperties: false,
  required: ["type", "path"],
  properties: {
    type: {
      const: "file",
      description: "a CSV, JSON Lines, JSON or Parquet file whose columns are named like the features",
    },
    path: { type: "string", minLength: 1 },
  },
};

/** A reference made of the first events of the stream. */
export const referenceFirst = {
  type: "object",
  additionalProperties: false,
  required: ["type", "events"],
  properties: {
    type: { const: "first", description: "the first N events of the stream" },
    events: positiveInt,
  },
};

/** A monitor's `features`: names under `features`, each once. */
export const featureList = (description: string) => ({
  type: "array",
  minItems: 1,
  uniqueItems: true,
  items: { type: "string" },
  description,
});
