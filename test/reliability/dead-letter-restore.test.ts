import { strict as assert } from "node:assert";
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Logger } from "../../src/log.js";
import {
  type DeadLetter,
  type DeadLetterRestoreOutcome,
  FileDeadLetter,
} from "../../src/sources/dead-letter.js";

/** A letter for the event at `offset` of a replayable source, or without a position (HTTP). */
function letter(detail: string, offset: number | null): DeadLetter {
  return {
    source: offset === null ? "http" : "s",
    reason: "schema",
    detail,
    record: { value: `{"x":"${detail}"}`, ...(offset === null ? {} : { position: { key: "line", offset } }) },
  };
}

function details(path: string): string[] {
  const text = readFileSync(path, "utf8");
  if (text === "") return [];
  assert.ok(text.endsWith("\n"), "no torn line");
  return text
    .slice(0, -1)
    .split("\n")
    .map((line) => (JSON.parse(line) as { detail: string }).detail);
}

/** A file dead letter whose log lines and restore outcomes are kept for the test. */
function open(path: string) {
  const lines: string[] = [];
  const outcomes: DeadLetterRestoreOutcome[] = [];
  const log = new Logger("info", {}, (line) => lines.push(line));
  const sink = new FileDeadLetter(path, log, (outcome) => outcomes.push(outcome));
  return { sink, lines, outcomes };
}

describe("the file dead letter's restore", () => {
  let dir = "";

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "driftwatch-dl-restore-"));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("cuts the file back to the checkpoint's mark, keeping letters of events that cannot be read again", async () => {
    const path = join(dir, "dl.jsonl");
    const first = open(path);
    assert.equal(first.sink.restore(undefined), false, "a file without a mark asks for one");
    (await first.sink.write([letter("a", 0), letter("b", 1)])).settle();
    const mark = first.sink.mark();
    (await first.sink.write([letter("c", 2)])).settle();
    (await first.sink.write([letter("http", null)])).settle();
    (await first.sink.write([letter("d", 3)])).settle();
    await first.sink.close();

    const second = open(path);
    assert.equal(second.sink.restore(JSON.parse(JSON.stringify(mark))), true);
    assert.deepEqual(
      details(path),
      ["a", "b", "http"],
      "c and d are read and rejected again; the HTTP letter is not",
    );
    assert.deepEqual(second.outcomes, ["rolled_back"]);
    assert.equal(second.lines.length, 1, second.lines.join(""));
    assert.match(
      second.lines[0],
      /level=info msg="dead-letter file cut back to the checkpoint.*dropped=2 kept=1/,
    );
    (await second.sink.write([letter("c", 2)])).settle();
    assert.deepEqual(second.sink.mark(), { bytes: statSync(path).size });
    await second.sink.close();
    assert.deepEqual(details(path), ["a", "b", "http", "c"]);
  });

  it("logs and counts a file shorter than its mark, and appends to what is there", async () => {
    const path = join(dir, "dl.jsonl");
    const first = open(path);
    first.sink.restore(undefined);
    (await first.sink.write([letter("a", 0), letter("b", 1)])).settle();
    const mark = first.sink.mark();
    await first.sink.close();
    // Rotated outside while the daemon was down, and a torn start of a line besides.
    writeFileSync(path, '{"detail":"tor');

    const second = open(path);
    assert.equal(second.sink.restore(mark), true);
    assert.deepEqual(second.outcomes, ["short"]);
    assert.equal(second.lines.length, 1);
    assert.match(second.lines[0], /level=warn msg="dead-letter file is shorter than the checkpoint recorded/);
    (await second.sink.write([letter("c", 2)])).settle();
    await second.sink.close();
    assert.deepEqual(details(path), ["c"], "the torn rest is gone, the new letter whole");
  });

  it("cuts off a torn last line when no checkpoint covers the file", async () => {
    const path = join(dir, "dl.jsonl");
    const first = open(path);
    first.sink.restore(undefined);
    (await first.sink.write([letter("a", 0)])).settle();
    await first.sink.close();
    appendFileSync(path, '{"detail":"half');

    const second = open(path);
    assert.equal(second.sink.restore(undefined), false);
    assert.deepEqual(second.outcomes, ["torn"]);
    (await second.sink.write([letter("b", 1)])).settle();
    await second.sink.close();
    assert.deepEqual(details(path), ["a", "b"]);
  });

  it("ignores a mark that is not a byte count rather than cut the file", () => {
    const path = join(dir, "dl.jsonl");
    writeFileSync(path, `${JSON.stringify({ detail: "a", position: { key: "line", offset: 0 } })}\n`);
    const { sink, lines, outcomes } = open(path);
    assert.equal(sink.restore({ bytes: -5 }), false);
    assert.deepEqual(outcomes, []);
    assert.match(lines.join(""), /dead-letter mark in the checkpoint is not a byte count/);
    assert.deepEqual(details(path), ["a"]);
  });

  it("holds the file for one batch from its write to its settle, so a mark never covers letters whose positions have not advanced", async () => {
    const path = join(dir, "dl.jsonl");
    const { sink } = open(path);
    sink.restore(undefined);
    const first = await sink.write([letter("a", 0)]);
    // A second source sharing the file writes while the first batch's positions have not advanced.
    let secondWritten = false;
    const second = sink.write([letter("b", 0)]).then((receipt) => {
      secondWritten = true;
      return receipt;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(secondWritten, false, "the second batch waits for the first to settle");
    assert.deepEqual(sink.mark(), { bytes: 0 }, "nothing settled yet");
    first.settle();
    const receipt = await second;
    const afterFirst = sink.mark().bytes;
    assert.ok(afterFirst > 0 && afterFirst < statSync(path).size, "the mark covers the first batch only");
    receipt.settle();
    assert.equal(sink.mark().bytes, statSync(path).size);
    await sink.close();
  });

  it("truncates nothing when a restored checkpoint's mark equals the file", async () => {
    const path = join(dir, "dl.jsonl");
    const first = open(path);
    first.sink.restore(undefined);
    (await first.sink.write([letter("a", 0)])).settle();
    const mark = first.sink.mark();
    await first.sink.close();
    const second = open(path);
    second.sink.restore(mark);
    assert.deepEqual(second.outcomes, []);
    assert.deepEqual(second.lines, []);
    await second.sink.close();
    assert.deepEqual(details(path), ["a"]);
  });
});
