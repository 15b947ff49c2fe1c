import { strict as assert } from "node:assert";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parquetWriteFile } from "hyparquet-writer";
import { parse } from "yaml";
import { mostlyFor, profileColumn, suggestSuite, widenedBounds } from "../../src/checks/profile.js";
import { loadSuite, type SuiteResult, validateSuite } from "../../src/checks/suite.js";
import { fileTable, readDataColumns } from "../../src/report/checks.js";
import { driftwatch, scratch } from "../support/cli.js";

const REF = "drift/examples/seattle-weather-2012.csv";
const { dir, file } = scratch("driftwatch-suggest-");

interface SuiteDocument {
  name: string;
  expectations: { type: string; kwargs: Record<string, unknown>; notes?: string }[];
}

/** The suggested expectation of a type for a column (or the table when `column` is undefined). */
function find(doc: SuiteDocument, type: string, column?: string) {
  return doc.expectations.find((e) => e.type === type && e.kwargs.column === column);
}

/** Suggests a suite for `data` with the CLI, loads it and validates it against the same file. */
async function suggestAndValidate(
  data: string,
): Promise<{ doc: SuiteDocument; text: string; result: SuiteResult }> {
  const r = driftwatch("suggest", "--reference", data);
  assert.equal(r.code, 0, r.stderr);
  const path = file(`suggested-${Math.random().toString(36).slice(2)}.yaml`, r.stdout);
  const suite = loadSuite(path);
  const rows = await readDataColumns(data);
  const result = validateSuite(suite, fileTable(rows, rows));
  return { doc: parse(r.stdout) as SuiteDocument, text: r.stdout, result };
}

/** Every expectation ran without error and passed. */
function assertAllPassed(result: SuiteResult): void {
  const failed = result.results.filter((r) => !r.success);
  assert.deepEqual(
    failed.map((r) => [r.expectation_config.type, r.expectation_config.kwargs, r.exception_info, r.result]),
    [],
  );
  assert.equal(result.success, true);
}

describe("driftwatch suggest", () => {
  before(() => {
    assert.ok(existsSync("dist/cli/main.js"), "run `npm run build` first (npm test does)");
  });

  it("suggests a suite for the weather reference that loads and passes on that reference", async () => {
    const { doc, text, result } = await suggestAndValidate(REF);
    assertAllPassed(result);
    assert.equal(result.statistics.evaluated_expectations, doc.expectations.length);
    // Header: where it came from, when, and that it is a starter.
    assert.match(
      text,
      /^# Expectation suite suggested by `driftwatch suggest` from drift\/examples\/seattle-weather-2012\.csv\n/,
    );
    assert.match(text, /^# \(366 rows, 6 columns\) at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\.$/m);
    assert.match(text, /^# A starter, not a verdict/m);
    assert.match(text, /widened by 10% of the range on each side/);
    assert.equal(doc.name, "seattle-weather-2012");
    assert.deepEqual(find(doc, "expect_table_columns_to_match_set")?.kwargs, {
      column_set: ["date", "precipitation", "temp_max", "temp_min", "wind", "weather"],
      exact_match: true,
    });
    assert.ok(find(doc, "expect_schema_to_match_reference"));
    assert.equal(find(doc, "expect_column_values_to_be_of_type", "temp_max")?.kwargs.type_, "float");
    assert.equal(find(doc, "expect_column_values_to_be_of_type", "weather")?.kwargs.type_, "str");
    assert.equal(find(doc, "expect_column_values_to_be_of_type", "date")?.kwargs.type_, "str");
    // 2012's temp_max runs from -1.1 to 34.4: 3.55 either side, rounded outwards to 0.1.
    assert.deepEqual(find(doc, "expect_column_values_to_be_between", "temp_max")?.kwargs, {
      column: "temp_max",
      min_value: -4.7,
      max_value: 38,
    });
    // Precipitation is never negative, so its lower bound stays at 0.
    assert.equal(find(doc, "expect_column_values_to_be_between", "precipitation")?.kwargs.min_value, 0);
    assert.deepEqual(find(doc, "expect_column_values_to_be_in_set", "weather")?.kwargs.value_set, [
      "drizzle",
      "fog",
      "rain",
      "snow",
      "sun",
    ]);
    // One date per row: id-like, unique, no range and no set.
    assert.ok(find(doc, "expect_column_values_to_be_unique", "date"));
    assert.equal(find(doc, "expect_column_values_to_be_in_set", "date"), undefined);
    assert.equal(find(doc, "expect_column_values_to_be_unique", "weather"), undefined);
    for (const column of ["date", "precipitation", "temp_max", "temp_min", "wind", "weather"])
      assert.deepEqual(find(doc, "expect_column_values_to_not_be_null", column)?.kwargs, { column });
  });

  it("profiles JSON Lines with missing values, booleans, mixed types and an id column, and passes on it", async () => {
    const lines: string[] = [];
    for (let i = 0; i < 40; i++)
      lines.push(
        JSON.stringify({
          id: 1000 + i,
          score: i % 10 === 0 ? null : i / 4,
          flag: i % 3 === 0,
          code: i % 2 === 0 ? i : `c${i}`,
          plan: ["free", "pro"][i % 2],
          empty: null,
        }),
      );
    const { doc, result } = await suggestAndValidate(file("events.jsonl", `${lines.join("\n")}\n`));
    assertAllPassed(result);
    assert.equal(find(doc, "expect_column_values_to_be_of_type", "id")?.kwargs.type_, "int");
    assert.ok(find(doc, "expect_column_values_to_be_unique", "id"));
    assert.equal(find(doc, "expect_column_values_to_be_between", "id"), undefined, "ids grow: no range");
    // 36 of 40 scores are present: 90 %, so mostly is 0.89.
    assert.deepEqual(find(doc, "expect_column_values_to_not_be_null", "score")?.kwargs, {
      column: "score",
      mostly: 0.89,
    });
    assert.equal(find(doc, "expect_column_values_to_be_of_type", "flag")?.kwargs.type_, "bool");
    assert.deepEqual(find(doc, "expect_column_values_to_be_in_type_list", "code")?.kwargs.type_list, [
      "int",
      "str",
    ]);
    assert.deepEqual(find(doc, "expect_column_values_to_be_in_set", "plan")?.kwargs.value_set, [
      "free",
      "pro",
    ]);
    assert.equal(
      doc.expectations.filter((e) => e.kwargs.column === "empty").length,
      0,
      "no column expectations for a column without values",
    );
  });

  it("profiles Parquet: doubles, 64-bit integers, text, booleans and timestamps, and passes on it", async () => {
    const path = join(dir, "typed.parquet");
    const n = 12;
    parquetWriteFile({
      filename: path,
      columnData: [
        {
          name: "d",
          data: Array.from({ length: n }, (_, i) => (i === 3 ? null : i * 1.5 - 4)),
          type: "DOUBLE",
        },
        { name: "i", data: Array.from({ length: n }, (_, i) => BigInt(100 + i)), type: "INT64" },
        { name: "s", data: Array.from({ length: n }, (_, i) => `s${i}`), type: "STRING" },
        { name: "b", data: Array.from({ length: n }, (_, i) => i % 2 === 0), type: "BOOLEAN" },
        { name: "t", data: Array.from({ length: n }, (_, i) => new Date(i * 86_400_000)), type: "TIMESTAMP" },
      ],
    });
    const data = await readDataColumns(path);
    assert.deepEqual(data.columns.get("t")?.slice(0, 2), [
      "1970-01-01T00:00:00.000Z",
      "1970-01-02T00:00:00.000Z",
    ]);
    assert.deepEqual(data.columns.get("i")?.slice(0, 2), [100, 101]);
    const { doc, result } = await suggestAndValidate(path);
    assertAllPassed(result);
    assert.deepEqual(
      ["d", "i", "s", "b", "t"].map((c) => find(doc, "expect_column_values_to_be_of_type", c)?.kwargs.type_),
      ["float", "int", "str", "bool", "str"],
    );
    assert.deepEqual(find(doc, "expect_column_values_to_be_between", "d")?.kwargs, {
      column: "d",
      min_value: -5.7,
      max_value: 14.2,
    });
    assert.equal(find(doc, "expect_column_values_to_not_be_null", "d")?.kwargs.mostly, 0.9);
    assert.ok(find(doc, "expect_column_values_to_be_unique", "t"));
  });

  it("quotes hostile column names so that the suite round-trips", async () => {
    const names = ["a: b", "#hash", "quote \"q\" 'r'", "- dash", "<script>alert(1)</script>"];
    const rows = Array.from({ length: 30 }, (_, i) => [i % 3, `x${i % 2}`, i, -i, "same"].join(","));
    const header = names.map((n) => `"${n.replaceAll('"', '""')}"`).join(",");
    const { doc, result } = await suggestAndValidate(file("hostile.csv", `${header}\n${rows.join("\n")}\n`));
    assertAllPassed(result);
    assert.deepEqual(find(doc, "expect_table_columns_to_match_set")?.kwargs.column_set, names);
    assert.ok(find(doc, "expect_column_values_to_be_unique", "quote \"q\" 'r'"));
  });

  it("writes the suite with --out, names it after the file, and does not overwrite without --force", () => {
    const out = join(dir, "weather-starter.yaml");
    const r = driftwatch("suggest", "--reference", REF, "--out", out);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /weather-starter\.yaml: suite "weather-starter", \d+ expectations for 6 columns of .*\(366 rows\)\n$/,
    );
    const suite = loadSuite(out);
    assert.equal(suite.name, "weather-starter");
    assert.ok(suite.expectations.length >= 15);
    writeFileSync(out, "name: edited\nexpectations: []\n");
    const again = driftwatch("suggest", "--reference", REF, "--out", out);
    assert.equal(again.code, 2);
    assert.equal(again.stderr, `driftwatch: ${out}: exists; pass --force to overwrite it\n`);
    assert.equal(readFileSync(out, "utf8"), "name: edited\nexpectations: []\n", "the edited file is kept");
    const forced = driftwatch("suggest", "--reference", REF, "--out", out, "--force", "--name", "weather");
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(loadSuite(out).name, "weather");
  });

  it("rejects a missing file with one line and exit code 2", () => {
    const r = driftwatch("suggest", "--reference", "nope.csv");
    assert.equal(r.code, 2);
    assert.equal(r.stderr, "driftwatch: nope.csv: cannot open: ENOENT\n");
    assert.equal(r.stdout, "");
    const unknown = driftwatch("suggest", "--reference", file("data.txt", "a\n1\n"));
    assert.equal(unknown.code, 2);
    assert.match(
      unknown.stderr,
      /^driftwatch: .*data\.txt: unknown file type "\.txt"; .*--input-format\)\n$/,
    );
  });
});

describe("suggestSuite rules", () => {
  it("widens numeric ranges by 10 % of the range, rounding outwards", () => {
    assert.deepEqual(widenedBounds(-1.1, 34.4, false), [-4.7, 38]);
    assert.deepEqual(widenedBounds(0, 54.1, false), [0, 59.6]);
    assert.deepEqual(widenedBounds(10, 20, true), [9, 21]);
    assert.deepEqual(
      widenedBounds(5, 5, true),
      [4, 6],
      "a constant column: 10 % of its value, whole numbers",
    );
    assert.deepEqual(widenedBounds(0, 0, false), [0, 1]);
    assert.deepEqual(widenedBounds(-3, -1, false), [-3.2, -0.8]);
    for (const [min, max] of [
      [0.001, 0.0017],
      [123456.7, 123456.8],
      [-1e9, 3e9],
    ]) {
      const [lo, hi] = widenedBounds(min, max, false);
      assert.ok(lo < min && hi > max, `${lo}..${hi} contains ${min}..${max}`);
    }
  });

  it("sets mostly just under the present share", () => {
    assert.equal(mostlyFor(0.987), 0.97);
    assert.equal(mostlyFor(0.9), 0.89);
    assert.equal(mostlyFor(0.015), null);
  });

  it("takes few text values as a set only when they repeat enough", () => {
    const repeated = Array.from({ length: 100 }, (_, i) => ["a", "b", "c"][i % 3]);
    assert.deepEqual(profileColumn("x", repeated).categories, ["a", "b", "c"]);
    assert.equal(profileColumn("x", repeated.slice(0, 30)).categories, null, "3 of 30 is over 5 %");
    const many = Array.from({ length: 1000 }, (_, i) => `v${i % 21}`);
    assert.equal(profileColumn("x", many).categories, null, "21 distinct values is over 20");
  });

  it("lists the table's expectations first and remarks on empty columns", () => {
    const suite = suggestSuite(
      {
        names: ["n", "gone"],
        rows: 2,
        columns: new Map([
          ["n", [1, 2]],
          ["gone", [null, null]],
        ]),
      },
      "t",
    );
    assert.deepEqual(suite.expectations.map((e) => e.type).slice(0, 2), [
      "expect_table_columns_to_match_set",
      "expect_schema_to_match_reference",
    ]);
    assert.deepEqual(suite.remarks, ['column "gone" has no values in the reference: no column expectations']);
  });
});
