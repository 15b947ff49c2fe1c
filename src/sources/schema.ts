import { DEFAULT_DECODER, type DecoderName, decoders } from "../decode/registry.js";

// The JSON Schema branch of each source type; `src/config/schema.ts` composes them through the
// source registry. The `description`s are the reference documentation.

const pointer = {
  type: "string",
  pattern: "^(/([^~/]|~[01])*)*$",
  description: "JSON pointer (RFC 6901) into the event, e.g. /inputs/temp_max",
} as const;
const listen = {
  type: "string",
  pattern: "^[^\\s:]+:\\d{1,5}$|^\\[[0-9a-fA-F:]+\\]:\\d{1,5}$",
  description: "host:port to listen on, e.g. 127.0.0.1:9464",
} as const;
const positiveInt = { type: "integer", minimum: 1 } as const;
const positive = { type: "number", exclusiveMinimum: 0 } as const;

const deadLetter = {
  description: "where malformed and invalid events go, with their original bytes and the reason",
  oneOf: [
    {
      type: "object",
      additionalProperties: false,
      required: ["topic"],
      properties: {
        topic: { type: "string", minLength: 1, description: "Kafka topic (on the source's brokers)" },
      },
    },
    {
      type: "object",
      additionalProperties: false,
      required: ["path"],
      properties: {
        path: { type: "string", minLength: 1, description: "JSON Lines file, relative to the config file" },
      },
    },
  ],
} as const;

/** Keys every source type accepts. */
const sourceCommon = {
  schema: {
    type: "string",
    minLength: 1,
    description: "JSON Schema file every event must satisfy (relative to the config file)",
  },
  dead_letter: deadLetter,
  event_time: {
    ...pointer,
    description: "JSON pointer to the event time (RFC 3339 string or epoch milliseconds)",
  },
  max_event_bytes: {
    ...positiveInt,
    description:
      "largest event in bytes; larger ones are dead-lettered with reason too_large (default 1048576)",
  },
  max_depth: {
    ...positiveInt,
    maximum: 10000,
    description:
      "deepest nesting of objects and arrays in an event; deeper ones are dead-lettered with reason too_deep (default 128)",
  },
  stall_timeout_secs: {
    ...positive,
    description:
      "a source that makes no progress for this long (no fetch answered, a batch not processed) is reported down and the daemon not ready (default 60)",
  },
} as const;

/**
 * The decoder of a record-oriented source (kafka, http), one of the registered formats. A file
 * source's `format` keeps its older meaning, the file's layout (jsonl or csv), because there the
 * framing is the format: records are lines or CSV rows, and a binary format such as Avro has a
 * container layout of its own rather than a decoder applied to lines.
 */
const format = {
  enum: Object.keys(decoders) as DecoderName[],
  description: `the wire format of each event (default ${DEFAULT_DECODER})`,
} as const;

/** A Kafka consumer group. */
export const kafkaSchema = {
  type: "object",
  additionalProperties: false,
  required: ["type", "brokers", "topic", "group_id"],
  properties: {
    type: { const: "kafka", description: "a Kafka consumer group" },
    brokers: {
      type: "array",
      minItems: 1,
      items: { type: "string", pattern: "^[^\\s:]+:\\d{1,5}$" },
      description: "bootstrap servers, host:port",
    },
    topic: { type: "string", minLength: 1 },
    group_id: { type: "string", minLength: 1 },
    client_id: { type: "string", minLength: 1 },
    format,
    from_beginning: {
      type: "boolean",
      description: "start from the earliest offset when the group has none (default true)",
    },
    session_timeout_secs: {
      type: "number",
      minimum: 6,
      maximum: 300,
      description:
        "consumer-group session timeout: how long a dead instance keeps its partitions (default 30)",
    },
    ...sourceCommon,
  },
} as const;

/** A file replayed as events. */
export const fileSchema = {
  type: "object",
  additionalProperties: false,
  required: ["type", "path"],
  properties: {
    type: { const: "file", description: "replays a JSON Lines or CSV file" },
    path: { type: "string", minLength: 1, description: "the file, relative to the config file" },
    format: { enum: ["jsonl", "csv"], description: "default: from the extension" },
    rate_per_sec: { ...positive, description: "events per second (default: as fast as possible)" },
    ...sourceCommon,
  },
} as const;

/** An HTTP endpoint producers POST events to. */
export const httpSchema = {
  type: "object",
  additionalProperties: false,
  required: ["type", "listen"],
  properties: {
    type: { const: "http", description: "accepts POST /v1/events: one JSON object, or NDJSON" },
    listen,
    format,
    max_body_bytes: {
      ...positiveInt,
      description: "largest request body; larger ones get 413 (default 10485760)",
    },
    max_connections: {
      ...positiveInt,
      description: "most connections open at once; more are dropped at accept (default 256)",
    },
    header_timeout_secs: {
      ...positive,
      description: "time a client has to send the request headers; slower ones get 408 (default 10)",
    },
    body_timeout_secs: {
      ...positive,
      description:
        "time a client has to send the whole request, body included; slower ones get 408 (default 60)",
    },
    ...sourceCommon,
  },
} as const;
