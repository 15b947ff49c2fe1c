import { strict as assert } from "node:assert";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parquetMetadata } from "hyparquet";
import { parquetWriteFile } from "hyparquet-writer";
// hyparquet-writer's own metadata writer: the way to give a real file a footer that lies.
import { ByteWriter } from "hyparquet-writer/src/bytewriter.js";
import { writeMetadata } from "hyparquet-writer/src/metadata.js";
import Papa from "papaparse";
import { dynamicValue, readReferenceFields } from "../../src/checks/reference.js";
import { UserError } from "../../src/errors.js";
import type { ReadLimits } from "../../src/io/limits.js";
import { readTable } from "../../src/io/read.js";
import { readRawRows } from "../../src/io/rows.js";
import { readTableFromSpec, readTables, type TableSpec } from "../../src/io/spec.js";
import { BIN, driftwatch, type Outcome } from "../support/cli.js";

/**
 * `driftwatch report` on oversized input: a 2 GiB line ran for 10 minutes at 3.7 GiB with no
 * output, a million-column header did not finish. Every reader now enforces limits on line,
 * field and column count while it reads and fails with one line naming the file, the line and
 * the limit. The inputs here are small and the limits smaller.
 */

/** A user error: exit code 2, exactly one line on stderr matching `pattern`, no stack trace. */
function assertOneLine(outcome: Outcome, pattern: RegExp): void {
  assert.equal(outcome.code, 2, `exit code (stderr: ${outcome.stderr.slice(0, 2000)})`);
  const lines = outcome.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, `one line on stderr: ${outcome.stderr.slice(0, 2000)}`);
  assert.match(lines[0], pattern);
  assert.ok(!/^\s+at /m.test(outcome.stderr), outcome.stderr);
}

const small = (limits: Partial<Record<"line" | "field" | "columns", number>>): string[] => [
  ...(limits.line === undefined ? [] : ["--max-line-bytes", String(limits.line)]),
  ...(limits.field === undefined ? [] : ["--max-field-bytes", String(limits.field)]),
  ...(limits.columns === undefined ? [] : ["--max-columns", String(limits.columns)]),
];

const limits = (partial: Partial<ReadLimits>): ReadLimits => ({
  maxLineBytes: 1 << 20,
  maxFieldBytes: 1 << 20,
  maxColumns: 1000,
  ...partial,
});

describe("driftwatch report on oversized input", () => {
  let dir = "";
  const file = (name: string, content: string | Buffer): string => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };
  const csv = (rows: string[][]): string => `${rows.map((r) => r.join(",")).join("\n")}\n`;
  let ref = "";

  before(() => {
    assert.ok(existsSync("dist/cli/main.js"), "run `npm run build` first (npm test does)");
    dir = mkdtempSync(join(tmpdir(), "driftwatch-report-limits-"));
    ref = file(
      "ref.csv",
      csv([
        ["a", "b"],
        ["1", "x"],
        ["2", "y"],
        ["3", "x"],
      ]),
    );
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("stops at a header with more columns than --max-columns, naming the file and line", () => {
    const names = Array.from({ length: 50 }, (_, i) => `c${i}`);
    const cur = file("wide.csv", csv([names, names.map(() => "1")]));
    assertOneLine(
      driftwatch("report", "--reference", ref, "--current", cur, ...small({ columns: 10 })),
      new RegExp(`^driftwatch: ${cur}:1: more than 10 columns \\(--max-columns 10\\)$`),
    );
  });

  it("stops at a field longer than --max-field-bytes, naming its line and column", () => {
    const cur = file(
      "field.csv",
      csv([
        ["a", "b"],
        ["1", "x"],
        ["2", "y".repeat(2000)],
      ]),
    );
    assertOneLine(
      driftwatch("report", "--reference", ref, "--current", cur, ...small({ field: 1000 })),
      new RegExp(
        `^driftwatch: ${cur}:3: column 2 \\("b"\\): field of 2000 bytes, more than --max-field-bytes 1000$`,
      ),
    );
  });

  it("stops at a line longer than --max-line-bytes, and reads one exactly at the limit", () => {
    const long = csv([
      ["a", "b"],
      ["1", "x"],
      ["2", "y".repeat(4998)],
    ]);
    const cur = file("line.csv", long);
    assertOneLine(
      driftwatch("report", "--reference", ref, "--current", cur, ...small({ line: 1000 })),
      new RegExp(`^driftwatch: ${cur}:3: line of 5000 bytes, more than --max-line-bytes 1000$`),
    );
    const ok = driftwatch("report", "--reference", ref, "--current", cur, ...small({ line: 5000 }));
    assert.equal(ok.code, 0, ok.stderr);
  });

  // The 2 GiB line, without the 2 GiB: a pipe that never ends a line. A reader that buffers the
  // line before checking it never returns; one that checks while reading stops at the limit.
  for (const [format, prefix] of [
    ["csv", "a,b\n1,"],
    ["jsonl", '{"a": "'],
    ["json", '[{"a": 1},\n {"a": "'],
  ] as const) {
    it(`stops an endless ${format} line from a pipe as soon as --max-line-bytes is passed`, () => {
      const fifo = join(dir, `endless-${format}.${format}`);
      const made = spawnSync("mkfifo", [fifo]);
      assert.equal(made.status, 0, String(made.stderr));
      const writer: ChildProcess = spawn(
        process.execPath,
        [
          "-e",
          `const fs = require("fs"); const fd = fs.openSync(${JSON.stringify(fifo)}, "w");
           fs.writeSync(fd, ${JSON.stringify(prefix)}); const x = Buffer.alloc(1 << 16, 120);
           try { for (;;) fs.writeSync(fd, x); } catch { process.exit(0); }`,
        ],
        { stdio: "ignore" },
      );
      try {
        const jsonRef =
          format === "csv" ? ref : file(`ref.${format}`, format === "json" ? '[{"a": 1}]' : '{"a": 1}\n');
        const r = spawnSync(
          process.execPath,
          [BIN, "report", "--reference", jsonRef, "--current", fifo, ...small({ line: 1000 })],
          { encoding: "utf8", timeout: 30_000 },
        );
        assert.equal(r.error, undefined, "report ended on its own");
        const line = format === "json" ? 2 : format === "csv" ? 2 : 1;
        assertOneLine(
          { code: r.status, stdout: r.stdout, stderr: r.stderr },
          new RegExp(
            `^driftwatch: ${fifo}:${line}: line longer than 1000 bytes \\(no line end within --max-line-bytes 1000\\)$`,
          ),
        );
      } finally {
        writer.kill("SIGKILL");
      }
    });
  }

  it("names a directory given as a data file in one line, whatever the format", () => {
    const folder = join(dir, "folder.csv");
    spawnSync("mkdir", [folder]);
    for (const format of ["csv", "jsonl", "json", "parquet"]) {
      assertOneLine(
        driftwatch("report", "--reference", folder, "--current", ref, "--input-format", format),
        new RegExp(`^driftwatch: ${folder}: cannot open: EISDIR \\(a directory, not a data file\\)$`),
      );
    }
  });

  it("limits JSON Lines: distinct keys as columns, string values as fields", () => {
    const jref = file("ref2.jsonl", '{"a": 1}\n{"a": 2}\n');
    const keys = file(
      "keys.jsonl",
      `{"a": 1}\n${JSON.stringify(Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i])))}\n`,
    );
    assertOneLine(
      driftwatch("report", "--reference", jref, "--current", keys, ...small({ columns: 10 })),
      new RegExp(`^driftwatch: ${keys}:2: more than 10 columns \\(--max-columns 10\\)$`),
    );
    const big = file("big.jsonl", `{"a": 1}\n{"a": 2, "b": "${"é".repeat(600)}"}\n`);
    assertOneLine(
      driftwatch("report", "--reference", jref, "--current", big, ...small({ field: 1000 })),
      new RegExp(`^driftwatch: ${big}:2: column "b": field of 1200 bytes, more than --max-field-bytes 1000$`),
    );
  });

  it("limits JSON arrays element by element, naming the line an element starts on", () => {
    const jref = file("ref3.json", '[{"a": 1}, {"a": 2}]');
    const cur = file("elements.json", `[\n  {"a": 1},\n  {"a": 2},\n  {"a": "${"z".repeat(3000)}"}\n]\n`);
    assertOneLine(
      driftwatch("report", "--reference", jref, "--current", cur, ...small({ line: 1000 })),
      new RegExp(`^driftwatch: ${cur}:4: line of 3009 bytes, more than --max-line-bytes 1000$`),
    );
    const ok = driftwatch("report", "--reference", jref, "--current", cur);
    assert.equal(ok.code, 0, ok.stderr);
  });

  it("limits Parquet columns and string values", async () => {
    const n = 20;
    const wide = join(dir, "wide.parquet");
    parquetWriteFile({
      filename: wide,
      columnData: Array.from({ length: 12 }, (_, c) => ({
        name: `c${c}`,
        data: Float64Array.from({ length: n }, (_, k) => k + c),
        type: "DOUBLE" as const,
      })),
    });
    assertOneLine(
      driftwatch("report", "--reference", wide, "--current", wide, ...small({ columns: 10 })),
      new RegExp(`^driftwatch: ${wide}: 12 columns, more than --max-columns 10$`),
    );
    const text = join(dir, "text.parquet");
    parquetWriteFile({
      filename: text,
      columnData: [
        {
          name: "s",
          data: Array.from({ length: n }, (_, k) => (k === 7 ? "q".repeat(5000) : "a")),
          type: "STRING",
        },
      ],
    });
    assertOneLine(
      driftwatch("report", "--reference", text, "--current", text, ...small({ field: 1000 })),
      new RegExp(
        `^driftwatch: ${text}: a string value: field of 5000 bytes, more than --max-field-bytes 1000$`,
      ),
    );
  });

  describe("a Parquet file whose footer lies", () => {
    let base: Buffer;
    /** `base` with its metadata changed by `mutate` and written back with hyparquet-writer. */
    const lie = (name: string, mutate: (m: ReturnType<typeof parquetMetadata>) => void): string => {
      const metaLength = base.readUInt32LE(base.length - 8);
      const metadata = parquetMetadata(new Uint8Array(base));
      mutate(metadata);
      const writer = new ByteWriter();
      // hyparquet-writer bundles its own hyparquet, whose types are the same shape.
      writeMetadata(writer, metadata as unknown as Parameters<typeof writeMetadata>[1]);
      const meta = Buffer.from(writer.getBuffer());
      const tail = Buffer.alloc(8);
      tail.writeUInt32LE(meta.length, 0);
      tail.write("PAR1", 4);
      return file(name, Buffer.concat([base.subarray(0, base.length - 8 - metaLength), meta, tail]));
    };

    before(() => {
      const n = 2000;
      const path = join(dir, "base.parquet");
      parquetWriteFile({
        filename: path,
        columnData: [
          { name: "i", data: Int32Array.from({ length: n }, (_, k) => k), type: "INT32" },
          { name: "x", data: Float64Array.from({ length: n }, (_, k) => Math.sin(k)), type: "DOUBLE" },
          { name: "s", data: Array.from({ length: n }, (_, k) => `cat${k % 7}`), type: "STRING" },
        ],
        rowGroupSize: 500,
      });
      base = readFileSync(path);
    });

    // Four billion rows over pages that hold 2000: hyparquet allocated for the footer's count
    // (parquetReadObjects) until the process died.
    it("fails cleanly when the row count is a consistent lie, in every reader", async () => {
      const path = lie("lie-rows.parquet", (m) => {
        for (const group of m.row_groups) {
          group.num_rows = 1_000_000_000n;
          for (const c of group.columns) if (c.meta_data) c.meta_data.num_values = 1_000_000_000n;
        }
        m.num_rows = 4_000_000_000n;
      });
      const message = new RegExp(
        `${path}: not a readable Parquet file: column "i" holds 2000 values, the metadata says 4000000000 rows$`,
      );
      await assert.rejects(
        readTable(path, { hint: () => "auto", include: () => true }, "parquet"),
        (e: Error) => e instanceof UserError && message.test(e.message),
      );
      await assert.rejects(
        readRawRows(path, ["i", "x"], "parquet"),
        (e: Error) => e instanceof UserError && message.test(e.message),
      );
      assertOneLine(driftwatch("report", "--reference", path, "--current", path, "--outliers"), message);
    });

    it("fails cleanly on negative counts, chunks outside the file and counts that disagree", async () => {
      const cases: [string, (m: ReturnType<typeof parquetMetadata>) => void, RegExp][] = [
        [
          "negative.parquet",
          (m) => {
            m.num_rows = -20n;
          },
          /not a readable Parquet file: the number of rows is -20$/,
        ],
        [
          "outside.parquet",
          (m) => {
            for (const c of m.row_groups[1].columns)
              if (c.meta_data) c.meta_data.data_page_offset = 2n ** 40n;
          },
          /not a readable Parquet file: column "i" of row group 1 lies outside the data \(bytes 1099511627776-\d+ of \d+\)$/,
        ],
        [
          "disagree.parquet",
          (m) => {
            m.row_groups[2].num_rows = 7n;
          },
          /not a readable Parquet file: column "i" of row group 2 holds 500 values for 7 rows$/,
        ],
        [
          "total.parquet",
          (m) => {
            m.num_rows = 3n;
          },
          /not a readable Parquet file: the row groups hold 2000 rows, the footer says 3$/,
        ],
      ];
      for (const [name, mutate, pattern] of cases) {
        const path = lie(name, mutate);
        assertOneLine(driftwatch("report", "--reference", path, "--current", path), pattern);
        await assert.rejects(
          readRawRows(path, ["i"], "parquet"),
          (e: Error) => e instanceof UserError && pattern.test(e.message),
        );
      }
    });

    it("reads many row groups through one file handle", async () => {
      // 3000 row groups pointing at the same bytes: hyparquet's file reader opened the file once
      // per column chunk at the same time and died of EMFILE in an unhandled rejection.
      const path = lie("many.parquet", (m) => {
        const group = m.row_groups[0];
        m.row_groups = Array.from({ length: 3000 }, () => group);
        m.num_rows = 1_500_000n;
      });
      const rows = await readRawRows(path, ["i"], "parquet");
      assert.equal(rows.length, 1_500_000);
    });
  });

  it("returns an error from a reader thread as the same one-line error", async () => {
    const names = Array.from({ length: 6 }, (_, i) => `c${i}`);
    const path = file("six.csv", csv([names, names.map(() => "1")]));
    const spec: TableSpec = {
      path,
      forced: [],
      only: [],
      ignore: [],
      limits: limits({ maxColumns: 5 }),
    };
    let inThread = "";
    await readTableFromSpec(spec).catch((e: Error) => {
      inThread = e.message;
    });
    assert.equal(inThread, `${path}:1: more than 5 columns (--max-columns 5)`);
    // A total above the threshold sends each file to its own worker thread.
    await assert.rejects(readTables([spec, { ...spec }], 1 << 30), (e: Error) => {
      assert.ok(e instanceof UserError, `a UserError, not ${e.name}`);
      assert.equal(e.message, inThread);
      return true;
    });
  });

  it("gives profile and suggest the same limits", () => {
    const names = Array.from({ length: 30 }, (_, i) => `c${i}`);
    const wide = file("profile-wide.csv", csv([names, names.map(() => "1")]));
    const expected = new RegExp(`^driftwatch: ${wide}:1: more than 10 columns \\(--max-columns 10\\)$`);
    assertOneLine(
      driftwatch("profile", "--input", wide, "--out", join(dir, "p.json"), ...small({ columns: 10 })),
      expected,
    );
    assertOneLine(driftwatch("suggest", "--reference", wide, ...small({ columns: 10 })), expected);
    const ok = driftwatch("suggest", "--reference", wide);
    assert.equal(ok.code, 0, ok.stderr);
  });

  it("reads the daemon's reference files with the default limits", () => {
    // 10 001 columns, one more than the default.
    const names = Array.from({ length: 10_001 }, (_, i) => `c${i}`);
    const reference = file("ten-thousand.csv", csv([names, names.map(() => "1")]));
    file("events.jsonl", '{"c0": 1}\n');
    const config = file(
      "daemon.yaml",
      `sources:
  inputs: { type: file, path: events.jsonl }
features:
  c0: { source: inputs, path: /c0, type: numeric }
monitors:
  d:
    type: drift
    features: [c0]
    reference: { type: file, path: ten-thousand.csv }
    window: { type: tumbling, events: 10 }
  o:
    type: outliers
    features: [c0]
    reference: { type: file, path: ten-thousand.csv }
    window: { type: tumbling, events: 10 }
`,
    );
    const r = driftwatch("validate", "--config", config);
    assert.equal(r.code, 2, r.stderr);
    const problem = `${reference}:1: more than 10000 columns (--max-columns 10000)`;
    assert.match(r.stderr, /\/monitors\/d\/reference\/path/);
    assert.match(r.stderr, /\/monitors\/o\/reference\/path/);
    assert.equal(r.stderr.split(problem).length - 1, 2, r.stderr);
  });

  it("streams the checks reference with the limits, typing CSV cells as papaparse did", async () => {
    const endless = file("ref-long.jsonl", `{"a": 1}\n{"a": "${"w".repeat(5000)}"}\n`);
    await assert.rejects(
      readReferenceFields(endless, limits({ maxLineBytes: 1000 })),
      (e: Error) =>
        e instanceof UserError &&
        e.message === `${endless}:2: line of 5009 bytes, more than --max-line-bytes 1000`,
    );
    const samples = [
      "1",
      "-2.5",
      "1e3",
      " 7 ",
      "9007199254740993",
      "true",
      "TRUE",
      "True",
      "false",
      "",
      "abc",
      "2024-01-02T03:04:05Z",
      "2024-01-02",
      "0x10",
      ".5",
      "5.",
      "NaN",
      "-",
    ];
    const parsed = Papa.parse<unknown[]>(samples.map((s) => JSON.stringify(s)).join(","), {
      dynamicTyping: true,
    }).data[0] as unknown[];
    assert.deepEqual(samples.map(dynamicValue), parsed);
    const cells = file("typed.csv", `n,b,t,e\n1,true,x,\n2.5,FALSE,y,\n`);
    const fields = await readReferenceFields(cells);
    assert.deepEqual(Object.fromEntries([...fields].map(([k, v]) => [k, [...v].sort()])), {
      "/n": ["number"],
      "/b": ["boolean"],
      "/t": ["string"],
      "/e": ["null"],
    });
  });
});
