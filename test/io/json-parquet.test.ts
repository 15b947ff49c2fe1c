import { strict as assert } from "node:assert";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parquetWriteFile } from "hyparquet-writer";
import { UserError } from "../../src/errors.js";
import type { ColumnData } from "../../src/io/columns.js";
import { formatOf, readTable } from "../../src/io/read.js";
import { readTables } from "../../src/io/spec.js";
import type { Table } from "../../src/io/table.js";

const dir = mkdtempSync(join(tmpdir(), "driftwatch-json-"));
const all = { hint: () => "auto" as const, include: () => true };

function column(table: Table, name: string): ColumnData {
  const found = table.columns.find((c) => c.name === name);
  assert.ok(found, `column ${name}`);
  return found;
}

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe("readJsonLines", () => {
  it("reads objects line by line with keys as columns and absent keys as missing", async () => {
    const t = await readTable(file("a.jsonl", '{"x":1,"c":"a"}\n\n{"x":2.5}\n{"c":true,"x":null}\n'), all);
    assert.equal(t.rows, 3);
    assert.deepEqual(t.names, ["x", "c"]);
    const x = column(t, "x");
    assert.equal(x.kind, "numeric");
    assert.deepEqual(x.kind === "numeric" ? [...x.sample.sorted] : [], [1, 2.5]);
    assert.equal(x.missing, 1);
    const c = column(t, "c");
    assert.deepEqual(c.kind === "categorical" ? Object.fromEntries(c.sample.counts) : {}, { a: 1, true: 1 });
    assert.equal(c.missing, 1);
  });

  it("turns a column of numbers and strings into categories", async () => {
    const t = await readTable(file("b.jsonl", '{"v":1}\n{"v":"one"}\n'), all);
    const v = column(t, "v");
    assert.deepEqual(v.kind === "categorical" ? Object.fromEntries(v.sample.counts) : {}, { "1": 1, one: 1 });
  });

  it("skips nested values", async () => {
    const t = await readTable(file("n.jsonl", '{"o":{"a":1}}\n{"o":[1]}\n'), all);
    assert.equal(column(t, "o").kind, "skipped");
  });

  it("names the line of invalid JSON and of a non-object", async () => {
    await assert.rejects(readTable(file("bad.jsonl", '{"x":1}\n{"x":\n'), all), (e: unknown) => {
      assert.ok(e instanceof UserError);
      assert.match(e.message, /bad\.jsonl:2: invalid JSON: /);
      return true;
    });
    await assert.rejects(
      readTable(file("arr.jsonl", "[1,2]\n"), all),
      /arr\.jsonl:1: expected a JSON object, found an array/,
    );
  });
});

describe("readJsonArray", () => {
  it("reads an array of objects", async () => {
    const t = await readTable(file("a.json", '[{"x":1},{"x":3}]'), all);
    assert.equal(t.rows, 2);
    const x = column(t, "x");
    assert.deepEqual(x.kind === "numeric" ? [...x.sample.sorted] : [], [1, 3]);
  });

  it("names the line of a syntax error", async () => {
    await assert.rejects(
      readTable(file("bad.json", '[\n{"x":1},\n{"x" 2}\n]'), all),
      /bad\.json:3: invalid JSON/,
    );
  });

  it("rejects a document that is not an array", async () => {
    await assert.rejects(
      readTable(file("obj.json", '{"x":1}'), all),
      /obj\.json: expected a JSON array of objects/,
    );
  });
});

describe("readParquet", () => {
  it("reads numeric, integer, string and boolean columns and skips timestamps", async () => {
    const path = join(dir, "t.parquet");
    parquetWriteFile({
      filename: path,
      columnData: [
        { name: "d", data: [1.5, null, -2], type: "DOUBLE" },
        { name: "i", data: [1n, 2n, 3n], type: "INT64" },
        { name: "s", data: ["a", "b", "a"], type: "STRING" },
        { name: "b", data: [true, false, true], type: "BOOLEAN" },
        { name: "t", data: [new Date(0), new Date(1000), new Date(2000)], type: "TIMESTAMP" },
      ],
    });
    const t = await readTable(path, all);
    assert.equal(t.rows, 3);
    assert.deepEqual(t.names, ["d", "i", "s", "b", "t"]);
    const d = column(t, "d");
    assert.deepEqual(d.kind === "numeric" ? [...d.sample.sorted] : [], [-2, 1.5]);
    assert.equal(d.missing, 1);
    const i = column(t, "i");
    assert.deepEqual(i.kind === "numeric" ? [...i.sample.sorted] : [], [1, 2, 3]);
    const s = column(t, "s");
    assert.deepEqual(s.kind === "categorical" ? Object.fromEntries(s.sample.counts) : {}, { a: 2, b: 1 });
    const b = column(t, "b");
    assert.deepEqual(b.kind === "categorical" ? Object.fromEntries(b.sample.counts) : {}, {
      true: 2,
      false: 1,
    });
    assert.equal(column(t, "t").kind, "skipped");
  });

  it("rejects a file that is not Parquet", async () => {
    await assert.rejects(
      readTable(file("fake.parquet", "hello"), all),
      /fake\.parquet: not a readable Parquet file/,
    );
  });
});

describe("formatOf", () => {
  it("picks the reader from the extension and names the choices otherwise", () => {
    assert.equal(formatOf("x.CSV"), "csv");
    assert.equal(formatOf("x.ndjson"), "jsonl");
    assert.equal(formatOf("x.pq"), "parquet");
    assert.throws(() => formatOf("x.xlsx"), /unknown file type "\.xlsx"; expected .*--input-format/);
  });
});

describe("readTables", () => {
  it("reads in worker threads exactly what it reads in this thread, user errors included", async () => {
    const a = file("wa.csv", "x,c\n3,p\n1,q\n2,p\n");
    const b = file("wb.jsonl", '{"x":5,"c":"q"}\n{"x":4}\n');
    const specs = [a, b].map((path) => ({
      path,
      forced: [["c", "categorical"]] as [string, "categorical"][],
      only: [],
      ignore: [],
    }));
    const inThread = await readTables(specs, 0);
    const inWorkers = await readTables(specs, 1 << 30);
    assert.deepEqual(inWorkers, inThread);
    const x = inWorkers[0].columns[0];
    assert.ok(x.kind === "numeric" && x.sample.sorted instanceof Float64Array);
    const bad = file("wbad.csv", "x\n1,2\n");
    await assert.rejects(readTables([specs[0], { ...specs[0], path: bad }], 1 << 30), (e: unknown) => {
      assert.ok(e instanceof UserError, String(e));
      assert.match(e.message, /wbad\.csv:2: expected 1 fields, found 2/);
      return true;
    });
  });
});
