import type { FromSchema } from "json-schema-to-ts";
import type { fileSchema, httpSchema, kafkaSchema } from "./schema.js";

// The configuration of each source type, made from its JSON Schema branch (`src/sources/schema.ts`),
// so that a key added there is in the type with nothing else to edit; `src/config/types.ts`
// re-exports the types. The `description`s of the schema document each key.

/** A Kafka consumer-group source. */
export type KafkaSourceConfig = FromSchema<typeof kafkaSchema>;

/** Replays a JSON Lines or CSV file as events. */
export type FileSourceConfig = FromSchema<typeof fileSchema>;

/** Accepts events on `POST /v1/events` (one JSON object, or NDJSON). */
export type HttpSourceConfig = FromSchema<typeof httpSchema>;

/** The configuration of any source, told apart by `type`. */
export type SourceConfig = KafkaSourceConfig | FileSourceConfig | HttpSourceConfig;

/** Where rejected events go: a Kafka topic or a JSON Lines file. */
export type DeadLetterConfig = NonNullable<SourceConfig["dead_letter"]>;
