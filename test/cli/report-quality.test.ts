import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv } from "ajv";
import type { ClassificationMetrics, RegressionMetrics } from "../../src/performance/types.js";
import type { DriftReport } from "../../src/report/model.js";
import { assertValue, type ClassificationCase, fixture } from "../performance/fixture.js";

const dir = mkdtempSync(join(tmpdir(), "driftwatch-quality-"));

function driftwatch(...args: string[]) {
  return spawnSync(process.execPath, ["bin/driftwatch.js", ...args], { encoding: "utf8" });
}

/** Deterministic rows: a churn label from x, a model that predicts it, and (current) a flip for eu. */
function write(name: string, flip: boolean, outlierRow?: number): string {
  const lines = ["x,y,region,label,pred,p"];
  for (let i = 0; i < 400; i++) {
    const x = Math.sin(i * 1.3) * 2;
    const y = Math.cos(i * 0.7);
    const region = i % 2 === 0 ? "eu" : "us";
    let label = x + Math.sin(i * 5.1) * 0.3 > 0.5 ? "churn" : "stay";
    if (flip && region === "eu") label = label === "churn" ? "stay" : "churn";
    const p = 1 / (1 + Math.exp(-(x - 0.5) * 3));
    lines.push(
      [
        // Far out on both features: a forest scores a point beyond one feature's range no
        // higher than the reference's own edge points.
        i === outlierRow ? 40 : x.toFixed(4),
        i === outlierRow ? -40 : y.toFixed(4),
        region,
        label,
        p > 0.5 ? "churn" : "stay",
        p.toFixed(4),
      ].join(","),
    );
  }
  const path = join(dir, name);
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
}

const REF = write("ref.csv", false);

/** `report` of a file against itself, with --target and --prediction and any `extra` flags. */
function selfReport(file: string, target: string, prediction: string, ...extra: string[]) {
  return driftwatch(
    "report",
    "--reference",
    file,
    "--current",
    file,
    "--target",
    target,
    "--prediction",
    prediction,
    ...extra,
  );
}
const CUR = write("cur.csv", true, 17);

describe("driftwatch report --target --prediction", () => {
  it("reports model quality on both sides, target and prediction drift, and outliers, in valid JSON", () => {
    const r = driftwatch(
      "report",
      "--reference",
      REF,
      "--current",
      CUR,
      "--target",
      "label",
      "--prediction",
      "pred",
      "--score",
      "p",
      "--positive",
      "churn",
      "--outliers",
    );
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(r.stdout) as DriftReport;
    const validate = new Ajv({ allErrors: true, strict: false }).compile(
      JSON.parse(readFileSync("schemas/drift-report.schema.json", "utf8")),
    );
    assert.ok(validate(report), JSON.stringify(validate.errors));
    assert.deepEqual(report.roles, { target: "label", prediction: "pred", score: "p" });
    const quality = report.quality;
    assert.ok(quality);
    assert.equal(quality.task, "classification");
    assert.equal(quality.positive, "churn");
    const ref = quality.reference as ClassificationMetrics;
    const cur = quality.current as ClassificationMetrics;
    assert.ok((ref.accuracy.value ?? 0) > 0.85, `reference accuracy ${ref.accuracy.value}`);
    assert.ok((cur.accuracy.value ?? 1) < 0.65, `current accuracy ${cur.accuracy.value}`);
    assert.equal(ref.accuracy.interval?.method, "wilson");
    assert.ok((ref.roc_auc.value ?? 0) > 0.9);
    const byName = (name: string) => report.columns.find((c) => c.name === name);
    assert.equal(byName("label")?.drift, true, "the labels flipped for half the rows: target drift");
    assert.equal(byName("pred")?.drift, false, "the model's predictions did not change");
    assert.deepEqual(report.outliers?.features, ["x", "y"]);
    for (const scorer of report.outliers?.scorers ?? [])
      assert.equal(scorer.top[0].row, 18, `${scorer.scorer}: the planted row (data row 18)`);
  });

  it("renders the sections in Markdown and HTML", () => {
    const md = driftwatch(
      "report",
      "--reference",
      REF,
      "--current",
      CUR,
      "--target",
      "label",
      "--prediction",
      "pred",
      "--outliers",
      "--format",
      "markdown",
    );
    assert.equal(md.status, 0, md.stderr);
    assert.match(
      md.stdout,
      /### Target and prediction drift\n\n- target `label`: chi2 [\d.e+-]+, p [\d.e+-]+: \*\*drift\*\*\n- prediction `pred`: chi2 [\d.e+-]+, p [\d.e+-]+: no drift/,
    );
    assert.match(
      md.stdout,
      /### Model quality \(classification: `pred` against `label`\)\n\n\| metric \| reference \| current \|/,
    );
    assert.match(md.stdout, /\| accuracy \| 0\.\d+ \[0\.\d+, 0\.\d+\] \| 0\.\d+ \[/);
    assert.match(
      md.stdout,
      /### Outliers among the 400 current rows \(x, y, p\)/,
      "without --score, p is an input feature",
    );
    const out = join(dir, "q.html");
    const html = driftwatch(
      "report",
      "--reference",
      REF,
      "--current",
      CUR,
      "--target",
      "label",
      "--prediction",
      "pred",
      "--outliers",
      "--format",
      "html",
      "--out",
      out,
    );
    assert.equal(html.status, 0, html.stderr);
    const page = readFileSync(out, "utf8");
    for (const heading of ["Target and prediction drift", "Model quality", "Outliers"])
      assert.match(page, new RegExp(`<h2 id="[a-z]+-heading">${heading}</h2>`));
  });

  it("computes regression metrics when the target holds non-integers", () => {
    const lines = ["f,y,yhat"];
    for (let i = 0; i < 50; i++)
      lines.push(`${i},${(i * 0.5).toFixed(1)},${(i * 0.5 + (i % 3) - 1).toFixed(1)}`);
    const file = join(dir, "reg.csv");
    writeFileSync(file, `${lines.join("\n")}\n`);
    const r = selfReport(file, "y", "yhat");
    assert.equal(r.status, 0, r.stderr);
    const quality = (JSON.parse(r.stdout) as DriftReport).quality;
    assert.equal(quality?.task, "regression");
    const metrics = quality?.current as RegressionMetrics;
    // |error| is 1, 0, 1, 1, 0, 1, ...: 33 ones in 50.
    assert.ok(Math.abs((metrics.mae.value ?? 0) - 33 / 50) < 1e-15);
  });

  it("refuses half a request and unknown columns with one line and exit code 2", () => {
    const half = driftwatch("report", "--reference", REF, "--current", CUR, "--target", "label");
    assert.equal(half.status, 2);
    assert.match(half.stderr, /^driftwatch: --target and --prediction go together/);
    const unknown = driftwatch(
      "report",
      "--reference",
      REF,
      "--current",
      CUR,
      "--target",
      "lable",
      "--prediction",
      "pred",
    );
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /column "lable" not found \(did you mean "label"\?\)$/m);
  });

  it("reaches one-vs-rest ROC AUC and multiclass log loss with --probabilities, equal to scikit-learn's", () => {
    const c = fixture.classification.find(
      (x) => x.name === "3 classes, 40 rows, probabilities with positive label cat",
    );
    assert.ok(c?.data?.probabilities);
    const { actual, predicted, probabilities } = c.data as Required<NonNullable<ClassificationCase["data"]>>;
    const lines = ["y,pred,p_bird,p_cat,dog"];
    for (const [i, y] of actual.entries())
      lines.push(
        [y, predicted[i], probabilities.bird[i], probabilities.cat[i], probabilities.dog[i]].join(","),
      );
    const file = join(dir, "multiclass.csv");
    writeFileSync(file, `${lines.join("\n")}\n`);
    const r = selfReport(file, "y", "pred", "--probabilities", "bird=p_bird,cat=p_cat,dog");
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(r.stdout) as DriftReport;
    const validate = new Ajv({ allErrors: true, strict: false }).compile(
      JSON.parse(readFileSync("schemas/drift-report.schema.json", "utf8")),
    );
    assert.ok(validate(report), JSON.stringify(validate.errors));
    assert.deepEqual(report.roles?.probabilities, ["p_bird", "p_cat", "dog"]);
    const quality = report.quality;
    assert.ok(quality);
    assert.deepEqual(quality.probabilities, [
      { label: "bird", column: "p_bird" },
      { label: "cat", column: "p_cat" },
      { label: "dog", column: "dog" },
    ]);
    assert.equal(quality.task_reason, "probabilities were given");
    const metrics = quality.current as ClassificationMetrics;
    assertValue(metrics.roc_auc_ovr.value, c.expected.roc_auc_ovr, 1e-12, 0, "roc_auc_ovr");
    assertValue(metrics.log_loss.value, c.expected.log_loss, 1e-12, 0, "log_loss");
    assert.equal(metrics.scored, 40);
    const markdown = selfReport(
      file,
      "y",
      "pred",
      "--probabilities",
      "bird=p_bird,cat=p_cat,dog",
      "--format",
      "markdown",
    );
    assert.match(markdown.stdout, /^\| roc_auc_ovr \| /m);
    assert.match(markdown.stdout, /^Task: classification, because probabilities were given\.$/m);
  });

  it("says which task it chose and why", () => {
    const cases: [string, (i: number) => [string | number, string | number], string, RegExp][] = [
      ["ratings", (i) => [i % 5, (i + 1) % 5], "classification", /^integers with 5 distinct values/],
      ["counts", (i) => [i, i + 1], "regression", /^integers with more than 20 distinct values$/],
      ["prices", (i) => [i + 0.5, i], "regression", /^the values are not all integers \(such as 0\.5\)$/],
      [
        "labels",
        (i) => [i % 2 ? "yes" : "no", "yes"],
        "classification",
        /^the labels are text \(such as "no"\)$/,
      ],
    ];
    for (const [name, row, task, reason] of cases) {
      const file = join(dir, `${name}.csv`);
      const lines = ["y,yhat"];
      for (let i = 0; i < 50; i++) lines.push(row(i).join(","));
      writeFileSync(file, `${lines.join("\n")}\n`);
      const r = selfReport(file, "y", "yhat");
      assert.equal(r.status, 0, r.stderr);
      const quality = (JSON.parse(r.stdout) as DriftReport).quality;
      assert.equal(quality?.task, task, name);
      assert.match(quality?.task_reason.replace(/^the values are (?=integers)/, "") ?? "", reason, name);
    }
    const told = selfReport(join(dir, "counts.csv"), "y", "yhat", "--task", "classification");
    assert.equal((JSON.parse(told.stdout) as DriftReport).quality?.task_reason, "given by --task");
  });

  it("refuses --probabilities that name one class, a class twice, or come with --score", () => {
    const base = [
      "report",
      "--reference",
      REF,
      "--current",
      CUR,
      "--target",
      "label",
      "--prediction",
      "pred",
    ];
    for (const [args, message] of [
      [["--probabilities", "p"], /give the columns of at least two classes/],
      [["--probabilities", "a=p,a=x"], /class "a" is given twice/],
      [
        ["--probabilities", "churn=p,stay=x", "--score", "p"],
        /give --score .* or --probabilities .*, not both/,
      ],
    ] as const) {
      const r = driftwatch(...base, ...args);
      assert.equal(r.status, 2, r.stderr);
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
      assert.match(r.stderr, message);
    }
  });
});
