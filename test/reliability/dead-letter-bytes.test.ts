import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileDeadLetter } from "../../src/sources/dead-letter.js";

/** A dead-letter line's original bytes, whichever field holds them. */
function bytesOf(line: { value?: string; value_base64?: string }): Buffer {
  if (line.value_base64 !== undefined) {
    assert.equal(line.value, undefined, "one of value and value_base64, not both");
    return Buffer.from(line.value_base64, "base64");
  }
  assert.equal(typeof line.value, "string", "value or value_base64");
  return Buffer.from(line.value as string, "utf8");
}

function readLines(path: string): { value?: string; value_base64?: string; reason: string }[] {
  const text = readFileSync(path, "utf8");
  assert.ok(text.endsWith("\n"), "every line is whole");
  return text
    .slice(0, -1)
    .split("\n")
    .map((line) => JSON.parse(line));
}

// The file dead letter decoded every value as UTF-8, so bytes that are not UTF-8 became U+FFFD
// and were lost, while the README promised the original bytes.
describe("the file dead letter", () => {
  let dir = "";

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "driftwatch-dl-bytes-"));
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("keeps bytes that are not UTF-8 exactly, and valid UTF-8 as readable text", async () => {
    const path = join(dir, "unit.jsonl");
    const sink = new FileDeadLetter(path);
    const invalid = Buffer.from([0x7b, 0x22, 0x78, 0x22, 0x3a, 0xff, 0xfe, 0xc3, 0x28, 0x7d]);
    const text = '{"x":"héllo ✓"}';
    await sink.write([
      { source: "s", reason: "malformed_json", detail: "d", record: { value: invalid } },
      { source: "s", reason: "schema", detail: "d", record: { value: Buffer.from(text) } },
      { source: "s", reason: "schema", detail: "d", record: { value: text } },
    ]);
    await sink.close();
    const lines = readLines(path);
    assert.equal(lines.length, 3);
    assert.deepEqual(bytesOf(lines[0]), invalid);
    assert.equal(lines[1].value, text, "valid UTF-8 stays text");
    assert.equal(lines[2].value, text);
  });

  it("keeps a file source's line that is not UTF-8 byte for byte", function () {
    this.timeout(60_000);
    assert.ok(existsSync("dist/cli/main.js"), "run `npm run build` first (npm test does)");
    const lines = [
      Buffer.from('{"x":1}'),
      // Malformed JSON with bytes that are not UTF-8.
      Buffer.from([0x7b, 0x22, 0x78, 0x22, 0x3a, 0x31, 0xff, 0x7d]),
      // Valid JSON whose string holds an invalid UTF-8 sequence: a schema violation.
      Buffer.concat([Buffer.from('{"x":"'), Buffer.from([0xc3, 0x28, 0xa0, 0xa1]), Buffer.from('"}')]),
      // Latin-1 text, as a legacy producer would write it.
      Buffer.from('{"x":"caf\xe9"}', "latin1"),
      Buffer.from('{"x":2}'),
    ];
    const events = join(dir, "events.jsonl");
    writeFileSync(events, Buffer.concat(lines.flatMap((line) => [line, Buffer.from("\n")])));
    writeFileSync(
      join(dir, "schema.json"),
      JSON.stringify({ type: "object", properties: { x: { type: "number" } } }),
    );
    const config = join(dir, "driftwatch.yaml");
    writeFileSync(
      config,
      [
        "sources:",
        "  s: { type: file, path: events.jsonl, schema: schema.json }",
        "features:",
        "  x: { source: s, path: /x, type: numeric }",
        "monitors:",
        "  m: { type: drift, features: [x], reference: { type: first, events: 100 }, window: { type: tumbling, events: 100 } }",
        "state: { dir: state }",
        "",
      ].join("\n"),
    );
    const r = spawnSync(
      process.execPath,
      ["bin/driftwatch.js", "run", "--config", config, "--once", "--metrics-listen", "127.0.0.1:0"],
      { encoding: "utf8", timeout: 50_000 },
    );
    assert.equal(r.status, 0, r.stderr);
    const letters = readLines(join(dir, "state", "dead-letter-s.jsonl"));
    assert.deepEqual(
      letters.map((letter) => bytesOf(letter).toString("hex")),
      lines.slice(1, 4).map((line) => line.toString("hex")),
    );
  });
});
