import type { Decoded, Decoder, DecoderKind } from "./decoder.js";
import { type EventLimits, jsonDepthExceeds, previewValue } from "./limits.js";

/**
 * Decodes UTF-8 JSON text into an object. Size and depth are checked before the text is parsed,
 * so nothing after this step walks an event deeper or larger than the limits (ajv recurses with
 * the data under a recursive schema, and expectations canonicalise values).
 */
class JsonDecoder implements Decoder {
  constructor(private readonly limits: EventLimits) {}

  decode(raw: Buffer | string): Decoded {
    const { maxBytes, maxDepth } = this.limits;
    // A string's UTF-8 length is at most three bytes per UTF-16 unit: measure only when it may be over.
    const bytes =
      typeof raw !== "string" ? raw.length : raw.length * 3 <= maxBytes ? 0 : Buffer.byteLength(raw, "utf8");
    if (bytes > maxBytes)
      return { ok: false, reason: "too_large", detail: `${bytes} bytes, more than the limit of ${maxBytes}` };
    const text = typeof raw === "string" ? raw : raw.toString("utf8");
    if (jsonDepthExceeds(text, maxDepth))
      return { ok: false, reason: "too_deep", detail: `nested deeper than the limit of ${maxDepth}` };
    let event: unknown;
    try {
      event = JSON.parse(text);
    } catch (error) {
      return { ok: false, reason: "malformed_json", detail: (error as Error).message };
    }
    return asObject(event);
  }
}

/**
 * An event must be an object (features are pointers into it). Used for every decoded value, and
 * for values a source built itself (CSV rows).
 */
export function asObject(event: unknown): Decoded {
  if (event === null || typeof event !== "object" || Array.isArray(event)) {
    return {
      ok: false,
      reason: "not_an_object",
      detail: `expected a JSON object, got ${Array.isArray(event) ? "an array" : previewValue(event)}`,
    };
  }
  return { ok: true, event: event as Record<string, unknown> };
}

/** JSON text, one object per record: the default `format` of every source. */
export const json: DecoderKind = {
  name: "json",
  description: "a JSON object per record (UTF-8)",
  text: true,
  example: Buffer.from('{"inputs":{"temp_max":12.5,"weather":"rain"},"prediction":0.7}'),
  create: (context) => new JsonDecoder(context.limits),
};
