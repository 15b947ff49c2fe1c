import { readFileSync } from "node:fs";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";

// ajv-formats is CommonJS with a default export; under NodeNext its type is the module object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/** Why an event was rejected; bounded values, used as the `reason` metric label. */
export type RejectReason = "malformed_json" | "malformed_csv" | "not_an_object" | "schema";

/** The outcome of decoding one record. */
export type Decoded =
  | { readonly ok: true; readonly event: Record<string, unknown> }
  | { readonly ok: false; readonly reason: RejectReason; readonly detail: string };

/** Formats ajv's first error as `"/path": message (got value)`. */
function describe(error: ErrorObject, event: unknown): string {
  let node = event;
  for (const token of error.instancePath.split("/").slice(1)) {
    node =
      node !== null && typeof node === "object"
        ? (node as Record<string, unknown>)[token.replaceAll("~1", "/").replaceAll("~0", "~")]
        : undefined;
  }
  const got = JSON.stringify(node);
  const path = error.instancePath || "/";
  const extra =
    error.keyword === "required"
      ? ""
      : ` (got ${got === undefined ? "nothing" : got.length > 40 ? `${got.slice(0, 37)}...` : got})`;
  return `${path}: ${error.message ?? "is invalid"}${extra}`;
}

/**
 * Decodes JSON events and validates them against a source's JSON Schema, compiled once with ajv
 * (with the standard formats). Bad events are data, not exceptions: the result says why.
 */
export class EventDecoder {
  private readonly validate: ValidateFunction | null;

  constructor(schemaPath?: string) {
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
    let event: unknown;
    try {
      event = JSON.parse(typeof raw === "string" ? raw : raw.toString("utf8"));
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
        detail: `expected a JSON object, got ${Array.isArray(event) ? "an array" : JSON.stringify(event)}`,
      };
    }
    if (this.validate !== null && !this.validate(event)) {
      return { ok: false, reason: "schema", detail: describe((this.validate.errors ?? [])[0], event) };
    }
    return { ok: true, event: event as Record<string, unknown> };
  }
}
