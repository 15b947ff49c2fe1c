import type { Decoded, Decoder, DecoderContext, RejectReason } from "./decoder.js";
import { RegistryUnavailable, type SchemaStore, type SchemaType } from "./schema-registry.js";

// What the schema-registry decoders share: the Confluent wire format's header, fetching the
// schemas a batch names before it is decoded, and turning a decoded record into a plain JSON-like
// event that features address by JSON pointer.

/** A rejection of one record. */
export interface Rejection {
  readonly ok: false;
  readonly reason: RejectReason;
  readonly detail: string;
}

/** The Confluent wire format's header: magic byte 0, then the schema id as a 4-byte big-endian int. */
export function wireHeader(raw: Buffer): { readonly id: number; readonly at: number } | Rejection {
  if (raw.length < 5)
    return {
      ok: false,
      reason: "decode:truncated",
      detail: `${raw.length} bytes, shorter than the 5-byte header`,
    };
  if (raw[0] !== 0)
    return {
      ok: false,
      reason: "decode:bad_magic_byte",
      detail: `first byte ${raw[0]}, not the wire format's 0`,
    };
  return { id: raw.readInt32BE(1), at: 5 };
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });

/**
 * Fetches the schema of every id in the batch the registry has not answered for yet. While it is
 * unreachable, waits (0.5 s doubling to 10 s) and asks again, telling `onRegistry` once when it
 * goes and once when it is back; an abort (the pipeline stopping) ends the wait with an error.
 */
export async function fetchSchemas(
  registry: SchemaStore,
  raws: readonly (Buffer | string)[],
  signal: AbortSignal,
  onRegistry: DecoderContext["onRegistry"],
  state: { down: boolean },
): Promise<void> {
  const ids = new Set<number>();
  for (const raw of raws) {
    if (typeof raw === "string" || raw.length < 5 || raw[0] !== 0) continue;
    const id = raw.readInt32BE(1);
    if (registry.cached(id) === undefined) ids.add(id);
  }
  for (const id of ids) {
    for (let attempt = 0; ; attempt++) {
      try {
        await registry.schemaById(id);
        if (state.down) {
          state.down = false;
          onRegistry?.(true, "answering again");
        }
        break;
      } catch (error) {
        if (!(error instanceof RegistryUnavailable)) throw error;
        if (!state.down) {
          state.down = true;
          onRegistry?.(false, error.message);
        }
        await sleep(Math.min(10_000, 500 * 2 ** attempt), signal);
      }
    }
  }
}

/**
 * A decoded record as a plain event: objects and arrays as they are, bytes as base64 text, 64-bit
 * integers as numbers when exact and as decimal text beyond 2^53, class instances as plain
 * objects. Null when it nests deeper than `maxDepth`.
 */
export function plainEvent(value: unknown, maxDepth: number): unknown {
  let tooDeep = false;
  const walk = (v: unknown, depth: number): unknown => {
    if (tooDeep) return null;
    if (v === null || v === undefined) return null;
    if (typeof v === "bigint") return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
    if (typeof v !== "object") return typeof v === "number" && !Number.isFinite(v) ? null : v;
    if (depth >= maxDepth) {
      tooDeep = true;
      return null;
    }
    if (Buffer.isBuffer(v) || v instanceof Uint8Array) return Buffer.from(v).toString("base64");
    if (v instanceof Date) return v.toISOString();
    if (Array.isArray(v)) return v.map((item) => walk(item, depth + 1));
    const long = v as { low?: unknown; high?: unknown; unsigned?: unknown; toString?: () => string };
    if (typeof long.low === "number" && typeof long.high === "number" && typeof long.unsigned === "boolean") {
      // A protobufjs Long.
      const text = String(long.toString?.());
      const n = Number(text);
      return Number.isSafeInteger(n) ? n : text;
    }
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(v)) out[key] = walk((v as Record<string, unknown>)[key], depth + 1);
    return out;
  };
  const event = walk(value, 0);
  return tooDeep ? undefined : event;
}

/**
 * What the decoders of schema-described records share: records over the size limit refused first,
 * then, with a registry or a schema directory, the wire header read, the schema of its id compiled once (a rejection
 * when the registry has none, or one of another type) and each change of id reported; without
 * one, the local schema. A subclass compiles a schema's text and decodes the bytes after `at`.
 */
export abstract class SchemaDecoder<T> implements Decoder {
  private readonly compiled = new Map<number, T | Rejection>();
  private readonly local: T | null;
  private readonly registryState = { down: false };
  private lastId: number | null = null;

  constructor(
    protected readonly context: DecoderContext,
    /** The registry's `schemaType` this decoder reads. */
    private readonly schemaType: SchemaType,
  ) {
    this.local = context.valueSchema === undefined ? null : this.compile(context.valueSchema.text, true);
  }

  /** Compiles a schema's text; throws with its problem. `local` for `value_schema`. */
  protected abstract compile(text: string, local: boolean): T;

  /** Decodes the record's bytes from `at` with its compiled schema. */
  protected abstract decodeWith(schema: T, bytes: Buffer, at: number): Decoded;

  async prepare(raws: readonly (Buffer | string)[], signal: AbortSignal): Promise<void> {
    const store = this.context.schemas;
    if (store !== undefined)
      await fetchSchemas(store, raws, signal, this.context.onRegistry, this.registryState);
  }

  decode(raw: Buffer | string): Decoded {
    const { maxBytes } = this.context.limits;
    const bytes = typeof raw === "string" ? Buffer.from(raw, "utf8") : raw;
    if (bytes.length > maxBytes)
      return {
        ok: false,
        reason: "too_large",
        detail: `${bytes.length} bytes, more than the limit of ${maxBytes}`,
      };
    if (this.context.schemas === undefined)
      return this.local === null
        ? { ok: false, reason: "decode:schema_mismatch", detail: "no schema to decode with" }
        : this.decodeWith(this.local, bytes, 0);
    const header = wireHeader(bytes);
    if ("ok" in header) return header;
    const schema = this.schemaOf(header.id);
    if (isRejection(schema)) return schema;
    if (this.lastId !== header.id) {
      this.lastId = header.id;
      this.context.onSchema?.(header.id, this.context.schemas.cached(header.id)?.versions ?? []);
    }
    return this.decodeWith(schema, bytes, header.at);
  }

  private schemaOf(id: number): T | Rejection {
    const known = this.compiled.get(id);
    if (known !== undefined) return known;
    const store = this.context.schemas;
    const schema = store?.cached(id);
    if (schema === undefined || schema === null)
      return {
        ok: false,
        reason: "decode:unknown_schema_id",
        detail: `${store?.describe ?? "the registry"} has no schema ${id}`,
      };
    let found: T | Rejection;
    if (schema.type !== this.schemaType)
      found = {
        ok: false,
        reason: "decode:wrong_schema_type",
        detail: `schema ${id} is ${schema.type}, not ${this.schemaType}`,
      };
    else {
      try {
        found = this.compile(schema.schema, false);
      } catch (error) {
        found = {
          ok: false,
          reason: "decode:schema_mismatch",
          detail: `schema ${id} is not usable: ${(error as Error).message.slice(0, 100)}`,
        };
      }
    }
    this.compiled.set(id, found);
    return found;
  }
}

/** Whether a value is a rejection (`{ ok: false, ... }`). */
export function isRejection(value: unknown): value is Rejection {
  return value !== null && typeof value === "object" && (value as { ok?: unknown }).ok === false;
}
