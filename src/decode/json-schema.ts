import { Ajv, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import type { Decoded, Decoder, DecoderContext, DecoderKind } from "./decoder.js";
import { asObject } from "./json.js";
import { jsonDepthExceeds, previewValue } from "./limits.js";
import { fetchSchemas, type Rejection, wireHeader } from "./wire.js";

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

class JsonSchemaDecoder implements Decoder {
  private readonly validators = new Map<number, ValidateFunction | { error: Rejection }>();
  private readonly local: ValidateFunction | null;
  private readonly registryState = { down: false };
  private lastId: number | null = null;

  constructor(private readonly context: DecoderContext) {
    this.local = context.valueSchema === undefined ? null : compile(context.valueSchema.text);
  }

  async prepare(raws: readonly (Buffer | string)[], signal: AbortSignal): Promise<void> {
    const registry = this.context.registry;
    if (registry !== undefined)
      await fetchSchemas(registry, raws, signal, this.context.onRegistry, this.registryState);
  }

  decode(raw: Buffer | string): Decoded {
    const { maxBytes, maxDepth } = this.context.limits;
    const bytes = typeof raw === "string" ? Buffer.from(raw, "utf8") : raw;
    if (bytes.length > maxBytes)
      return {
        ok: false,
        reason: "too_large",
        detail: `${bytes.length} bytes, more than the limit of ${maxBytes}`,
      };
    let validate = this.local;
    let at = 0;
    if (this.context.registry !== undefined) {
      const header = wireHeader(bytes);
      if ("ok" in header) return header;
      const resolved = this.validatorOf(header.id);
      if ("error" in resolved) return resolved.error;
      validate = resolved;
      at = header.at;
      if (this.lastId !== header.id) {
        this.lastId = header.id;
        this.context.onSchema?.(header.id);
      }
    }
    const text = bytes.subarray(at).toString("utf8");
    if (jsonDepthExceeds(text, maxDepth))
      return { ok: false, reason: "too_deep", detail: `nested deeper than the limit of ${maxDepth}` };
    let event: unknown;
    try {
      event = JSON.parse(text);
    } catch (error) {
      return { ok: false, reason: "malformed_json", detail: (error as Error).message };
    }
    if (validate !== null && !validate(event)) {
      const first = validate.errors?.[0];
      return {
        ok: false,
        reason: "schema",
        detail: `${first?.instancePath || "/"}: ${first?.message ?? "is invalid"} (record ${previewValue(event)})`,
      };
    }
    return asObject(event);
  }

  private validatorOf(id: number): ValidateFunction | { error: Rejection } {
    const known = this.validators.get(id);
    if (known !== undefined) return known;
    const schema = this.context.registry?.cached(id);
    if (schema === undefined || schema === null)
      return {
        error: { ok: false, reason: "decode:unknown_schema_id", detail: `the registry has no schema ${id}` },
      };
    let found: ValidateFunction | { error: Rejection };
    if (schema.type !== "JSON")
      found = {
        error: {
          ok: false,
          reason: "decode:wrong_schema_type",
          detail: `schema ${id} is ${schema.type}, not JSON`,
        },
      };
    else {
      try {
        found = compile(schema.schema);
      } catch (error) {
        found = {
          error: {
            ok: false,
            reason: "decode:schema_mismatch",
            detail: `schema ${id} does not compile: ${(error as Error).message.slice(0, 100)}`,
          },
        };
      }
    }
    this.validators.set(id, found);
    return found;
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
  needsSchema: true,
  example: Buffer.from('{"temp_max":12.8,"weather":"drizzle"}'),
  exampleContext: { valueSchema: { file: "weather-input.schema.json", text: exampleSchema } },
  create: (context) => new JsonSchemaDecoder(context),
};
