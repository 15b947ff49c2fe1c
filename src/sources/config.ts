import type { DecoderName } from "../decode/registry.js";

// The configuration of each source type, owned here beside the sources; `src/config/types.ts`
// re-exports it and `src/sources/schema.ts` is the matching JSON Schema.

/** Where rejected events go: a Kafka topic or a JSON Lines file. */
export type DeadLetterConfig = { readonly topic: string } | { readonly path: string };

interface SourceCommon {
  /** JSON Schema file each event must satisfy (path relative to the config file). */
  readonly schema?: string;
  /** Where malformed and invalid events are written with their reason. */
  readonly dead_letter?: DeadLetterConfig;
  /** JSON pointer to the event time (RFC 3339 string or epoch milliseconds). */
  readonly event_time?: string;
  /** Largest event in bytes; larger ones are dead-lettered as `too_large` (default 1 MiB). */
  readonly max_event_bytes?: number;
  /** Deepest nesting of objects and arrays; deeper events are dead-lettered as `too_deep` (default 128). */
  readonly max_depth?: number;
  /** A source making no progress for this long is reported down and the daemon not ready (default 60). */
  readonly stall_timeout_secs?: number;
}

/** A Kafka consumer-group source. */
export interface KafkaSourceConfig extends SourceCommon {
  readonly type: "kafka";
  readonly brokers: readonly string[];
  readonly topic: string;
  readonly group_id: string;
  readonly client_id?: string;
  /** The wire format of each message, a decoder's name (default json). */
  readonly format?: DecoderName;
  /** Start from the earliest offset when the group has none (default true). */
  readonly from_beginning?: boolean;
  /** Consumer-group session timeout: how long a dead instance keeps its partitions (default 30). */
  readonly session_timeout_secs?: number;
}

/** Replays a JSON Lines or CSV file as events. */
export interface FileSourceConfig extends SourceCommon {
  readonly type: "file";
  readonly path: string;
  /** The file's layout (default: from the extension); each JSON Lines line is decoded as json. */
  readonly format?: "jsonl" | "csv";
  /** Events per second; unlimited when absent. */
  readonly rate_per_sec?: number;
}

/** Accepts events on `POST /v1/events` (one JSON object, or NDJSON). */
export interface HttpSourceConfig extends SourceCommon {
  readonly type: "http";
  readonly listen: string;
  /** The wire format of each event in a body, a decoder's name (default json). */
  readonly format?: DecoderName;
  /** Largest accepted request body (default 10 MiB). */
  readonly max_body_bytes?: number;
  /** Most connections open at once; more are dropped at accept (default 256). */
  readonly max_connections?: number;
  /** Time a client has to send the request headers (default 10). */
  readonly header_timeout_secs?: number;
  /** Time a client has to send the whole request, body included (default 60). */
  readonly body_timeout_secs?: number;
}

/** The configuration of any source, told apart by `type`. */
export type SourceConfig = KafkaSourceConfig | FileSourceConfig | HttpSourceConfig;
