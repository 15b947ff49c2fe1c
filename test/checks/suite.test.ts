import { strict as assert } from "node:assert";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileExpectation } from "../../src/checks/engine.js";
import { loadSuite, parseSuite, validateSuite } from "../../src/checks/suite.js";
import { ColumnTable } from "../../src/checks/table.js";
import { ConfigError } from "../../src/config/load.js";

const dir = mkdtempSync(join(tmpdir(), "driftwatch-suite-"));

function problemsOf(text: string): string {
  try {
    parseSuite(text, "checks/x.yaml", "x");
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.message;
  }
  throw new Error("expected a ConfigError");
}

describe("checks/suite", () => {
  it("loads GE 1.x suites (type) and GE 0.x suites (expectation_type), YAML or JSON", () => {
    const yaml = loadSuite(
      (() => {
        const f = join(dir, "orders.yaml");
        writeFileSync(
          f,
          "expectations:\n  - type: expect_table_row_count_to_be_between\n    kwargs: { min_value: 1 }\n    severity: warn\n",
        );
        return f;
      })(),
    );
    assert.equal(yaml.name, "orders");
    assert.equal(yaml.expectations.length, 1);
    assert.equal(yaml.expectations[0].config.severity, "warn");
    const json = parseSuite(
      JSON.stringify({
        expectation_suite_name: "legacy",
        expectations: [{ expectation_type: "expect_table_row_count_to_equal", kwargs: { value: 2 } }],
      }),
      "legacy.json",
      "fallback",
    );
    assert.equal(json.name, "legacy");
    assert.equal(json.expectations[0].type, "expect_table_row_count_to_equal");
  });

  it("reports every problem with its line, path and the valid choices", () => {
    const message = problemsOf(
      [
        "name: x",
        "expectations:",
        "  - type: expect_table_row_count_to_be_betwen",
        "    kwargs: { min_value: 1 }",
        "  - type: expect_table_row_count_to_equal",
        "    kwargs: { valu: 3 }",
        "  - type: expect_table_row_count_to_equal",
        "    kwargs: { value: 3 }",
        "    severity: urgent",
        "    colour: red",
      ].join("\n"),
    );
    assert.match(message, /^checks\/x\.yaml: 5 problems/);
    assert.match(
      message,
      /line 3: \/expectations\/0\/type +unknown expectation "expect_table_row_count_to_be_betwen" \(did you mean "expect_table_row_count_to_be_between"\?\)/,
    );
    assert.match(
      message,
      /line 6: \/expectations\/1\/kwargs\/valu +unknown argument "valu" .*\(did you mean "value"\?\)/,
    );
    assert.match(message, /\/expectations\/1\/kwargs\/value +value is required/);
    assert.match(
      message,
      /line 9: \/expectations\/2\/severity +severity "urgent" is not one of "warn", "fail"/,
    );
    assert.match(message, /line 10: \/expectations\/2\/colour +unknown key "colour"/);
  });

  it("refuses dead_letter on an expectation that judges whole windows", () => {
    const message = problemsOf(
      "expectations:\n  - type: expect_table_row_count_to_equal\n    kwargs: { value: 1 }\n    dead_letter: true\n",
    );
    assert.match(message, /judges a whole window, not single events/);
  });

  it("decides the suite on fail-severity expectations only", () => {
    const suite = parseSuite(
      [
        "expectations:",
        "  - type: expect_table_row_count_to_equal",
        "    kwargs: { value: 3 }",
        "    severity: warn",
        "  - type: expect_table_row_count_to_be_between",
        "    kwargs: { min_value: 1, max_value: 5 }",
      ].join("\n"),
      "s.yaml",
      "s",
    );
    const table = ColumnTable.fromColumns({ a: [1, 2] });
    const result = validateSuite(suite, table);
    assert.equal(result.success, true);
    assert.deepEqual(result.statistics, {
      evaluated_expectations: 2,
      successful_expectations: 1,
      unsuccessful_expectations: 1,
      success_percent: 50,
    });
    assert.equal(result.results[0].success, false);
    assert.equal(result.results[0].result.observed_value, 2);
  });

  it("turns evaluation errors into exception_info, and rethrows them without catch_exceptions", () => {
    const table = ColumnTable.fromColumns({ a: [1] });
    const caught = compileExpectation({
      type: "expect_time_since_last_event_to_be_less_than",
      kwargs: { max_secs: 1 },
    }).evaluate(table);
    assert.equal(caught.success, false);
    assert.equal(caught.exception_info.raised_exception, true);
    assert.match(caught.exception_info.exception_message ?? "", /needs a stream/);
    assert.throws(
      () =>
        compileExpectation({
          type: "expect_time_since_last_event_to_be_less_than",
          kwargs: { max_secs: 1, catch_exceptions: false },
        }).evaluate(table),
      /needs a stream/,
    );
  });
});
