import { endpointAuthSchema, endpointTlsSchema } from "../io/endpoint.js";
import { pointer, positive } from "../monitors/schema.js";

// The schemas of the config's own sections (features, metrics, state), from which their types in
// `types.ts` are made; `schema.ts` composes them with the components' branches.

/** host:port to listen on. */
export const listen = {
  type: "string",
  pattern: "^[^\\s:]+:\\d{1,5}$|^\\[[0-9a-fA-F:]+\\]:\\d{1,5}$",
  description: "host:port to listen on, e.g. 127.0.0.1:9464",
} as const;

/** A feature: a JSON pointer into one source's events. */
export const featureSchema = {
  type: "object",
  additionalProperties: false,
  required: ["source", "path", "type"],
  properties: {
    source: { type: "string", description: "name of a source under `sources`" },
    path: pointer,
    type: {
      enum: ["numeric", "categorical", "vector"],
      description:
        "numeric, categorical, or vector: a JSON array of `dimension` numbers (an embedding), read by multivariate monitors",
    },
    dimension: {
      type: "integer",
      minimum: 1,
      maximum: 65536,
      description: "numbers in a vector feature's array (required for `type: vector`, only there)",
    },
  },
} as const;

/** The Prometheus endpoint. */
export const metricsSchema = {
  type: "object",
  additionalProperties: false,
  required: ["listen"],
  properties: { listen, auth: endpointAuthSchema, tls: endpointTlsSchema },
  description:
    "the Prometheus endpoint (/metrics, /healthz, /readyz); with auth, /metrics needs the token and /readyz names its reasons only with it",
} as const;

/** Where state is checkpointed, how often, and how long a full disk is waited out. */
export const stateSchema = {
  type: "object",
  additionalProperties: false,
  required: ["dir"],
  properties: {
    dir: {
      type: "string",
      minLength: 1,
      description: "checkpoint directory, relative to the config file",
    },
    checkpoint_interval_secs: {
      ...positive,
      description: "how often state and offsets are checkpointed (default 5)",
    },
    persist_timeout_secs: {
      ...positive,
      description:
        "how long shutdown retries its final checkpoint, and a --once replay waits, while state or dead letters cannot be written (e.g. a full disk), before exiting with an error; a running daemon holds consumption and waits (default 20)",
    },
  },
} as const;
