import protobuf from "protobufjs";
import type { Decoded, DecoderContext, DecoderKind } from "./decoder.js";
import { asObject } from "./json.js";
import { plainEvent, type Rejection, SchemaDecoder } from "./wire.js";

// Protobuf messages: in the Confluent wire format (header, then the message indexes that pick the
// message type within the registry's .proto, then the message) or bare with a local `.proto`
// (`value_schema`) and the message type (`value_message`). Decoded with protobufjs; a message
// becomes a plain event with every field present (proto3 defaults included): enums as their
// names, bytes as base64 text, int64 as numbers (exact up to 2^53, decimal text beyond),
// nested messages as objects, repeated fields as arrays, maps as objects.
//
// The message indexes are read here: the Confluent format writes them as a zigzag varint count
// followed by zigzag varint indexes (a single 0 byte standing for [0], the first message), and
// the client libraries at hand do not read them.

const toObjectOptions: protobuf.IConversionOptions = {
  enums: String,
  bytes: String,
  defaults: true,
  arrays: true,
  objects: true,
};

/** Reads a zigzag varint at `at`; null when the bytes end first or it runs past 5 bytes. */
function zigzagVarint(bytes: Buffer, at: number): { value: number; next: number } | null {
  let result = 0;
  let shift = 0;
  for (let i = at; i < bytes.length && shift <= 28; i++) {
    result |= (bytes[i] & 0x7f) << shift;
    if ((bytes[i] & 0x80) === 0) return { value: (result >>> 1) ^ -(result & 1), next: i + 1 };
    shift += 7;
  }
  return null;
}

/** The message indexes after the wire header: the path of the message type in the .proto. */
function messageIndexes(bytes: Buffer, at: number): { indexes: number[]; next: number } | Rejection {
  const count = zigzagVarint(bytes, at);
  if (count === null)
    return { ok: false, reason: "decode:truncated", detail: "the message indexes are cut short" };
  if (count.value === 0) return { indexes: [0], next: count.next };
  if (count.value < 0 || count.value > 64)
    return { ok: false, reason: "decode:schema_mismatch", detail: `${count.value} message indexes` };
  const indexes: number[] = [];
  let next = count.next;
  for (let i = 0; i < count.value; i++) {
    const index = zigzagVarint(bytes, next);
    if (index === null)
      return { ok: false, reason: "decode:truncated", detail: "the message indexes are cut short" };
    indexes.push(index.value);
    next = index.next;
  }
  return { indexes, next };
}

/** The message types of a namespace, in declaration order. */
function messagesOf(ns: protobuf.NamespaceBase): protobuf.Type[] {
  return ns.nestedArray.filter((n): n is protobuf.Type => n instanceof protobuf.Type);
}

/** A parsed .proto: its root and the namespace of its package. */
function parseProto(text: string): { root: protobuf.Root; pkg: protobuf.NamespaceBase } {
  const parsed = protobuf.parse(text, { keepCase: true });
  const pkg =
    parsed.package === undefined ? parsed.root : (parsed.root.lookup(parsed.package) as protobuf.Namespace);
  return { root: parsed.root, pkg };
}

/**
 * A compiled .proto: from the registry, the package's namespace (the message indexes pick the type
 * per record); a local one, its `value_message` type.
 */
type Compiled = { readonly pkg: protobuf.NamespaceBase } | { readonly type: protobuf.Type };

class ProtobufDecoder extends SchemaDecoder<Compiled> {
  constructor(context: DecoderContext) {
    super(context, "PROTOBUF");
  }

  protected compile(text: string, local: boolean): Compiled {
    const { root, pkg } = parseProto(text);
    return local ? { type: root.lookupType(this.context.message ?? "") } : { pkg };
  }

  protected decodeWith(compiled: Compiled, bytes: Buffer, at: number): Decoded {
    let type: protobuf.Type;
    let start = at;
    if ("type" in compiled) type = compiled.type;
    else {
      const path = messageIndexes(bytes, at);
      if ("ok" in path) return path;
      const found = typeAt(compiled.pkg, path.indexes);
      if ("ok" in found) return found;
      type = found;
      start = path.next;
    }
    let message: protobuf.Message;
    try {
      message = type.decode(bytes.subarray(start));
    } catch (error) {
      const text = (error as Error).message;
      // protobufjs stops at its own depth limit (100); deeper still would overflow the stack.
      if (/max depth exceeded|call stack/.test(text))
        return {
          ok: false,
          reason: "too_deep",
          detail: "nested deeper than the decoder follows (100 levels)",
        };
      return {
        ok: false,
        reason: /index out of range/.test(text) ? "decode:truncated" : "decode:schema_mismatch",
        detail: `does not decode as ${type.fullName.replace(/^\./, "")}: ${text.slice(0, 100)}`,
      };
    }
    const maxDepth = this.context.limits.maxDepth;
    const event = plainEvent(type.toObject(message, toObjectOptions), maxDepth);
    if (event === undefined)
      return { ok: false, reason: "too_deep", detail: `nested deeper than the limit of ${maxDepth}` };
    return asObject(event);
  }
}

/** The message type at the message indexes' path in a package. */
function typeAt(pkg: protobuf.NamespaceBase, indexes: readonly number[]): protobuf.Type | Rejection {
  let ns: protobuf.NamespaceBase = pkg;
  let type: protobuf.Type | undefined;
  for (const index of indexes) {
    type = messagesOf(ns)[index];
    if (type === undefined)
      return {
        ok: false,
        reason: "decode:schema_mismatch",
        detail: `no message at indexes [${indexes.join(", ")}]`,
      };
    ns = type;
  }
  return type ?? { ok: false, reason: "decode:schema_mismatch", detail: "no message indexes" };
}

const exampleProto = `syntax = "proto3";
package weather;
message Input {
  string date = 1;
  double temp_max = 2;
  enum Weather { DRIZZLE = 0; RAIN = 1; SUN = 2; SNOW = 3; FOG = 4; }
  Weather weather = 3;
  optional double wind = 4;
}
`;

/** Protobuf, in the Confluent wire format with a schema registry, or bare with a local .proto. */
export const protobufDecoder: DecoderKind = {
  name: "protobuf",
  description:
    "Protobuf messages: the Confluent wire format with `schema_registry`, or bare with `value_schema` (.proto) and `value_message`",
  text: false,
  schema: {
    type: "PROTOBUF",
    extension: ".proto",
    check: (text) => {
      parseProto(text);
    },
  },
  example: Buffer.from(
    parseProto(exampleProto)
      .root.lookupType("weather.Input")
      .encode({ date: "2012-01-01", temp_max: 12.8, weather: 1, wind: 4.7 })
      .finish(),
  ),
  exampleContext: {
    valueSchema: { file: "weather-input.proto", text: exampleProto },
    message: "weather.Input",
  },
  deepRecord: (depth) => {
    // message Node { Node child = 1; }: each level is tag 0x0a, the length of the rest, the rest.
    let record = Buffer.alloc(0);
    for (let i = 0; i < depth; i++) {
      const length: number[] = [];
      let n = record.length;
      do {
        length.push((n & 0x7f) | (n > 0x7f ? 0x80 : 0));
        n >>>= 7;
      } while (n > 0);
      record = Buffer.concat([Buffer.from([0x0a, ...length]), record]);
    }
    return {
      record,
      context: {
        valueSchema: { file: "node.proto", text: 'syntax = "proto3"; message Node { Node child = 1; }' },
        message: "Node",
      },
    };
  },
  create: (context) => new ProtobufDecoder(context),
};
