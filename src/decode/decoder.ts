import type { EventLimits } from "./limits.js";
import type { SchemaStore, SchemaType, SubjectVersion } from "./schema-registry.js";

/** Why an event was rejected; bounded values, used as the `reason` metric label. */
export type RejectReason =
  | "malformed_json"
  | "malformed_csv"
  | "not_an_object"
  | "schema"
  | "too_large"
  | "too_deep"
  /** The first byte of a schema-registry record is not the wire format's 0. */
  | "decode:bad_magic_byte"
  /** The registry has no schema under the record's id. */
  | "decode:unknown_schema_id"
  /** The id names a schema of another kind (a Protobuf schema for the Avro decoder). */
  | "decode:wrong_schema_type"
  /** The record ends before its schema says it does, or has bytes after it. */
  | "decode:truncated"
  /** The bytes do not decode with the record's schema. */
  | "decode:schema_mismatch";

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
  /**
   * Readies what decoding a batch needs that takes I/O (schemas fetched from a registry by id),
   * before `decode` is called on its records. While the registry cannot be reached it waits and
   * tries again (holding the batch, so consumption pauses rather than good events being
   * dead-lettered), until `signal` aborts it.
   */
  prepare?(raws: readonly (Buffer | string)[], signal: AbortSignal): Promise<void>;
}

/** What a decoder is made from: the limits, and the source's schema settings where it has them. */
export interface DecoderContext {
  readonly limits: EventLimits;
  /**
   * Where the schemas of records in the Confluent wire format come from, by id: the source's
   * schema registry or its directory of schema files (`schema_dir`).
   */
  readonly schemas?: SchemaStore;
  /** A local schema's text (`value_schema`: an `.avsc`, a `.proto`), for records without the wire header. */
  readonly valueSchema?: { readonly file: string; readonly text: string };
  /** Protobuf: the message type records hold (`value_message`). */
  readonly message?: string;
  /**
   * Called when records start to carry another schema id, with the subjects and versions it is
   * registered under where the store knows them: for the log and the metrics.
   */
  readonly onSchema?: (id: number, versions: readonly SubjectVersion[]) => void;
  /** Called once each time the registry becomes unreachable and once when it answers again. */
  readonly onRegistry?: (up: boolean, reason: string) => void;
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
  /** Whether its records are text (a text record is also tried as a string). */
  readonly text: boolean;
  /** One valid record in this format, which decodes to an event object (with {@link exampleContext}). */
  readonly example: Buffer;
  /** What its example needs besides the limits (a local schema). */
  readonly exampleContext?: Omit<DecoderContext, "limits">;
  /**
   * A record nested `depth` deep and what decoding it needs, for the conformance test's depth
   * check (a text format nests the example; a binary one needs a recursive schema).
   */
  deepRecord?(depth: number): { readonly record: Buffer; readonly context: Omit<DecoderContext, "limits"> };
  /**
   * The schemas of a format that needs one (a registry, a `schema_dir` or a local `value_schema`):
   * the registry's name for their type, the extension of their files in a `schema_dir`, and a
   * check that a schema's text compiles (throws with its problem). Absent for a format without.
   */
  readonly schema?: {
    readonly type: SchemaType;
    readonly extension: string;
    check(text: string): void;
  };
  /** A decoder that rejects records over the limits before it looks inside them. */
  create(context: DecoderContext): Decoder;
}
