import type { EventLimits } from "./limits.js";

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

/**
 * Turns the bytes of one record into an event object, or says why it cannot: a bad record is data,
 * not an exception, so `decode` never throws. A decoder knows the wire format only; validation
 * against the source's JSON Schema is a separate step applied to whatever any decoder produced.
 */
export interface Decoder {
  decode(raw: Buffer | string): Decoded;
}

/**
 * One wire format, registered under its name in `registry.ts`; a source's `format` key picks it.
 * The conformance test feeds every kind its `example` and garbage.
 */
export interface DecoderKind {
  /** Equal to its key in the registry, and the value of `format` that selects it. */
  readonly name: string;
  /** One line for the config schema and `list`. */
  readonly description: string;
  /** One valid record in this format, which decodes to an event object. */
  readonly example: Buffer;
  /** A decoder that rejects records over the limits before it looks inside them. */
  create(limits: EventLimits): Decoder;
}
