import { readFileSync } from "node:fs";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import { defaultLimits, type EventLimits, jsonDepthExceeds, previewValue } from "./limits.js";

// ajv-formats is CommonJS with a default export; under NodeNext its type is the module object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/** Why an event was rejected; bounded values, used as the `reason` metric label. */
export type RejectReason =
  | "malformed_json"
  | "malformed_csv"
  | "not_an_object"
  | "schema"
  | "too_large"
  | "too_deep";

/** The outcome of decoding one record. */
export type Decoded =
  | { readonly ok: true; readonly event: Record<string, unknown> }
  | { readonly ok: false; readonly reason: RejectReason; readonly detail: string };

/** Formats ajv's first error as `"/path": message (got value)`, previewing the value without walking it whole. */
function describe(error: ErrorObject, event: unknown): string {
  let node = event;
  for (const token of error.instancePath.split("/").slice(1)) {
    node =
      node !== null && typeof node === "object"
        ? (node as Record<string, unknown>)[token.replaceAll("~1", "/").replaceAll("~0", "~")]
        : undefined;
  }
  const path = error.instancePath || "/";
  const extra = error.keyword === "required" ? "" : ` (got ${previewValue(node)})`;
  return `${path}: ${error.message ?? "is invalid"}${extra}`;
}

/**
 * Decodes JSON events and validates them against a source's JSON Schema, compiled once with ajv
 * (with the standard formats). Bad events are data, not exceptions: the result says why. Size and
 * depth are checked before the text is parsed, so nothing after this step walks an event deeper
 * or larger than the limits (ajv recurses with the data under a recursive schema, and
 * expectations canonicalise values).
 */
export class EventDecoder {
  private readonly validate: ValidateFunction | null;

  constructor(
    schemaPath?: string,
    private readonly limits: EventLimits = defaultLimits,
  ) {
    if (schemaPath === undefined) {
      this.validate = null;
      return;
    }
    const ajv = new Ajv({ allErrors: false, strict: false });
    addFormats(ajv);
    this.validate = ajv.compile(JSON.parse(readFileSync(schemaPath, "utf8")));
  }

  /** Decodes bytes or text into a validated event object. */
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
    return this.check(event);
  }

  /** Validates an already-parsed value (CSV replay builds objects directly). */
  check(event: unknown): Decoded {
    if (event === null || typeof event !== "object" || Array.isArray(event)) {
      return {
        ok: false,
        reason: "not_an_object",
        detail: `expected a JSON object, got ${Array.isArray(event) ? "an array" : previewValue(event)}`,
      };
    }
    if (this.validate !== null && !this.validate(event)) {
      return { ok: false, reason: "schema", detail: describe((this.validate.errors ?? [])[0], event) };
    }
    return { ok: true, event: event as Record<string, unknown> };
  }
}
