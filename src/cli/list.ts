import { Command } from "commander";
import { definitions } from "../checks/registry.js";
import { type AnyDetectorKind, detectors } from "../detectors/registry.js";
import { type AnyOutlierScorerKind, outlierScorers } from "../outliers/registry.js";
import { multivariateTests } from "../stats/multivariate/registry.js";
import type { MultivariateTest } from "../stats/multivariate/types.js";
import { driftTests } from "../stats/registry.js";
import type { DriftTest } from "../stats/types.js";

function table(title: string, rows: string[][]): string {
  const widths = rows[0].slice(0, -1).map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const lines = rows.map(
    (row) =>
      `  ${row
        .slice(0, -1)
        .map((c, i) => c.padEnd(widths[i]))
        .join("  ")}  ${row[row.length - 1]}`,
  );
  return `${title}\n${lines.join("\n")}\n`;
}

/** A test's options as `name (default): description`, from its schema and its defaults. */
function optionsOf(test: MultivariateTest<unknown, unknown>): string {
  const properties = (test.optionsSchema.properties ?? {}) as Record<string, { description?: string }>;
  const defaults = test.options({}) as Record<string, unknown>;
  const entries = Object.entries(properties).map(([key, schema]) => {
    const value = defaults[key];
    return `${key}${value === undefined || value === null ? "" : ` (${JSON.stringify(value)})`}${schema.description ? `: ${schema.description}` : ""}`;
  });
  return entries.length === 0 ? "none" : entries.join("; ");
}

/** The `list` command: every registered drift test, concept-drift detector, outlier scorer and expectation. */
export function listCommand(): Command {
  return new Command("list")
    .description(
      "list the drift tests, multivariate tests, concept-drift detectors, outlier scorers and expectations",
    )
    .action(() => {
      const tests = Object.entries(driftTests).map(([name, test]: [string, DriftTest]) => [
        name,
        test.kinds.join(","),
        test.decision === "p_value" ? "p < alpha" : `value >= ${test.defaultThreshold}`,
        test.description,
      ]);
      const multivariate = Object.entries(multivariateTests).map(
        ([name, test]: [string, MultivariateTest<unknown, unknown>]) => [
          name,
          test.decision === "p_value" ? "p < alpha" : "outside thresholds",
          `${test.description}; options: ${optionsOf(test)}`,
        ],
      );
      const kinds = Object.entries(detectors).map(([name, kind]: [string, AnyDetectorKind]) => [
        name,
        `${kind.input} input`,
        kind.warns ? "drift, warning" : "drift",
        kind.description,
      ]);
      const scorers = Object.entries(outlierScorers).map(([name, kind]: [string, AnyOutlierScorerKind]) => [
        name,
        `missing: ${kind.missing}`,
        kind.description,
      ]);
      const expectations = [...definitions.values()].map((d) => [
        d.type,
        d.kind === "row" ? "per event" : "per window",
        d.description,
      ]);
      process.stdout.write(
        [
          table("drift tests (numeric_test, categorical_test, --numeric-test, --categorical-test):", tests),
          table("multivariate tests (multivariate monitors' test, with its options):", multivariate),
          table("concept-drift detectors (performance monitors' detectors):", kinds),
          table("outlier scorers (outlier monitors' scorers):", scorers),
          table("expectations (checks monitors' suites, `driftwatch report --suite`):", expectations),
        ].join("\n"),
      );
    });
}
