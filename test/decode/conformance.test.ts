/**
 * Every registered decoder keeps the contract the pipeline relies on: its name is its key, a valid
 * record becomes an event object, and garbage of any kind (random bytes, deep nesting, an oversized
 * record) becomes a bounded rejection, never an exception.
 */
import assert from "node:assert/strict";
import type { Decoded, DecoderKind } from "../../src/decode/decoder.js";
import { DEFAULT_MAX_DEPTH, DEFAULT_MAX_EVENT_BYTES, type EventLimits } from "../../src/decode/limits.js";
import { DEFAULT_DECODER, decoders } from "../../src/decode/registry.js";
import { seededRandom } from "../../src/stats/prng.js";

const REASONS = [
  "malformed_json",
  "malformed_csv",
  "not_an_object",
  "too_large",
  "too_deep",
  "decode:bad_magic_byte",
  "decode:unknown_schema_id",
  "decode:wrong_schema_type",
  "decode:truncated",
  "decode:schema_mismatch",
];
const limits = { maxBytes: 4096, maxDepth: 16 };

/** A decoder of `kind` with `limits` and what its example needs (a local schema). */
function decoderOf(kind: DecoderKind, withLimits: EventLimits = limits) {
  return kind.create({ ...kind.exampleContext, limits: withLimits });
}

function randomBytes(random: () => number, length: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = Math.floor(random() * 256);
  return bytes;
}

function assertRejected(result: Decoded, what: string, reason?: string): void {
  assert.equal(result.ok, false, `${what} was accepted`);
  if (result.ok) return;
  assert.ok(REASONS.includes(result.reason), `${what}: unbounded reason ${result.reason}`);
  if (reason !== undefined) assert.equal(result.reason, reason, what);
  assert.equal(typeof result.detail, "string");
  assert.ok(result.detail.length <= 200, `${what}: detail of ${result.detail.length} characters`);
}

describe("decoder registry", () => {
  it("has the default format among its entries", () => {
    assert.ok(DEFAULT_DECODER in decoders);
  });

  for (const [key, kind] of Object.entries(decoders)) {
    describe(`decoder ${key}`, () => {
      it("is named after its key", () => {
        assert.equal(kind.name, key);
        assert.ok(kind.description.length > 0);
      });

      it("turns its example into an event object (as bytes, and as text for a text format)", () => {
        const decoder = decoderOf(kind);
        for (const raw of kind.text ? [kind.example, kind.example.toString("utf8")] : [kind.example]) {
          const result = decoder.decode(raw);
          assert.ok(result.ok, result.ok ? "" : result.detail);
          assert.equal(typeof result.event, "object");
          assert.ok(!Array.isArray(result.event));
        }
      });

      it("rejects random bytes without throwing", () => {
        const decoder = decoderOf(kind);
        const random = seededRandom(11);
        for (let i = 0; i < 2000; i++) {
          const raw = randomBytes(random, 1 + Math.floor(random() * 64));
          const result = decoder.decode(raw);
          // Random bytes may by chance be a valid record (`{}`); then it must be an object.
          if (result.ok) assert.equal(typeof result.event, "object");
          else assertRejected(result, `random record ${raw.toString("hex")}`);
        }
      });

      it("rejects nesting deeper than the limit as too_deep, however deep", () => {
        const deepLimits = { maxBytes: DEFAULT_MAX_EVENT_BYTES, maxDepth: DEFAULT_MAX_DEPTH };
        for (const depth of [DEFAULT_MAX_DEPTH + 1, 100_000]) {
          if (kind.deepRecord === undefined) {
            const raw = Buffer.from(`{"a":${"[".repeat(depth)}1${"]".repeat(depth)}}`);
            assertRejected(decoderOf(kind, deepLimits).decode(raw), `depth ${depth}`, "too_deep");
          } else {
            const { record, context } = kind.deepRecord(depth);
            assertRejected(
              kind.create({ ...context, limits: deepLimits }).decode(record),
              `depth ${depth}`,
              "too_deep",
            );
          }
        }
      });

      it("rejects a record over the size limit as too_large before looking inside", () => {
        const decoder = decoderOf(kind);
        const oversized = Buffer.concat([kind.example, Buffer.alloc(limits.maxBytes, 0x20)]);
        assertRejected(decoder.decode(oversized), "oversized bytes", "too_large");
        assertRejected(decoder.decode(oversized.toString("utf8")), "oversized text", "too_large");
      });

      it("rejects an empty record", () => {
        const empty = decoderOf(kind).decode(Buffer.alloc(0));
        // An empty Protobuf message is a valid message whose fields all hold their defaults.
        if (kind.name !== "protobuf") assertRejected(empty, "empty record");
        else assert.ok(empty.ok);
      });

      it("with schemas: its example's schema passes its check, garbage does not", () => {
        const schema = kind.schema;
        if (schema === undefined) {
          assert.equal(kind.exampleContext?.valueSchema, undefined, "a schema-less format needs none");
          return;
        }
        const text = kind.exampleContext?.valueSchema?.text;
        assert.ok(text !== undefined, "a format with schemas shows one in its example");
        assert.doesNotThrow(() => schema.check(text));
        assert.ok(kind.exampleContext?.valueSchema?.file.endsWith(schema.extension));
        assert.throws(() => schema.check("{ this is no schema"));
      });
    });
  }
});
