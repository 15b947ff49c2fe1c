import { Command } from "commander";
import { loadConfig } from "../config/load.js";
import { preflight } from "../config/preflight.js";

/**
 * The `validate` command: checks a config file and what `run` would build from it (notifier
 * environment references, reference data files), without starting anything; exits 0 when valid,
 * listing what only `run` can check, or 2 with every problem listed.
 */
export function validateCommand(): Command {
  return new Command("validate")
    .description("check a config file, and what run builds from it, then exit")
    .requiredOption("--config <file>", "configuration file (YAML)")
    .action(async (flags: { config: string }) => {
      const loaded = loadConfig(flags.config);
      const { problems, unchecked } = await preflight(loaded);
      if (problems.length > 0) throw loaded.reject(problems);
      const { config } = loaded;
      process.stdout.write(
        `${flags.config}: valid (${Object.keys(config.sources).length} sources, ${Object.keys(config.features).length} features, ${Object.keys(config.monitors).length} monitors)\n` +
          `not checked (only \`run\` can):\n${unchecked.map((line) => `  - ${line}\n`).join("")}`,
      );
    });
}
