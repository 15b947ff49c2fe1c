import { strict as assert } from "node:assert";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parquetWriteFile } from "hyparquet-writer";
import type { ColumnData } from "../../src/io/columns.js";
import { type InputFormat, readTable } from "../../src/io/read.js";
import { readNumericRows, readRawRows } from "../../src/io/rows.js";
import { readTables } from "../../src/io/spec.js";
import type { Table } from "../../src/io/table.js";

const dir = mkdtempSync(join(tmpdir(), "driftwatch-keep-"));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** Reads every column, keeping raw cells and row order, in one pass. */
function readKept(path: string, format: InputFormat): Promise<Table> {
  return readTable(
    path,
    { hint: () => "auto", include: () => true, keep: () => true, rowOrder: true },
    format,
  );
}

/** A numeric column's row order, null where missing, as `readNumericRows` gives a column. */
function rowOrderOf(table: Table, name: string): (number | null)[] {
  const column = table.columns.find((c) => c.name === name) as ColumnData;
  assert.equal(column.kind, "numeric", name);
  const rows = column.kind === "numeric" ? column.rows : undefined;
  assert.ok(rows, `${name} kept its row order`);
  return [...rows].map((v) => (Number.isNaN(v) ? null : v));
}

// Every shape a reader meets: gaps, quoted text, a column that turns to text after numbers, a key
// that first appears late (JSON), booleans and nested values.
const CSV = 'n,m,s,mixed\n1.5,,a,1\n-2,7,"b,c",2.0\n,8,,x\n1e3,9,"",3\n';
const JSON_ROWS = [
  { n: 1.5, s: "a", mixed: 1 },
  { n: -2, m: 7, s: true, mixed: 2 },
  { n: null, m: 8, mixed: "x", deep: { a: 1 } },
  { n: 1000, m: 9, s: "", mixed: 3 },
];

const cases: [InputFormat, () => string][] = [
  ["csv", () => file("t.csv", CSV)],
  ["tsv", () => file("t.tsv", CSV.replaceAll(",", "\t").replace('"b\tc"', '"b,c"'))],
  ["jsonl", () => file("t.jsonl", `${JSON_ROWS.map((r) => JSON.stringify(r)).join("\n")}\n`)],
  ["json", () => file("t.json", JSON.stringify(JSON_ROWS, null, 1))],
  [
    "parquet",
    () => {
      const path = join(dir, "t.parquet");
      parquetWriteFile({
        filename: path,
        columnData: [
          { name: "n", data: [1.5, -2, null, 1000], type: "DOUBLE" },
          { name: "m", data: [null, 7n, 8n, 9n], type: "INT64" },
          { name: "s", data: ["a", "b", null, ""], type: "STRING" },
          { name: "t", data: [new Date(0), null, new Date(2000), new Date(3000)], type: "TIMESTAMP" },
        ],
      });
      return path;
    },
  ],
];

describe("readTable keep and rowOrder", () => {
  for (const [format, make] of cases) {
    it(`keeps in one ${format} pass the cells and numeric rows the row readers give`, async () => {
      const path = make();
      const table = await readKept(path, format);
      const raw = table.raw;
      assert.ok(raw, "raw cells kept");
      const byRows = await readRawRows(path, table.names, format);
      assert.equal(byRows.length, table.rows);
      for (const [j, name] of table.names.entries()) {
        assert.deepEqual(
          raw.get(name),
          byRows.map((row) => row[j]),
          `${format} column ${name}`,
        );
      }
      const numeric = table.columns.filter((c) => c.kind === "numeric").map((c) => c.name);
      assert.ok(numeric.includes("n") && numeric.includes("m"), `numeric columns: ${numeric}`);
      const numbers = await readNumericRows(path, numeric, format);
      for (const [j, name] of numeric.entries()) {
        assert.deepEqual(
          rowOrderOf(table, name),
          numbers.map((row) => row[j]),
          `${format} column ${name}`,
        );
      }
    });
  }

  it("types a column that turns to text after numbers from the kept cells, as a second read would", async () => {
    const path = file("mixed.csv", CSV);
    const once = await readKept(path, "csv");
    const twice = await readTable(path, { hint: () => "auto", include: () => true }, "csv");
    const mixed = (t: Table) => t.columns.find((c) => c.name === "mixed");
    assert.deepEqual(mixed(once), mixed(twice));
    assert.equal(mixed(once)?.kind, "categorical");
  });

  it("keeps only the columns asked for, and no row order unless asked", async () => {
    const path = file("some.csv", CSV);
    const [table] = await readTables(
      [{ path, forced: [], only: ["n"], ignore: [], keep: ["s", "absent"] }],
      0,
    );
    assert.deepEqual([...(table.raw?.keys() ?? [])], ["s"]);
    assert.deepEqual(table.raw?.get("s"), ["a", "b,c", null, ""]);
    const n = table.columns.find((c) => c.name === "n");
    assert.equal(n?.kind === "numeric" ? n.rows : "not numeric", undefined);
  });

  it("counts invalid UTF-8 of a Parquet file only in the compared columns, kept ones aside", async () => {
    const path = join(dir, "bad.parquet");
    parquetWriteFile({
      filename: path,
      columnData: [
        { name: "n", data: [1, 2], type: "DOUBLE" },
        { name: "bad", data: [new Uint8Array([0xff, 0x61]), new Uint8Array([0x62])], type: "BYTE_ARRAY" },
      ],
    });
    const read = (include: (name: string) => boolean) =>
      readTable(path, { hint: () => "auto", include, keep: () => true }, "parquet");
    const all = await read(() => true);
    assert.deepEqual(all.invalidUtf8, { records: 1 });
    const some = await read((name) => name === "n");
    assert.equal(some.invalidUtf8, undefined);
    assert.deepEqual(some.raw?.get("bad"), all.raw?.get("bad"));
    assert.deepEqual(some.raw?.get("n"), [1, 2]);
  });
});
