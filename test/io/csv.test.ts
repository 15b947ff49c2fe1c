import { strict as assert } from "node:assert";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UserError } from "../../src/errors.js";
import type { ColumnData, KindHint } from "../../src/io/columns.js";
import { readTable } from "../../src/io/read.js";
import type { Table } from "../../src/io/table.js";

const dir = mkdtempSync(join(tmpdir(), "driftwatch-csv-"));
let n = 0;

async function read(
  text: string | Buffer,
  hints: Record<string, KindHint> = {},
  ext = "csv",
): Promise<Table> {
  const path = join(dir, `t${n++}.${ext}`);
  writeFileSync(path, text);
  return readTable(path, { hint: (name) => hints[name] ?? "auto", include: () => true });
}

function column(table: Table, name: string): ColumnData {
  const found = table.columns.find((c) => c.name === name);
  assert.ok(found, `column ${name}`);
  return found;
}

function numbers(table: Table, name: string): number[] {
  const c = column(table, name);
  assert.equal(c.kind, "numeric");
  return c.kind === "numeric" ? [...c.sample.sorted] : [];
}

function categories(table: Table, name: string): Record<string, number> {
  const c = column(table, name);
  assert.equal(c.kind, "categorical");
  return c.kind === "categorical" ? Object.fromEntries(c.sample.counts) : {};
}

async function rejects(text: string, pattern: RegExp, hints: Record<string, KindHint> = {}): Promise<void> {
  await assert.rejects(read(text, hints), (error: unknown) => {
    assert.ok(error instanceof UserError, `expected a UserError, got ${String(error)}`);
    assert.match(error.message, pattern);
    assert.ok(!error.message.includes("\n"), "one line");
    return true;
  });
}

describe("readCsv", () => {
  it("reads numeric and categorical columns and counts empty fields as missing", async () => {
    const t = await read("a,b\n1,x\n,y\n2.5,\n-3e2,x\n");
    assert.equal(t.rows, 4);
    assert.deepEqual(numbers(t, "a"), [-300, 1, 2.5]);
    assert.equal(column(t, "a").missing, 1);
    assert.deepEqual(categories(t, "b"), { x: 2, y: 1 });
    assert.equal(column(t, "b").missing, 1);
  });

  it("handles quoted fields with separators, doubled quotes and line breaks", async () => {
    const t = await read('name,v\n"a, b",1\n"say ""hi""",2\n"two\nlines",3\n');
    assert.deepEqual(categories(t, "name"), { "a, b": 1, 'say "hi"': 1, "two\nlines": 1 });
    assert.deepEqual(numbers(t, "v"), [1, 2, 3]);
  });

  it("accepts CRLF line ends, a byte order mark, blank lines and no final newline", async () => {
    const t = await read(
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from("x,y\r\n1,a\r\n\r\n2,b")]),
    );
    assert.deepEqual(t.names, ["x", "y"]);
    assert.deepEqual(numbers(t, "x"), [1, 2]);
    assert.deepEqual(categories(t, "y"), { a: 1, b: 1 });
  });

  it("reads a column that mixes numbers and text as the file's own strings", async () => {
    const t = await read("code\n1.0\n02\nabc\n1.0\n");
    assert.deepEqual(categories(t, "code"), { "1.0": 2, "02": 1, abc: 1 });
  });

  it("keeps leading zeros when a column is forced categorical", async () => {
    const t = await read("zip\n02134\n2134\n", { zip: "categorical" });
    assert.deepEqual(categories(t, "zip"), { "02134": 1, "2134": 1 });
  });

  it("does not take hexadecimal, padded or infinite values for numbers", async () => {
    const t = await read("v\n0x10\n 1\nInfinity\n");
    assert.deepEqual(categories(t, "v"), { "0x10": 1, " 1": 1, Infinity: 1 });
  });

  it("skips a column of ISO-8601 timestamps", async () => {
    const t = await read("when,v\n2024-01-01,1\n2024-01-02T10:00:00Z,2\n");
    const c = column(t, "when");
    assert.equal(c.kind, "skipped");
    assert.match(c.kind === "skipped" ? c.reason : "", /ISO-8601/);
  });

  it("keeps UTF-8 text intact across chunk boundaries", async () => {
    // Rows longer than one read chunk force the carry-over path.
    const long = "é".repeat(3 << 20);
    const t = await read(`a,b\n${long},1\nz,2\n`);
    assert.deepEqual(
      Object.keys(categories(t, "a"))
        .map((k) => k.length)
        .sort(),
      [1, 3 << 20],
    );
    assert.deepEqual(numbers(t, "b"), [1, 2]);
  });

  it("splits rows correctly at every chunk boundary of a multi-chunk file", async () => {
    // ~10 MB of CRLF rows with quoted fields: rows, quotes and CRLF pairs straddle chunk ends.
    const rows = 400_000;
    const parts = ["i,q,t\r\n"];
    for (let i = 0; i < rows; i++) parts.push(`${i},"q""${i % 7}",t${i % 3}\r\n`);
    const t = await read(parts.join(""));
    assert.equal(t.rows, rows);
    const values = numbers(t, "i");
    assert.equal(values.length, rows);
    assert.equal(
      values.reduce((s, v) => s + v, 0),
      (rows * (rows - 1)) / 2,
    );
    const q = categories(t, "q");
    assert.equal(Object.keys(q).length, 7);
    assert.equal(q['q"0'], Math.ceil(rows / 7));
    assert.deepEqual(
      Object.values(categories(t, "t")).reduce((s, v) => s + v, 0),
      rows,
    );
  });

  it("reads tab-separated files", async () => {
    const t = await read("a\tb\n1\tx y\n", {}, "tsv");
    assert.deepEqual(numbers(t, "a"), [1]);
    assert.deepEqual(categories(t, "b"), { "x y": 1 });
  });

  it("names the physical line of a row with the wrong number of fields", async () => {
    await rejects('a,b\n1,2\n"x\ny",3\n4\n', /t\d+\.csv:5: expected 2 fields, found 1$/);
  });

  it("names the line of an unterminated quoted field", async () => {
    await rejects('a,b\n1,2\n3,"open\n', /:3: unterminated quoted field$/);
  });

  it("rejects text after a closing quote", async () => {
    await rejects('a\n"x"y\n', /:2: unexpected character after the closing quote of field 1$/);
  });

  it("rejects a duplicate or empty header name", async () => {
    await rejects("a,a\n1,2\n", /:1: column name "a" appears twice in the header$/);
    await rejects("a,\n1,2\n", /:1: column 2 of the header has no name$/);
  });

  it("rejects an empty file", async () => {
    await rejects("", /empty file: expected a header row$/);
  });

  it("says which value of a forced-numeric column is not a number", async () => {
    await rejects("p\n1\nabc\n", /:3: column "p": value "abc" is not a number \(remove --numeric/, {
      p: "numeric",
    });
  });

  it("reports a missing file without a stack trace", async () => {
    await assert.rejects(
      readTable(join(dir, "nope.csv"), { hint: () => "auto", include: () => true }),
      /nope\.csv: cannot open: ENOENT/,
    );
  });
});
