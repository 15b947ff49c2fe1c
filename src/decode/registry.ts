import { avroDecoder } from "./avro.js";
import type { DecoderKind } from "./decoder.js";
import { json } from "./json.js";
import { jsonSchemaDecoder } from "./json-schema.js";
import { protobufDecoder } from "./protobuf.js";

/**
 * The wire formats a source's `format` key may name. A new format is one file
 * beside `json.ts` and one line here: the config schema's `format` enum, the pipeline and the
 * conformance test all read this object.
 */
export const decoders = {
  json,
  avro: avroDecoder,
  protobuf: protobufDecoder,
  json_schema: jsonSchemaDecoder,
} satisfies Record<string, DecoderKind>;

/** A key of {@link decoders}. */
export type DecoderName = keyof typeof decoders;

/** The format a source decodes when its config names none. */
export const DEFAULT_DECODER: DecoderName = "json";
