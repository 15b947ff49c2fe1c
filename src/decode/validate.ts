import { readFileSync } from "node:fs";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import type { Decoded, Decoder } from "./decoder.js";
import { asObject, json } from "./json.js";
import { defaultLimits, type EventLimits, previewValue } from "./limits.js";

export type { Decoded, RejectReason } from "./decoder.js";

// ajv-formats is CommonJS with a default export; under NodeNext its type is the module object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

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
 * Decodes events with a source's decoder (JSON unless given another) and validates them against
 * the source's JSON Schema, compiled once with ajv (with the standard formats). Bad events are
 * data, not exceptions: the result says why. The decoder applies the size and depth limits before
 * it parses, so validation never walks an event beyond them.
 */
export class EventDecoder {
  private readonly validate: ValidateFunction | null;
  private readonly decoder: Decoder;

  constructor(schemaPath?: string, limits: EventLimits = defaultLimits, decoder?: Decoder) {
    this.decoder = decoder ?? json.create({ limits });
    if (schemaPath === undefined) {
      this.validate = null;
      return;
    }
    const ajv = new Ajv({ allErrors: false, strict: false });
    addFormats(ajv);
    this.validate = ajv.compile(JSON.parse(readFileSync(schemaPath, "utf8")));
  }

  /** Readies the decoder for a batch (schemas from a registry); see `Decoder.prepare`. */
  async prepare(raws: readonly (Buffer | string)[], signal: AbortSignal): Promise<void> {
    await this.decoder.prepare?.(raws, signal);
  }

  /** Decodes bytes or text into a validated event object. */
  decode(raw: Buffer | string): Decoded {
    const decoded = this.decoder.decode(raw);
    return decoded.ok ? this.validated(decoded.event) : decoded;
  }

  /** Validates an already-parsed value (CSV replay builds objects directly). */
  check(event: unknown): Decoded {
    const decoded = asObject(event);
    return decoded.ok ? this.validated(decoded.event) : decoded;
  }

  private validated(event: Record<string, unknown>): Decoded {
    if (this.validate !== null && !this.validate(event)) {
      return { ok: false, reason: "schema", detail: describe((this.validate.errors ?? [])[0], event) };
    }
    return { ok: true, event };
  }
}
