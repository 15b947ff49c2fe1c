import { strict as assert } from "node:assert";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv } from "ajv";
import type { DriftReport, ExpectationOutcome } from "../../src/report/model.js";
import { driftwatch, type Outcome, scratch } from "../support/cli.js";

const REF = "drift/examples/seattle-weather-2012.csv";
const CUR = "drift/examples/seattle-weather-2015.csv";
const { dir, file } = scratch("driftwatch-report-suite-");

const validateReport = new Ajv({ allErrors: true, strict: false }).compile(
  JSON.parse(readFileSync("schemas/drift-report.schema.json", "utf8")),
);

function reportOf(r: Outcome): DriftReport {
  const report = JSON.parse(r.stdout) as DriftReport;
  assert.ok(validateReport(report), JSON.stringify(validateReport.errors));
  return report;
}

function outcome(report: DriftReport, type: string): ExpectationOutcome {
  const found = report.checks?.[0].expectations.find((e) => e.type === type);
  assert.ok(found, `${type} in ${JSON.stringify(report.checks)}`);
  return found;
}

/** 2015's hottest day is 35 °C, its coldest night -3.8 °C. */
const FAILING = file(
  "failing.yaml",
  `name: weather-limits
expectations:
  - type: expect_table_columns_to_match_set
    kwargs: { column_set: [date, precipitation, temp_max, temp_min, wind, weather], exact_match: true }
  - type: expect_schema_to_match_reference
    kwargs: {}
  - type: expect_column_max_to_be_between
    kwargs: { column: temp_max, max_value: 30 }
  - type: expect_column_values_to_be_between
    kwargs: { column: temp_min, min_value: 0 }
    severity: warn
  - type: expect_time_since_last_event_to_be_less_than
    kwargs: { max_secs: 60 }
    severity: warn
`,
);

describe("driftwatch report --suite", () => {
  before(() => {
    assert.ok(existsSync("dist/cli/main.js"), "run `npm run build` first (npm test does)");
  });

  it("adds a checks section that follows the published schema, and exits 0 when the suite passes", () => {
    const suite = file("starter.yaml", driftwatch("suggest", "--reference", REF).stdout);
    const r = driftwatch("report", "--reference", REF, "--current", REF, "--suite", suite);
    assert.equal(r.code, 0, r.stderr);
    const report = reportOf(r);
    assert.equal(report.checks?.length, 1);
    const checks = report.checks?.[0];
    assert.ok(checks);
    assert.equal(checks.suite, "seattle-weather-2012", "named after the reference");
    assert.match(checks.file, /starter\.yaml$/);
    assert.equal(checks.success, true);
    assert.equal(checks.statistics.unsuccessful_expectations, 0);
    assert.equal(checks.statistics.evaluated_expectations, checks.expectations.length);
    assert.ok(checks.expectations.every((e) => e.success && e.error === null && e.severity === "fail"));
    const between = outcome(report, "expect_column_values_to_be_between");
    assert.deepEqual(between.columns, [between.kwargs.column]);
    assert.equal(between.element_count, 366);
    assert.equal(between.unexpected_count, 0);
    assert.deepEqual(between.partial_unexpected_list, []);
    assert.deepEqual(outcome(report, "expect_schema_to_match_reference").observed_value, {
      new_fields: [],
      missing_fields: [],
      type_changes: [],
    });
    // Without --suite the report has no checks section.
    assert.equal(reportOf(driftwatch("report", "--reference", REF, "--current", REF)).checks, undefined);
  });

  it("exits 1 when a fail-severity expectation fails and names it in the Markdown", () => {
    const json = driftwatch("report", "--reference", REF, "--current", CUR, "--suite", FAILING);
    assert.equal(json.code, 1, json.stderr);
    const report = reportOf(json);
    const checks = report.checks?.[0];
    assert.equal(checks?.success, false);
    assert.deepEqual(checks?.statistics, {
      evaluated_expectations: 5,
      successful_expectations: 2,
      unsuccessful_expectations: 3,
      success_percent: 40,
    });
    const max = outcome(report, "expect_column_max_to_be_between");
    assert.deepEqual(
      [max.success, max.observed_value, max.columns, max.severity],
      [false, 35, ["temp_max"], "fail"],
    );
    const cold = outcome(report, "expect_column_values_to_be_between");
    assert.equal(cold.success, false);
    assert.equal(cold.severity, "warn");
    assert.ok((cold.unexpected_count ?? 0) > 0);
    assert.ok(cold.partial_unexpected_list?.every((v) => typeof v === "number" && v < 0));
    const clock = outcome(report, "expect_time_since_last_event_to_be_less_than");
    assert.equal(clock.success, false);
    assert.match(clock.error ?? "", /needs a stream .* it runs in the daemon/);

    const md = driftwatch(
      "report",
      "--reference",
      REF,
      "--current",
      CUR,
      "--suite",
      FAILING,
      "--format",
      "markdown",
    );
    assert.equal(md.code, 1, md.stderr);
    assert.match(md.stdout, /^### Expectation suite `weather-limits`: \*\*failed\*\*$/m);
    assert.match(md.stdout, /^2 of 5 expectations met/m);
    assert.match(
      md.stdout,
      /^\| \*\*`expect_column_max_to_be_between`\*\* max\\_value: 30 \| temp\\_max \| fail \| \*\*failed\*\* \| observed 35 \|$/m,
    );
    assert.match(md.stdout, /^\| `expect_schema_to_match_reference` \| \(table\) \| fail \| passed \|/m);
  });

  it("passes when only warn-severity expectations fail", () => {
    const warnOnly = file(
      "warn.yaml",
      "name: w\nexpectations:\n  - type: expect_column_max_to_be_between\n    kwargs: { column: temp_max, max_value: 30 }\n    severity: warn\n",
    );
    const r = driftwatch("report", "--reference", REF, "--current", CUR, "--suite", warnOnly);
    assert.equal(r.code, 0, r.stderr);
    const checks = reportOf(r).checks?.[0];
    assert.equal(checks?.success, true);
    assert.equal(checks?.expectations[0].success, false);
  });

  it("sees a schema change against the reference: a column that turned into text", () => {
    const lines = readFileSync(CUR, "utf8").trimEnd().split("\n");
    const [header, first, ...rest] = lines;
    const cells = first.split(",");
    cells[4] = "calm"; // wind
    const changed = file("changed.csv", `${[header, cells.join(","), ...rest].join("\n")}\n`);
    const schema = file(
      "schema.yaml",
      "name: schema\nexpectations:\n  - type: expect_schema_to_match_reference\n    kwargs: {}\n",
    );
    const r = driftwatch("report", "--reference", REF, "--current", changed, "--suite", schema);
    assert.equal(r.code, 1, r.stderr);
    const observed = outcome(reportOf(r), "expect_schema_to_match_reference").observed_value as {
      type_changes: { field: string; reference: string[]; observed: string[] }[];
    };
    assert.deepEqual(observed.type_changes, [
      { field: "/wind", reference: ["number"], observed: ["string"] },
    ]);
  });

  it("renders the suite in HTML and escapes a hostile column name", () => {
    const hostile = `<img src=x onerror="alert(1)">`;
    const rows = Array.from({ length: 20 }, (_, i) => `${i},${i % 4}`);
    const data = file("hostile.csv", `"${hostile.replaceAll('"', '""')}",n\n${rows.join("\n")}\n`);
    const suite = file(
      "hostile.yaml",
      `name: "<b>suite</b>"\nexpectations:\n  - type: expect_column_max_to_be_between\n    kwargs: { column: ${JSON.stringify(hostile)}, max_value: 5 }\n`,
    );
    const out = join(dir, "report.html");
    const r = driftwatch(
      "report",
      "--reference",
      data,
      "--current",
      data,
      "--suite",
      suite,
      "--format",
      "html",
      "--out",
      out,
    );
    assert.equal(r.code, 1, r.stderr);
    const html = readFileSync(out, "utf8");
    assert.ok(!html.includes(hostile), "the raw name never reaches the markup");
    assert.ok(!html.includes("<b>suite</b>"));
    assert.ok(!/<img/i.test(html));
    const section = /<section class="checks"[\s\S]*?<\/section>/.exec(html)?.[0] ?? "";
    assert.match(section, /data-suite="&lt;b&gt;suite&lt;\/b&gt;" data-success="false"/);
    assert.match(section, /<span class="badge drift">failed<\/span>/);
    assert.match(
      section,
      /<tr class="drift" data-expectation="expect_column_max_to_be_between" data-success="false">/,
    );
    assert.ok(section.includes(`<td class="name">&lt;img src=x onerror=&quot;alert(1)&quot;&gt;</td>`));
    assert.ok(section.includes("observed 19"));
  });

  it("reports a suite that does not load with its file, path and line, and exit code 2", () => {
    const bad = file(
      "bad.yaml",
      "name: bad\nexpectations:\n  - type: expect_column_max_to_be_between\n    kwargs: { column: temp_max, max_value: 30 }\n  - type: expect_colum_max_to_be_between\n    kwargs: { column: temp_max }\n",
    );
    const r = driftwatch("report", "--reference", REF, "--current", CUR, "--suite", bad);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /^driftwatch: .*bad\.yaml: 1 problem\n/);
    assert.match(
      r.stderr,
      /line 5: \/expectations\/1\/type +unknown expectation "expect_colum_max_to_be_between" \(did you mean "expect_column_max_to_be_between"\?\)/,
    );
    assert.ok(!/^\s+at /m.test(r.stderr), r.stderr);
    const missing = driftwatch(
      "report",
      "--reference",
      REF,
      "--current",
      CUR,
      "--suite",
      join(dir, "none.yaml"),
    );
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /none\.yaml: 1 problem\n {2}\/ +cannot read suite: ENOENT\n$/);
  });
});
