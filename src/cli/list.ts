import { Command } from "commander";
import { driftTests } from "../stats/registry.js";
import type { DriftTest } from "../stats/types.js";

/** The `list` command: the registered drift tests with their kinds and decision rule. */
export function listCommand(): Command {
  return new Command("list").description("list the drift tests and distances").action(() => {
    const rows = Object.entries(driftTests).map(([name, test]: [string, DriftTest]) => [
      name,
      test.kinds.join(","),
      test.decision === "p_value" ? "p < alpha" : `value >= ${test.defaultThreshold ?? 0.1}`,
      test.description,
    ]);
    const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i].length)));
    for (const row of rows) {
      process.stdout.write(
        `${row
          .slice(0, 3)
          .map((c, i) => c.padEnd(widths[i]))
          .join("  ")}  ${row[3]}\n`,
      );
    }
  });
}
