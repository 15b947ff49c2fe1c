import { strict as assert } from "node:assert";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Ajv from "ajv";
import type { DriftReport } from "../../src/report/model.js";
import { driftwatch, type Outcome, scratch } from "../support/cli.js";

const REF = "drift/examples/seattle-weather-2012.csv";
const CUR = "drift/examples/seattle-weather-2015.csv";
const { dir, file } = scratch("driftwatch-cli-");

/** A user error: exit code 2 and exactly one line on stderr, without a stack trace. */
function assertUserError(outcome: Outcome, pattern: RegExp): void {
  assert.equal(outcome.code, 2, `exit code (stderr: ${outcome.stderr})`);
  const lines = outcome.stderr.trimEnd().split("\n");
  assert.match(lines[0], pattern);
  assert.ok(!/^\s+at /m.test(outcome.stderr), `no stack trace in: ${outcome.stderr}`);
  assert.equal(outcome.stdout, "");
}

describe("driftwatch report", () => {
  before(() => {
    assert.ok(existsSync("dist/cli/main.js"), "run `npm run build` first (npm test does)");
  });

  it("matches scipy on the bundled example files and writes JSON that follows the published schema", () => {
    const r = driftwatch("report", "--reference", REF, "--current", CUR);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as DriftReport;
    const schema = JSON.parse(readFileSync("schemas/drift-report.schema.json", "utf8"));
    const validate = new Ajv.default({ allErrors: true, strict: false }).compile(schema);
    assert.ok(validate(report), JSON.stringify(validate.errors));
    const expected = JSON.parse(readFileSync("test/fixtures/scipy/report_examples.json", "utf8"))
      .columns as Record<string, { test: string; statistic: number; p_value: number; wasserstein?: number }>;
    assert.deepEqual(report.columns.map((c) => c.name).sort(), Object.keys(expected).sort());
    for (const column of report.columns) {
      const want = expected[column.name];
      assert.equal(column.test, want.test);
      // Same arithmetic as scipy: 1e-12 relative on statistics and p-values.
      assert.ok(
        Math.abs(column.statistic - want.statistic) <= 1e-12 * Math.abs(want.statistic),
        `${column.name} statistic`,
      );
      assert.ok(
        Math.abs((column.p_value as number) - want.p_value) <= 1e-12 * want.p_value,
        `${column.name} p-value`,
      );
      if (want.wasserstein !== undefined) {
        assert.ok(
          Math.abs((column.distances.wasserstein as number) - want.wasserstein) <= 1e-12 * want.wasserstein,
        );
      }
    }
    assert.deepEqual(report.skipped, [{ name: "date", reason: "ISO-8601 timestamps" }]);
    assert.deepEqual(report.dataset, {
      columns: 5,
      drifted_columns: 3,
      share: 0.6,
      drift_share: 0.5,
      drift: true,
      alpha: 0.05,
      correction: "none",
    });
    const weather = report.columns.find((c) => c.name === "weather");
    assert.deepEqual(weather?.only_in_reference, ["snow"]);
    assert.deepEqual(weather?.only_in_current, []);
  });

  it("renders the Markdown report as in the golden file", () => {
    const r = driftwatch("report", "--reference", REF, "--current", CUR, "--format", "markdown");
    assert.equal(r.code, 0, r.stderr);
    const golden = "test/golden/report-examples.md";
    if (process.env.UPDATE_GOLDEN === "1") writeFileSync(golden, r.stdout);
    assert.equal(r.stdout, readFileSync(golden, "utf8"));
  });

  it("exits 1 on dataset drift with --fail-on-drift and 0 without drift", () => {
    assert.equal(
      driftwatch(
        "report",
        "--reference",
        REF,
        "--current",
        CUR,
        "--fail-on-drift",
        "--out",
        join(dir, "r.json"),
      ).code,
      1,
    );
    assert.equal(
      driftwatch(
        "report",
        "--reference",
        REF,
        "--current",
        REF,
        "--fail-on-drift",
        "--out",
        join(dir, "r.json"),
      ).code,
      0,
    );
    const same = JSON.parse(readFileSync(join(dir, "r.json"), "utf8")) as DriftReport;
    assert.equal(same.dataset.drifted_columns, 0);
    assert.ok(same.columns.every((c) => c.p_value === 1 || c.statistic === 0));
  });

  it("applies the correction, the drift share and the effect-size floor", () => {
    const run = (...extra: string[]): DriftReport =>
      JSON.parse(driftwatch("report", "--reference", REF, "--current", CUR, ...extra).stdout) as DriftReport;
    const bonferroni = run("--correction", "bonferroni");
    const p = bonferroni.columns.find((c) => c.name === "temp_min");
    assert.ok(p && p.p_value !== null && p.p_value_adjusted === Math.min(1, p.p_value * 5));
    assert.equal(p?.drift, false, "0.011 * 5 is above 0.05");
    assert.equal(run("--drift-share", "0.7").dataset.drift, false);
    const floored = run("--min-effect", "0.13");
    assert.deepEqual(
      floored.columns.filter((c) => c.drift).map((c) => c.name),
      ["temp_max", "weather"],
      "temp_min's D of 0.118 is under the floor",
    );
    // A floor for KS alone leaves chi2 on weather as it was.
    const perTest = run("--min-effect", "ks=0.13");
    assert.deepEqual(
      perTest.columns.filter((c) => c.drift).map((c) => c.name),
      ["temp_max", "weather"],
    );
    const everything = run("--min-effect", "ks=0.13,chi2=0.99");
    assert.deepEqual(
      everything.columns.filter((c) => c.drift).map((c) => c.name),
      ["temp_max"],
    );
    const bad = driftwatch("report", "--reference", REF, "--current", CUR, "--min-effect", "psi=0.1");
    assert.equal(bad.code, 2);
    assert.match(
      bad.stderr,
      /--min-effect must be a number in \[0, 1\] or TEST=NUMBER pairs for p-value tests \(ks, chi2, chi2_gof, z\) separated by commas \(got "psi=0.1"\)/,
    );
  });

  it("selects columns, overrides kinds and switches tests by name", () => {
    const r = driftwatch(
      "report",
      "--reference",
      REF,
      "--current",
      CUR,
      "--columns",
      "wind,weather",
      "--categorical",
      "wind",
      "--categorical-test",
      "psi",
    );
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as DriftReport;
    assert.deepEqual(
      report.columns.map((c) => [c.name, c.kind, c.test]),
      [
        ["wind", "categorical", "psi"],
        ["weather", "categorical", "psi"],
      ],
    );
    assert.ok(report.columns.every((c) => c.p_value === null && c.threshold === 0.1));
    const ignored = JSON.parse(
      driftwatch("report", "--reference", REF, "--current", CUR, "--ignore", "weather,wind").stdout,
    ) as DriftReport;
    assert.deepEqual(ignored.columns.map((c) => c.name).sort(), ["precipitation", "temp_max", "temp_min"]);
  });

  it("writes a self-contained HTML file with --out", () => {
    const out = join(dir, "report.html");
    const r = driftwatch("report", "--reference", REF, "--current", CUR, "--format", "html", "--out", out);
    assert.equal(r.code, 0, r.stderr);
    const html = readFileSync(out, "utf8");
    assert.match(html, /^<!DOCTYPE html>/i);
    assert.equal((html.match(/<svg/g) ?? []).length >= 5, true, "one plot per column");
  });

  it("rejects a missing file", () => {
    assertUserError(
      driftwatch("report", "--reference", "nope.csv", "--current", CUR),
      /^driftwatch: nope\.csv: cannot open: ENOENT$/,
    );
  });

  it("names the file and line of a malformed CSV", () => {
    const bad = file(
      "bad.csv",
      "date,precipitation,temp_max,temp_min,wind,weather\n2012-01-01,0,1,2,3,rain\n2012-01-02,0,1\n",
    );
    assertUserError(
      driftwatch("report", "--reference", REF, "--current", bad),
      /^driftwatch: .*bad\.csv:3: expected 6 fields, found 3$/,
    );
  });

  it("names a column that is missing on one side and says how to proceed", () => {
    const fewer = file("fewer.csv", "date,precipitation,temp_max,temp_min,weather\n2012-01-01,0,1,2,rain\n");
    assertUserError(
      driftwatch("report", "--reference", REF, "--current", fewer),
      /^driftwatch: .*fewer\.csv: column "wind" of the reference is missing \(use --ignore wind or --columns/,
    );
    assertUserError(
      driftwatch("report", "--reference", REF, "--current", CUR, "--columns", "tmp_max"),
      /column "tmp_max" not found \(did you mean "temp_max"\?\)$/,
    );
  });

  it("rejects files without common columns", () => {
    const other = file("other.csv", "x\n1\n");
    assertUserError(
      driftwatch("report", "--reference", other, "--current", other, "--ignore", "x"),
      /have no common columns to compare$/,
    );
  });

  it("rejects bad flag values with the allowed range or choices", () => {
    assertUserError(
      driftwatch("report", "--reference", REF, "--current", CUR, "--alpha", "2"),
      /--alpha must be a number in \(0, 1\] \(got "2"\)/,
    );
    assertUserError(
      driftwatch("report", "--reference", REF, "--current", CUR, "--numeric-test", "kss"),
      /argument 'kss' is invalid\. Allowed choices are ks, /,
    );
    assertUserError(driftwatch("report", "--current", CUR), /--reference <file> is required \(or --config\)/);
  });

  it("refuses the z test on a column with more than two categories", () => {
    assertUserError(
      driftwatch(
        "report",
        "--reference",
        REF,
        "--current",
        CUR,
        "--columns",
        "weather",
        "--categorical-test",
        "z",
      ),
      /^driftwatch: column "weather": z: /,
    );
  });
});

describe("driftwatch list", () => {
  it("lists every registered test with its decision rule", async () => {
    const r = driftwatch("list");
    assert.equal(r.code, 0);
    for (const name of ["ks", "chi2", "chi2_gof", "z", "wasserstein", "psi", "jensenshannon", "hellinger"]) {
      assert.match(r.stdout, new RegExp(`^  ${name}\\s`, "m"));
    }
    assert.match(r.stdout, /^ {2}ks\s+numeric\s+p < alpha/m);
    for (const name of [
      "adwin",
      "ddm",
      "eddm",
      "page_hinkley",
      "kswin",
      "hddm_a",
      "hddm_w",
      "robust_z",
      "iqr",
      "mahalanobis",
      "isolation_forest",
    ]) {
      assert.match(r.stdout, new RegExp(`^  ${name}\\s`, "m"));
    }
    // Every registered expectation, with when it judges.
    const { definitions } = await import("../../src/checks/registry.js");
    assert.ok(definitions.size >= 50);
    for (const [name, d] of definitions)
      assert.match(
        r.stdout,
        new RegExp(`^  ${name}\\s+${d.kind === "row" ? "per event" : "per window"}\\s`, "m"),
      );
    assert.match(r.stdout, /^ {2}expect_column_values_to_be_between\s+per event\s+/m);
  });
});
