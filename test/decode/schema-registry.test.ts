import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SchemaRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import avro from "avsc";
import protobuf from "protobufjs";
import { avroDecoder } from "../../src/decode/avro.js";
import type { Decoded, Decoder } from "../../src/decode/decoder.js";
import { jsonSchemaDecoder } from "../../src/decode/json-schema.js";
import { protobufDecoder } from "../../src/decode/protobuf.js";
import { SchemaDirectory } from "../../src/decode/schema-dir.js";
import {
  RegistryUnavailable,
  SchemaRegistryClient,
  type SubjectVersion,
} from "../../src/decode/schema-registry.js";
import { SchemaRegistryStandIn } from "../support/schema-registry.js";

// The registry path of the Avro and Protobuf decoders against the registry stand-in (a real
// registry cannot be had here), with records written by the real producer-side serializer of
// @kafkajs/confluent-schema-registry, as producers write them.

const limits = { maxBytes: 1 << 20, maxDepth: 64 };

const weatherAvro = {
  type: "record",
  name: "WeatherInput",
  namespace: "weather",
  fields: [
    { name: "date", type: "string" },
    { name: "temp_max", type: "double" },
    {
      name: "weather",
      type: { type: "enum", name: "Weather", symbols: ["drizzle", "rain", "sun", "snow", "fog"] },
    },
    { name: "wind", type: ["null", "double"], default: null },
    { name: "observed_at", type: { type: "long", logicalType: "timestamp-millis" } },
    {
      name: "station",
      type: {
        type: "record",
        name: "Station",
        fields: [
          { name: "id", type: "int" },
          { name: "raw", type: "bytes" },
        ],
      },
    },
  ],
};

const weatherProto = `syntax = "proto3";
package weather;
message Station { int32 id = 1; bytes raw = 2; }
message Input {
  string date = 1;
  double temp_max = 2;
  enum Weather { DRIZZLE = 0; RAIN = 1; SUN = 2; SNOW = 3; FOG = 4; }
  Weather weather = 3;
  optional double wind = 4;
  int64 observed_at = 5;
  Station station = 6;
  message Note { string text = 1; }
}
`;

const rows = [
  {
    date: "2012-01-01",
    temp_max: 12.8,
    weather: "drizzle",
    wind: 4.7,
    observed_at: 1325376000000,
    station: { id: 7, raw: Buffer.from([1, 2, 3]) },
  },
  {
    date: "2012-01-02",
    temp_max: 10.6,
    weather: "rain",
    wind: null,
    observed_at: 1325462400000,
    station: { id: 8, raw: Buffer.alloc(0) },
  },
];
/** The events the decoders must give for `rows`: bytes as base64, everything else as in JSON. */
const events = rows.map((r) => ({
  ...r,
  station: { id: r.station.id, raw: r.station.raw.toString("base64") },
}));

/** The Confluent wire header and the message indexes of the first message ([0] as one 0 byte). */
function protobufWire(id: number, indexes: Buffer, payload: Uint8Array): Buffer {
  const header = Buffer.alloc(5);
  header.writeInt32BE(id, 1);
  return Buffer.concat([header, indexes, payload]);
}

async function decodeAll(decoder: Decoder, records: Buffer[]): Promise<Decoded[]> {
  await decoder.prepare?.(records, new AbortController().signal);
  return records.map((r) => decoder.decode(r));
}

describe("decoders with a schema registry (stand-in)", () => {
  const standIn = new SchemaRegistryStandIn();
  let producer: SchemaRegistry;

  before(async () => {
    await standIn.start();
    producer = new SchemaRegistry({ host: standIn.url, retry: { retries: 0 } });
  });
  after(() => standIn.stop());
  beforeEach(() => {
    standIn.down = false;
  });

  it("decodes Avro records a producer wrote through the registry into plain events, fetching each schema once", async () => {
    const { id } = await producer.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(weatherAvro) },
      { subject: "weather-value" },
    );
    const records = await Promise.all(rows.map((r) => producer.encode(id, r)));
    const schemas = new SchemaRegistryClient({ url: standIn.url });
    const seen: [number, readonly SubjectVersion[]][] = [];
    const decoder = avroDecoder.create({ limits, schemas, onSchema: (s, v) => seen.push([s, v]) });
    const asked = () => standIn.requests.filter((r) => /^GET \/schemas\/ids\/\d+$/.test(r)).length;
    const before = asked();
    const decoded = await decodeAll(decoder, [...records, ...records]);
    assert.deepEqual(
      decoded,
      [...events, ...events].map((event) => ({ ok: true, event })),
    );
    assert.equal(asked() - before, 1);
    assert.deepEqual(
      seen,
      [[id, [{ subject: "weather-value", version: 1 }]]],
      "the schema is reported, with its subject and version, when records start to carry it",
    );
  });

  it("decodes Protobuf records in the Confluent wire format, message indexes included", async () => {
    const { id } = await producer.register(
      { type: SchemaType.PROTOBUF, schema: weatherProto },
      { subject: "weather-proto-value" },
    );
    const root = protobuf.parse(weatherProto, { keepCase: true }).root;
    const Input = root.lookupType("weather.Input");
    const Note = root.lookupType("weather.Input.Note");
    const enumOf = { drizzle: 0, rain: 1, sun: 2, snow: 3, fog: 4 } as const;
    const records = rows.map((r) =>
      protobufWire(
        id,
        // Input is the second message of the file: indexes [1] are count 1 then 1, zigzag: 0x02 0x02.
        Buffer.from([0x02, 0x02]),
        Input.encode({
          ...r,
          weather: enumOf[r.weather as keyof typeof enumOf],
          ...(r.wind === null ? { wind: undefined } : {}),
        }).finish(),
      ),
    );
    // A nested message: [1, 0] is Input.Note (count 2, then 1 and 0: 0x04 0x02 0x00).
    records.push(protobufWire(id, Buffer.from([0x04, 0x02, 0x00]), Note.encode({ text: "gusty" }).finish()));
    // [0] written as the single 0 byte: Station.
    records.push(
      protobufWire(id, Buffer.from([0x00]), root.lookupType("weather.Station").encode({ id: 3 }).finish()),
    );
    const decoder = protobufDecoder.create({
      limits,
      schemas: new SchemaRegistryClient({ url: standIn.url }),
    });
    const decoded = await decodeAll(decoder, records);
    assert.deepEqual(decoded, [
      { ok: true, event: { ...events[0], weather: "DRIZZLE" } },
      // proto3: an absent optional field is absent; scalars at their default are present.
      { ok: true, event: (({ wind: _wind, ...rest }) => ({ ...rest, weather: "RAIN" }))(events[1]) },
      { ok: true, event: { text: "gusty" } },
      { ok: true, event: { id: 3, raw: "" } },
    ]);
  });

  it("decodes JSON Schema records in the Confluent wire format and holds them to their schema", async () => {
    const schema = {
      type: "object",
      required: ["temp_max"],
      properties: { temp_max: { type: "number" }, weather: { type: "string" } },
    };
    const { id } = await producer.register(
      { type: SchemaType.JSON, schema: JSON.stringify(schema) },
      { subject: "weather-json-value" },
    );
    const good = await producer.encode(id, { temp_max: 12.8, weather: "rain" });
    // What a producer that skipped validation would write.
    const bad = Buffer.concat([good.subarray(0, 5), Buffer.from('{"temp_max":"hot"}')]);
    const decoder = jsonSchemaDecoder.create({
      limits,
      schemas: new SchemaRegistryClient({ url: standIn.url }),
    });
    const [ok, refused] = await decodeAll(decoder, [good, bad]);
    assert.deepEqual(ok, { ok: true, event: { temp_max: 12.8, weather: "rain" } });
    assert.equal(refused.ok ? "ok" : refused.reason, "schema");
    assert.match(refused.ok ? "" : refused.detail, /^\/temp_max: must be number/);
  });

  it("dead-letters what does not decode, each with its reason, and never throws", async () => {
    const { id } = await producer.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(weatherAvro) },
      { subject: "weather-value" },
    );
    const good = await producer.encode(id, rows[0]);
    const { id: protoId } = await producer.register(
      { type: SchemaType.PROTOBUF, schema: weatherProto },
      { subject: "weather-proto-value" },
    );
    const unknown = Buffer.from(good);
    unknown.writeInt32BE(999, 1);
    const wrongType = Buffer.from(good);
    wrongType.writeInt32BE(protoId, 1);
    const garbled = Buffer.concat([good.subarray(0, 5), Buffer.from([0x7f, 0xff, 0xff, 0xff, 0x0f])]);
    const cases: [string, Buffer, string][] = [
      ["no wire header", Buffer.from('{"temp_max":1}'), "decode:bad_magic_byte"],
      ["shorter than the header", Buffer.from([0, 0, 0]), "decode:truncated"],
      ["an id the registry does not have", unknown, "decode:unknown_schema_id"],
      ["the id of a Protobuf schema", wrongType, "decode:wrong_schema_type"],
      ["cut short", good.subarray(0, good.length - 3), "decode:truncated"],
      ["bytes after the record", Buffer.concat([good, Buffer.from([1])]), "decode:truncated"],
      ["bytes that are no such record", garbled, "decode:truncated"],
    ];
    const decoder = avroDecoder.create({ limits, schemas: new SchemaRegistryClient({ url: standIn.url }) });
    const decoded = await decodeAll(
      decoder,
      cases.map(([, record]) => record),
    );
    assert.deepEqual(
      decoded.map((d, i) => [cases[i][0], d.ok ? "ok" : d.reason]),
      cases.map(([what, , reason]) => [what, reason]),
    );
  });

  it("holds a batch while the registry is down and decodes it when it is back, instead of dead-lettering it", async () => {
    const { id } = await producer.register(
      { type: SchemaType.AVRO, schema: JSON.stringify({ ...weatherAvro, name: "Later" }) },
      { subject: "later-value" },
    );
    const record = await producer.encode(id, rows[1]);
    standIn.down = true;
    const changes: [boolean, string][] = [];
    const decoder = avroDecoder.create({
      limits,
      schemas: new SchemaRegistryClient({ url: standIn.url }),
      onRegistry: (up, reason) => changes.push([up, reason]),
    });
    const prepared = decoder.prepare?.([record], new AbortController().signal);
    await new Promise((r) => setTimeout(r, 1200));
    assert.deepEqual(
      changes.map(([up]) => up),
      [false],
      "told once that it is down",
    );
    assert.match(changes[0][1], /answered 503/);
    standIn.down = false;
    await prepared;
    assert.deepEqual(
      changes.map(([up]) => up),
      [false, true],
    );
    assert.deepEqual(decoder.decode(record), { ok: true, event: events[1] });

    // A pipeline that stops while the registry is down ends the wait.
    standIn.down = true;
    const other = await producer
      .register(
        { type: SchemaType.AVRO, schema: JSON.stringify({ ...weatherAvro, name: "Other" }) },
        { subject: "other-value" },
      )
      .catch(() => null);
    assert.equal(other, null, "the producer cannot register either");
    const stopping = new AbortController();
    const waiting = avroDecoder
      .create({ limits, schemas: new SchemaRegistryClient({ url: standIn.url }) })
      .prepare?.([Buffer.from([0, 0, 0, 0, 77, 2])], stopping.signal);
    stopping.abort(new Error("stopping"));
    await assert.rejects(waiting as Promise<void>, /stopping/);
  });
});

describe("the schema registry client", () => {
  it("reports each new schema version of a subject as records start to carry it", async () => {
    const standIn = new SchemaRegistryStandIn();
    await standIn.start();
    try {
      const producer = new SchemaRegistry({ host: standIn.url, retry: { retries: 0 } });
      const v1 = await producer.register(
        { type: SchemaType.AVRO, schema: JSON.stringify(weatherAvro) },
        { subject: "weather-value" },
      );
      // Version 2 adds a field with a default, a backward-compatible change.
      const evolved = {
        ...weatherAvro,
        fields: [...weatherAvro.fields, { name: "humidity", type: "double", default: 0 }],
      };
      const v2 = await producer.register(
        { type: SchemaType.AVRO, schema: JSON.stringify(evolved) },
        { subject: "weather-value" },
      );
      const records = [
        await producer.encode(v1.id, rows[0]),
        await producer.encode(v2.id, { ...rows[1], humidity: 0.8 }),
        await producer.encode(v2.id, { ...rows[0], humidity: 0.5 }),
      ];
      const seen: [number, readonly SubjectVersion[]][] = [];
      const decoder = avroDecoder.create({
        limits,
        schemas: new SchemaRegistryClient({ url: standIn.url }),
        onSchema: (s, v) => seen.push([s, v]),
      });
      const decoded = await decodeAll(decoder, records);
      assert.deepEqual(decoded[1], { ok: true, event: { ...events[1], humidity: 0.8 } });
      assert.deepEqual(seen, [
        [v1.id, [{ subject: "weather-value", version: 1 }]],
        [v2.id, [{ subject: "weather-value", version: 2 }]],
      ]);
    } finally {
      await standIn.stop();
    }
  });

  it("takes an answer that is not JSON for an outage, not for a record's fault", async () => {
    const server = createServer((_, response) => {
      response.writeHead(200, { "content-type": "text/html" });
      response.end("<html>proxy error</html>");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const client = new SchemaRegistryClient({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      });
      await assert.rejects(client.schemaById(1), (error: Error) => {
        assert.ok(error instanceof RegistryUnavailable);
        assert.match(error.message, /schema 1: the answer is not JSON/);
        return true;
      });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("remembers a bounded number of unknown ids, so random ids cannot grow its memory", async () => {
    const standIn = new SchemaRegistryStandIn();
    await standIn.start();
    try {
      const client = new SchemaRegistryClient({ url: standIn.url });
      for (let id = 1000; id < 1000 + 1100; id++) assert.equal(await client.schemaById(id), null);
      assert.equal(client.cached(2099), null, "a recent unknown id is remembered");
      assert.equal(
        client.cached(1000),
        undefined,
        "the oldest are forgotten, and asked again if they come back",
      );
    } finally {
      await standIn.stop();
    }
  });
});

describe("a directory of schemas by id (schema_dir)", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "dw-schema-dir-"));
    writeFileSync(join(dir, "7.avsc"), JSON.stringify(weatherAvro));
    writeFileSync(join(dir, "8.proto"), weatherProto);
    writeFileSync(join(dir, "README.md"), "files that are not named by id are left alone");
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** A wire-format record of schema `id` (Avro: the header, then the body). */
  const wire = (id: number, body: Buffer) => {
    const header = Buffer.alloc(5);
    header.writeInt32BE(id, 1);
    return Buffer.concat([header, body]);
  };

  it("decodes wire-format records with the file their id names, as a registry would", async () => {
    const type = avro.Type.forSchema(weatherAvro as never, { wrapUnions: "never" });
    const seen: number[] = [];
    const decoder = avroDecoder.create({
      limits,
      schemas: new SchemaDirectory(dir),
      onSchema: (id) => seen.push(id),
    });
    const records = rows.map((r) => wire(7, type.toBuffer(r)));
    assert.deepEqual(
      await decodeAll(decoder, records),
      events.map((event) => ({ ok: true, event })),
    );
    assert.deepEqual(seen, [7]);

    const Input = protobuf.parse(weatherProto, { keepCase: true }).root.lookupType("weather.Input");
    const proto = protobufDecoder.create({ limits, schemas: new SchemaDirectory(dir) });
    const [decoded] = await decodeAll(proto, [
      protobufWire(8, Buffer.from([0x02, 0x02]), Input.encode({ date: "2012-01-03", temp_max: 3 }).finish()),
    ]);
    assert.equal(decoded.ok && decoded.event.date, "2012-01-03");
  });

  it("dead-letters an id with no file, and the id of a file of another format", async () => {
    const decoder = avroDecoder.create({ limits, schemas: new SchemaDirectory(dir) });
    const [unknown, wrongType] = await decodeAll(decoder, [
      wire(9, Buffer.from([2])),
      wire(8, Buffer.from([2])),
    ]);
    assert.deepEqual(unknown, {
      ok: false,
      reason: "decode:unknown_schema_id",
      detail: `schema_dir ${dir} has no schema 9`,
    });
    assert.equal(!wrongType.ok && wrongType.reason, "decode:wrong_schema_type");
  });
});
