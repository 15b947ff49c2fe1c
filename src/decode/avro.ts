import avro from "avsc";
import type { Decoded, DecoderContext, DecoderKind } from "./decoder.js";
import { asObject } from "./json.js";
import { plainEvent, SchemaDecoder } from "./wire.js";

// Avro records: in the Confluent wire format with their writer's schema from the registry, or bare
// with a local `.avsc` (`value_schema`). Decoded with avsc; the record becomes a plain event:
//   record → object, enum → its symbol, union → the branch's value (unwrapped), null → null,
//   bytes and fixed → base64 text, long → number (exact up to 2^53, decimal text beyond),
//   int/float/double/boolean/string/array/map as in JSON, and logical types as their underlying
//   type: timestamp-millis and -micros, date, time-millis → numbers; decimal → base64 of its
//   two's-complement bytes; uuid → text.

/**
 * A type from a schema's text; throws with the schema's own problem. Unions unwrapped (`never`:
 * a union value is the branch's value itself). A fresh options object each time: avsc keeps the
 * named types it defines in it, and two schemas may name the same record.
 */
function typeOf(text: string): avro.Type {
  return avro.Type.forSchema(JSON.parse(text), { wrapUnions: "never" });
}

class AvroDecoder extends SchemaDecoder<avro.Type> {
  constructor(context: DecoderContext) {
    super(context, "AVRO");
  }

  protected compile(text: string): avro.Type {
    return typeOf(text);
  }

  protected decodeWith(type: avro.Type, bytes: Buffer, at: number): Decoded {
    let decoded: { value: unknown; offset: number };
    try {
      decoded = type.decode(bytes, at);
    } catch (error) {
      // A recursive schema lets a record nest as deep as its bytes allow; avsc recurses with it.
      if (error instanceof RangeError && /call stack/.test(error.message))
        return { ok: false, reason: "too_deep", detail: "nested deeper than the decoder can follow" };
      return {
        ok: false,
        reason: "decode:schema_mismatch",
        detail: `does not decode: ${(error as Error).message.slice(0, 120)}`,
      };
    }
    if (decoded.offset < 0)
      return {
        ok: false,
        reason: "decode:truncated",
        detail: "the record ends before its schema says it does",
      };
    if (decoded.offset !== bytes.length)
      return {
        ok: false,
        reason: "decode:truncated",
        detail: `${bytes.length - decoded.offset} bytes after the end of the record`,
      };
    const maxDepth = this.context.limits.maxDepth;
    const event = plainEvent(decoded.value, maxDepth);
    if (event === undefined)
      return { ok: false, reason: "too_deep", detail: `nested deeper than the limit of ${maxDepth}` };
    return asObject(event);
  }
}

const exampleSchema = JSON.stringify({
  type: "record",
  name: "WeatherInput",
  fields: [
    { name: "date", type: "string" },
    { name: "temp_max", type: "double" },
    {
      name: "weather",
      type: { type: "enum", name: "Weather", symbols: ["drizzle", "rain", "sun", "snow", "fog"] },
    },
    { name: "wind", type: ["null", "double"], default: null },
  ],
});

/** Avro, in the Confluent wire format with a schema registry, or bare with a local schema. */
export const avroDecoder: DecoderKind = {
  name: "avro",
  description:
    "Avro records: the Confluent wire format with `schema_registry`, or bare with `value_schema` (.avsc)",
  text: false,
  schema: {
    type: "AVRO",
    extension: ".avsc",
    check: (text) => {
      typeOf(text);
    },
  },
  example: typeOf(exampleSchema).toBuffer({
    date: "2012-01-01",
    temp_max: 12.8,
    weather: "drizzle",
    wind: 4.7,
  }),
  exampleContext: { valueSchema: { file: "weather-input.avsc", text: exampleSchema } },
  deepRecord: (depth) => ({
    // `child` is a union [null, Node]: each level is branch 1 (zigzag 2), the last branch 0.
    record: Buffer.concat([Buffer.alloc(depth, 2), Buffer.from([0])]),
    context: {
      valueSchema: {
        file: "node.avsc",
        text: JSON.stringify({
          type: "record",
          name: "Node",
          fields: [{ name: "child", type: ["null", "Node"] }],
        }),
      },
    },
  }),
  create: (context) => new AvroDecoder(context),
};
