import { DEFAULT_DECODER, type DecoderName, decoders } from "../decode/registry.js";
import { endpointAuthSchema, endpointTlsSchema } from "../io/endpoint.js";

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

/** A file a source reads a secret or a certificate from. */
const secretFile = { type: "string", minLength: 1 } as const;
/** An environment variable's name. */
const envName = { type: "string", pattern: "^[A-Za-z_][A-Za-z0-9_]*$" } as const;

/** A Confluent-compatible schema registry (records in the Confluent wire format). */
const schemaRegistry = {
  type: "object",
  additionalProperties: false,
  required: ["url"],
  description:
    "a Confluent-compatible schema registry: records in the Confluent wire format name their schema by id, fetched once",
  properties: {
    url: { type: "string", pattern: "^https?://", description: "e.g. http://schema-registry:8081" },
    username: {
      type: "string",
      minLength: 1,
      description: "basic auth user, with password_env or password_file",
    },
    password_env: { ...envName, description: "environment variable holding the basic auth password" },
    password_file: { ...secretFile, description: "file holding the basic auth password" },
    token_env: {
      ...envName,
      description: "environment variable holding a bearer token, instead of basic auth",
    },
    token_file: { ...secretFile, description: "file holding a bearer token" },
    ca_file: { ...secretFile, description: "PEM of the CA(s) to trust for an https url" },
  },
} as const;

/** The schema settings of a source whose format needs a schema (avro, protobuf). */
const decoderKeys = {
  schema_registry: schemaRegistry,
  schema_dir: {
    ...secretFile,
    description:
      "instead of a registry, for records in the Confluent wire format: a directory of their schemas named by id (42.avsc, 42.proto, 42.json), relative to this file",
  },
  value_schema: {
    ...secretFile,
    description:
      "a local schema for records without the wire header: an .avsc (avro) or a .proto (protobuf), relative to this file",
  },
  value_message: {
    type: "string",
    minLength: 1,
    description: "protobuf with value_schema: the message type of the records, e.g. weather.Input",
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

/** TLS to the brokers (hostname verification on unless turned off). */
const tls = {
  description: "TLS to the brokers: true to trust the system's certificate authorities, or the files to use",
  anyOf: [
    { type: "boolean" },
    {
      type: "object",
      additionalProperties: false,
      properties: {
        ca_file: {
          ...secretFile,
          description:
            "PEM file of the certificate authorities to trust instead of the system's (relative to this file)",
        },
        cert_file: { ...secretFile, description: "client certificate (PEM) for mutual TLS, with key_file" },
        key_file: { ...secretFile, description: "the client certificate's private key (PEM, unencrypted)" },
        servername: {
          type: "string",
          minLength: 1,
          description: "the name the brokers' certificates must carry (default: the host connected to)",
        },
        verify_hostname: {
          type: "boolean",
          description: "check that a broker's certificate names the host connected to (default true)",
        },
      },
    },
  ],
} as const;

/** SASL authentication; secrets come from the environment or a file, never from this file. */
const sasl = {
  type: "object",
  additionalProperties: false,
  required: ["mechanism"],
  description: "SASL authentication (SASL_SSL with tls, SASL_PLAINTEXT without)",
  properties: {
    mechanism: { enum: ["plain", "scram-sha-256", "scram-sha-512", "oauthbearer"] },
    username: { type: "string", minLength: 1, description: "the user (plain and scram)" },
    password_env: { ...envName, description: "environment variable holding the password" },
    password_file: {
      ...secretFile,
      description: "file holding the password (a final newline is ignored), relative to this file",
    },
    token_env: {
      ...envName,
      description: "oauthbearer: environment variable holding the bearer token",
    },
    token_file: {
      ...secretFile,
      description:
        "oauthbearer: file holding the bearer token, read again whenever one is needed (a sidecar may refresh it)",
    },
  },
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
    tls,
    sasl,
    cluster: {
      type: "object",
      additionalProperties: false,
      description:
        "several instances in this consumer group, one verdict per window: each instance builds window partials of its partitions and publishes them to a state topic in Kafka transactions; one instance, elected through Kafka, merges them (see README, Scaling out)",
      properties: {
        count_windows: {
          const: "per_partition",
          description:
            "what a count window of `events` means here: each partition's windows hold `events` of its events, and the cluster's window N is every partition's window N merged (events × partitions events)",
        },
        lateness_secs: {
          type: "number",
          minimum: 0,
          description:
            "event-time windows: how far (in event time) another partition may be past a window before the window is judged without the partitions that sent nothing for it; their events for it come late then (needed by time windows)",
        },
        state_topic: {
          type: "string",
          minLength: 1,
          description:
            "compacted topic of window partials and merge marks (default GROUP_ID.driftwatch-state)",
        },
        results_topic: {
          type: "string",
          minLength: 1,
          description:
            "topic each window's global result is written to (default GROUP_ID.driftwatch-results)",
        },
        record_bytes: {
          type: "integer",
          minimum: 1024,
          description:
            "largest state-topic record; a window partial larger than this (an exact window of many events) is cut into records of this size: keep it under the state topic's max.message.bytes (default 524288)",
        },
        leader_topic: {
          type: "string",
          minLength: 1,
          description:
            "one-partition topic whose partition 0's owner in group GROUP_ID.driftwatch-leader merges (default GROUP_ID.driftwatch-leader)",
        },
      },
    },
    ...decoderKeys,
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
    auth: endpointAuthSchema,
    tls: endpointTlsSchema,
    ...decoderKeys,
    ...sourceCommon,
  },
} as const;
