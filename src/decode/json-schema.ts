import { Ajv, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import type { Decoded, DecoderContext, DecoderKind } from "./decoder.js";
import { asObject } from "./json.js";
import { jsonDepthExceeds, previewValue } from "./limits.js";
import { SchemaDecoder } from "./wire.js";

// JSON records written with a JSON Schema: in the Confluent wire format (header, then the JSON
// text) with the schema from the registry, or bare with a local schema (`value_schema`). The
// record must satisfy its schema (reason `schema` otherwise), as the source's own `schema` key
// checks any record afterwards.

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

function compile(text: string): ValidateFunction {
  const ajv = new Ajv({ allErrors: false, strict: false });
  addFormats(ajv);
  return ajv.compile(JSON.parse(text));
}

class JsonSchemaDecoder extends SchemaDecoder<ValidateFunction> {
  constructor(context: DecoderContext) {
    super(context, "JSON");
  }

  protected compile(text: string): ValidateFunction {
    return compile(text);
  }

  protected decodeWith(validate: ValidateFunction, bytes: Buffer, at: number): Decoded {
    const maxDepth = this.context.limits.maxDepth;
    const text = bytes.subarray(at).toString("utf8");
    if (jsonDepthExceeds(text, maxDepth))
      return { ok: false, reason: "too_deep", detail: `nested deeper than the limit of ${maxDepth}` };
    let event: unknown;
    try {
      event = JSON.parse(text);
    } catch (error) {
      return { ok: false, reason: "malformed_json", detail: (error as Error).message };
    }
    if (!validate(event)) {
      const first = validate.errors?.[0];
      return {
        ok: false,
        reason: "schema",
        detail: `${first?.instancePath || "/"}: ${first?.message ?? "is invalid"} (record ${previewValue(event)})`,
      };
    }
    return asObject(event);
  }
}

const exampleSchema = JSON.stringify({
  type: "object",
  required: ["temp_max"],
  properties: { temp_max: { type: "number" }, weather: { type: "string" } },
});

/** JSON with a JSON Schema: the Confluent wire format with `schema_registry`, or bare with `value_schema`. */
export const jsonSchemaDecoder: DecoderKind = {
  name: "json_schema",
  description:
    "JSON records with a JSON Schema: the Confluent wire format with `schema_registry`, or bare with `value_schema`",
  text: true,
  schema: {
    type: "JSON",
    extension: ".json",
    check: (text) => {
      compile(text);
    },
  },
  example: Buffer.from('{"temp_max":12.8,"weather":"drizzle"}'),
  exampleContext: { valueSchema: { file: "weather-input.schema.json", text: exampleSchema } },
  create: (context) => new JsonSchemaDecoder(context),
};
