import { strict as assert } from "node:assert";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import Ajv from "ajv";
import type { DriftReport } from "../../src/report/model.js";
import { driftwatch, type Outcome, scratch } from "../support/cli.js";

// Seattle's daily weather (vega-datasets) against itself, with the drizzle days 8 °C warmer.
const REFERENCE = "node_modules/vega-datasets/data/seattle-weather.csv";
const { dir, file } = scratch("driftwatch-cli-segments-");

/** A user error: exit code 2 and one line on stderr naming what is wrong, no stack trace. */
function assertUserError(outcome: Outcome, pattern: RegExp): void {
  assert.equal(outcome.code, 2, `exit code (stderr: ${outcome.stderr})`);
  assert.match(outcome.stderr, pattern);
  assert.ok(!/^\s+at /m.test(outcome.stderr), `no stack trace in: ${outcome.stderr}`);
}

describe("driftwatch report --segment-by", () => {
  let current = "";

  before(() => {
    assert.ok(existsSync("dist/cli/main.js"), "run `npm run build` first (npm test does)");
    const [header, ...rows] = readFileSync(REFERENCE, "utf8").trim().split("\n");
    const shifted = rows.map((line) => {
      const cells = line.split(",");
      if (cells[5] !== "drizzle") return line;
      cells[2] = (Number(cells[2]) + 8).toFixed(1);
      cells[3] = (Number(cells[3]) + 8).toFixed(1);
      return cells.join(",");
    });
    current = file("current.csv", `${[header, ...shifted].join("\n")}\n`);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("says the drift is confined to the one segment that shifted, in JSON that follows the published schema", () => {
    const r = driftwatch("report", "--reference", REFERENCE, "--current", current, "--segment-by", "weather");
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as DriftReport;
    const schema = JSON.parse(readFileSync("schemas/drift-report.schema.json", "utf8"));
    const validate = new Ajv.default({ allErrors: true, strict: false }).compile(schema);
    assert.ok(validate(report), JSON.stringify(validate.errors));
    assert.equal(report.dataset.drift, false, "the pooled days do not drift");
    assert.deepEqual(
      report.columns.map((c) => c.name).sort(),
      ["precipitation", "temp_max", "temp_min", "wind"],
      "the segment column is not compared",
    );
    const segments = report.segments;
    assert.ok(segments);
    assert.equal(segments.by, "weather");
    assert.deepEqual(segments.verdict, {
      scope: "confined",
      drifted: ["drizzle"],
      evaluated: 5,
      pooled_drift: false,
    });
    assert.deepEqual(
      segments.segments.map((s) => [s.segment, s.rows.reference, s.rows.current, s.dataset.drift]),
      [
        ["rain", 641, 641, false],
        ["sun", 640, 640, false],
        ["fog", 101, 101, false],
        ["drizzle", 53, 53, true],
        ["snow", 26, 26, false],
      ],
    );
    const drizzle = segments.segments[3];
    assert.deepEqual(
      drizzle.columns
        .filter((c) => c.drift)
        .map((c) => c.name)
        .sort(),
      ["temp_max", "temp_min"],
    );
    // The drift is only there: the other segments are the same days on both sides.
    for (const s of segments.segments.filter((x) => x.segment !== "drizzle"))
      for (const c of s.columns) assert.equal(c.statistic, 0, `${s.segment} ${c.name}`);
    const failing = driftwatch(
      "report",
      "--reference",
      REFERENCE,
      "--current",
      current,
      "--segment-by",
      "weather",
      "--fail-on-drift",
    );
    assert.equal(failing.code, 1, "--fail-on-drift fails on drift in a segment");
  });

  it("writes the summary table and a section per segment in Markdown and HTML", () => {
    const md = driftwatch(
      "report",
      "--reference",
      REFERENCE,
      "--current",
      current,
      "--segment-by",
      "weather",
      "--format",
      "markdown",
    );
    assert.equal(md.code, 0, md.stderr);
    assert.match(
      md.stdout,
      /^### Segments by `weather`: \*\*drift confined to drizzle \(1 of 5 segments\)\*\*$/m,
    );
    assert.match(
      md.stdout,
      /^\| drizzle \| 53 \/ 53 \| 2 of 4 \| \*\*yes\*\* \| temp\\_min \(ks 0\.5283, p=4\.06e-7\), temp\\_max /m,
    );
    assert.match(md.stdout, /^\| rain \| 641 \/ 641 \| 0 of 4 \| no \| {2}\|$/m);
    assert.equal((md.stdout.match(/^#### Segment `/gm) ?? []).length, 5);
    assert.match(md.stdout, /^#### Segment `drizzle`: \*\*drift\*\*, 2 of 4 columns drifted$/m);

    const out = join(dir, "report.html");
    const html = driftwatch(
      "report",
      "--reference",
      REFERENCE,
      "--current",
      current,
      "--segment-by",
      "weather",
      "--format",
      "html",
      "--out",
      out,
    );
    assert.equal(html.code, 0, html.stderr);
    const page = readFileSync(out, "utf8");
    assert.match(page, /<section class="segments" data-by="weather" data-scope="confined"/);
    assert.match(page, /drift confined to drizzle \(1 of 5 segments\)/);
    assert.match(page, /<tr class="drift" data-segment="drizzle" data-drift="true">/);
    assert.equal((page.match(/<section class="column segment /g) ?? []).length, 5);
  });

  it("gives the values with the most reference rows a segment and pools the rest in __other__", () => {
    const r = driftwatch(
      "report",
      "--reference",
      REFERENCE,
      "--current",
      current,
      "--segment-by",
      "weather",
      "--max-segments",
      "2",
    );
    assert.equal(r.code, 0, r.stderr);
    const segments = (JSON.parse(r.stdout) as DriftReport).segments;
    assert.deepEqual(
      segments?.segments.map((s) => [s.segment, s.rows.current]),
      [
        ["rain", 641],
        ["sun", 640],
        ["__other__", 180],
      ],
    );
    assert.equal(segments?.overflow_rows, 180);
    // Pooled with fog and snow, drizzle's warmer days are diluted: one column of __other__
    // drifts, short of the bound, and no segment does. The cap trades resolution for series.
    assert.equal(segments?.verdict.scope, "none");
    const other = segments?.segments[2];
    assert.deepEqual(
      other?.columns.filter((c) => c.drift).map((c) => c.name),
      ["temp_min"],
    );
  });

  it("refuses what it cannot cut, with one line naming the flag or column", () => {
    assertUserError(
      driftwatch("report", "--reference", REFERENCE, "--current", current, "--segment-by", "wether"),
      /seattle-weather\.csv: --segment-by column "wether" not found \(did you mean "weather"\?\)/,
    );
    assertUserError(
      driftwatch("report", "--reference", REFERENCE, "--current", current, "--max-segments", "3"),
      /--max-segments needs --segment-by/,
    );
    assertUserError(
      driftwatch(
        "report",
        "--reference",
        REFERENCE,
        "--current",
        current,
        "--segment-by",
        "weather",
        "--max-segments",
        "0",
      ),
      /--max-segments must be a whole number in \[1, 1000\] \(got "0"\)/,
    );
    assertUserError(
      driftwatch("report", "--config", "drift/segments/driftwatch.yaml", "--segment-by", "weather"),
      /--segment-by compares two files; with --config the monitors' own settings/,
    );
  });
});

describe("segment_by in a config", () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("is refused on a missing, numeric or other source's feature, or with sliding windows, naming the JSON path", () => {
    const config = file(
      "bad.yaml",
      `sources:
  a: { type: file, path: a.jsonl }
  b: { type: file, path: b.jsonl }
features:
  x: { source: a, path: /x, type: numeric }
  region: { source: a, path: /region, type: categorical }
  other: { source: b, path: /other, type: categorical }
monitors:
  unknown: { type: drift, features: [x], segment_by: regoin, reference: { type: first, events: 5 }, window: { type: tumbling, events: 5 } }
  numeric: { type: drift, features: [region], segment_by: x, reference: { type: first, events: 5 }, window: { type: tumbling, events: 5 } }
  elsewhere: { type: outliers, features: [x], segment_by: other, reference: { type: first, events: 5 }, window: { type: tumbling, events: 5 } }
  itself: { type: drift, features: [x, region], segment_by: region, reference: { type: first, events: 5 }, window: { type: tumbling, events: 5 } }
  sliding: { type: drift, features: [x], segment_by: region, reference: { type: first, events: 5 }, window: { type: sliding, events: 10, step_events: 5 } }
  capped: { type: drift, features: [x], max_segments: 3, reference: { type: first, events: 5 }, window: { type: tumbling, events: 5 } }
  zero: { type: outliers, features: [x], segment_by: region, max_segments: 0, reference: { type: first, events: 5 }, window: { type: tumbling, events: 5 } }
`,
    );
    file("a.jsonl", "");
    file("b.jsonl", "");
    const r = driftwatch("validate", "--config", config);
    assert.equal(r.code, 2, r.stderr);
    assert.ok(!/^\s+at /m.test(r.stderr), r.stderr);
    const expected = [
      /\/monitors\/unknown\/segment_by +unknown feature "regoin" \(did you mean "region"\?\)/,
      /\/monitors\/numeric\/segment_by +segments come from a categorical feature; "x" is "numeric"/,
      /\/monitors\/elsewhere\/segment_by +feature "other" comes from source "b"; the monitor's features come from "a"/,
      /\/monitors\/itself\/segment_by +"region" is also one of the monitor's features/,
      /\/monitors\/sliding\/window +segment_by takes tumbling windows/,
      /\/monitors\/capped\/max_segments +max_segments needs segment_by/,
      /\/monitors\/zero\/max_segments +must be >= 1/,
    ];
    for (const pattern of expected) assert.match(r.stderr, pattern);
  });

  it("validates the README's example, whose report --config gives the numbers of report --segment-by", () => {
    const ok = driftwatch("validate", "--config", "drift/segments/driftwatch.yaml");
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /valid \(1 sources, 5 features, 2 monitors\)/);
    const monitors = driftwatch(
      "report",
      "--config",
      "drift/segments/driftwatch.yaml",
      "--format",
      "markdown",
    );
    assert.equal(monitors.code, 0, monitors.stderr);
    assert.match(
      monitors.stdout,
      /segments by weather: global drift: the pooled data drifted \(1 of 4 segments: rain\) \| rain \(148 events\) DRIFT 3\/4 \| sun \(187 events\) 0\/4 \| snow \(2 events\) 0\/4 \| fog \(28 events\) 0\/4/,
    );
    const files = driftwatch(
      "report",
      "--reference",
      "drift/segments/reference.csv",
      "--current",
      "drift/segments/seattle-weather-2014.csv",
      "--segment-by",
      "weather",
      "--format",
      "markdown",
    );
    assert.equal(files.code, 0, files.stderr);
    const readme = readFileSync("README.md", "utf8");
    const section = readme.slice(
      readme.indexOf("### Drift per segment"),
      readme.indexOf("### Before the labels arrive"),
    );
    // Every table row the README quotes is a line of the real output.
    const quoted = section
      .split("\n")
      .filter(
        (line) => line.startsWith("| rain") || line.startsWith("| sun") || line.startsWith("### Segments by"),
      );
    assert.ok(quoted.length >= 3, "the README quotes the summary");
    for (const line of quoted)
      assert.ok(files.stdout.includes(line), `README line not in the output: ${line}`);
  });
});
