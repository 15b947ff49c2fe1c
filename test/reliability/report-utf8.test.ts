import { strict as assert } from "node:assert";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Ajv from "ajv";
import type { DriftReport } from "../../src/report/model.js";
import { driftwatch } from "../support/cli.js";

/**
 * Bytes that are not UTF-8 in a data file became U+FFFD without a word. Each file now gets one
 * warning line on stderr (how many records, the first one's line, what was done with them) and
 * the report records it per input, in JSON, Markdown and HTML alike.
 */

// Latin-1 "café" (0xe9 alone is not UTF-8) and a lone continuation byte.
const bad = (text: string): Buffer => Buffer.from(text, "latin1");

describe("driftwatch report on input that is not UTF-8", () => {
  let dir = "";
  const file = (name: string, content: string | Buffer): string => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };
  let ref = "";
  let cur = "";

  before(() => {
    assert.ok(existsSync("dist/cli/main.js"), "run `npm run build` first (npm test does)");
    dir = mkdtempSync(join(tmpdir(), "driftwatch-report-utf8-"));
    ref = file("ref.csv", "x,city\n1,paris\n2,lyon\n3,caf\u00e9\n");
    cur = file(
      "cur.csv",
      Buffer.concat([
        Buffer.from("x,city\n1,paris\n"),
        bad("2,caf\xe9\n"),
        Buffer.from("3,lyon\n"),
        bad('4,"two\nlines \x80"\n'),
        Buffer.from("5,caf\u00e9\n"),
      ]),
    );
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("warns once per file on stderr, with the count and the first line, and keeps the values", () => {
    const r = driftwatch("report", "--reference", ref, "--current", cur);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stderr,
      `driftwatch: warning: ${cur}: 2 records with invalid UTF-8, the first on line 3; read with U+FFFD (\uFFFD) in place of each invalid byte sequence, and used\n`,
    );
    const report = JSON.parse(r.stdout) as DriftReport;
    assert.deepEqual(report.inputs.current.invalid_utf8, { records: 2, first_line: 3 });
    assert.equal(report.inputs.reference.invalid_utf8, undefined);
    // The values are used as read: "caf\uFFFD" is a category of its own.
    const city = report.columns.find((c) => c.name === "city");
    assert.ok(city?.histogram.kind === "categorical");
    assert.ok(city.histogram.categories.includes("caf\uFFFD"), JSON.stringify(city.histogram.categories));
    const schema = JSON.parse(readFileSync("schemas/drift-report.schema.json", "utf8"));
    const validate = new Ajv.default({ allErrors: true, strict: false }).compile(schema);
    assert.ok(validate(report), JSON.stringify(validate.errors));
  });

  it("shows the warning in the Markdown and HTML reports", () => {
    const md = driftwatch("report", "--reference", ref, "--current", cur, "--format", "markdown");
    assert.equal(md.code, 0, md.stderr);
    assert.ok(
      md.stdout.includes(`> **Warning:** \`${cur}\`: 2 records with invalid UTF-8, the first on line 3;`),
      md.stdout.slice(0, 1500),
    );
    const html = driftwatch("report", "--reference", ref, "--current", cur, "--format", "html");
    assert.equal(html.code, 0, html.stderr);
    assert.match(
      html.stdout,
      /<p class="input-warning" role="note">Warning: [^<]*cur\.csv: 2 records with invalid UTF-8, the first on line 3;/,
    );
  });

  it("counts JSON Lines lines and JSON array elements, and says nothing about valid files", () => {
    const jref = file("ref.jsonl", '{"c": "a"}\n{"c": "b"}\n');
    const jcur = file(
      "cur.jsonl",
      Buffer.concat([Buffer.from('{"c": "a"}\n\n'), bad('{"c": "\xff"}\n'), bad('{"c": "\xc3("}\n')]),
    );
    const lines = driftwatch("report", "--reference", jref, "--current", jcur);
    assert.equal(lines.code, 0, lines.stderr);
    assert.match(lines.stderr, /cur\.jsonl: 2 records with invalid UTF-8, the first on line 3;/);
    const aref = file("ref.json", '[{"c": "a"}, {"c": "b"}]');
    const acur = file("cur.json", Buffer.concat([Buffer.from('[\n{"c": "a"},\n'), bad('{"c": "\xe9"}\n]')]));
    const elements = driftwatch("report", "--reference", aref, "--current", acur, "--format", "json");
    assert.equal(elements.code, 0, elements.stderr);
    assert.deepEqual((JSON.parse(elements.stdout) as DriftReport).inputs.current.invalid_utf8, {
      records: 1,
      first_line: 3,
    });
    const clean = driftwatch("report", "--reference", jref, "--current", jref);
    assert.equal(clean.code, 0, clean.stderr);
    assert.equal(clean.stderr, "");
    assert.equal((JSON.parse(clean.stdout) as DriftReport).inputs.current.invalid_utf8, undefined);
  });

  it("warns in profile and suggest too", () => {
    const profile = driftwatch("profile", "--input", cur, "--out", join(dir, "p.json"));
    assert.equal(profile.code, 0, profile.stderr);
    assert.match(
      profile.stderr,
      /^driftwatch: warning: .*cur\.csv: 2 records with invalid UTF-8, the first on line 3;/,
    );
    const suggest = driftwatch("suggest", "--reference", cur);
    assert.equal(suggest.code, 0, suggest.stderr);
    assert.match(
      suggest.stderr,
      /^driftwatch: warning: .*cur\.csv: 2 records with invalid UTF-8, the first on line 3;/,
    );
  });
});
