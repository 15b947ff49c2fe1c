import { strict as assert } from "node:assert";
import { HttpSource } from "../../src/sources/http.js";
import type { SourceRecord } from "../../src/sources/source.js";

// A binary record (Avro, Protobuf) may hold any byte, a '[' first or a newline inside: with a
// binary format the HTTP source takes each request body whole, as one record.

describe("http source with a binary format", () => {
  for (const binary of [true, false]) {
    it(
      binary ? "takes a body whole as one record" : "splits a JSON array body when the format is text",
      async () => {
        const source = new HttpSource("s", { listen: "127.0.0.1:0", binary });
        const seen: SourceRecord[] = [];
        await source.start(async (records) => {
          seen.push(...records);
          return { accepted: records.length, rejected: 0 };
        });
        try {
          const body = binary
            ? Buffer.from([0x5b, 0x0a, 0x00, 0x02, 0x5d, 0x0a, 0x7b])
            : Buffer.from('[{"a":1},{"a":2}]');
          const response = await fetch(`http://127.0.0.1:${source.port}/v1/events`, {
            method: "POST",
            headers: { "content-type": binary ? "application/x-ndjson" : "application/json" },
            body,
          });
          assert.equal(response.status, 202);
          if (binary)
            assert.deepEqual(
              seen.map((r) => Buffer.from(r.value as Buffer)),
              [body],
            );
          else
            assert.deepEqual(
              seen.map((r) => String(r.value)),
              ['{"a":1}', '{"a":2}'],
            );
        } finally {
          await source.stop();
        }
      },
    );
  }
});
