import { Command } from "commander";
import { loadConfig } from "../config/load.js";

/** The `validate` command: checks a config file and exits (0 valid, 2 with every problem listed). */
export function validateCommand(): Command {
  return new Command("validate")
    .description("check a config file and exit")
    .requiredOption("--config <file>", "configuration file (YAML)")
    .action((flags: { config: string }) => {
      const { config } = loadConfig(flags.config);
      process.stdout.write(
        `${flags.config}: valid (${Object.keys(config.sources).length} sources, ${Object.keys(config.features).length} features, ${Object.keys(config.monitors).length} monitors)\n`,
      );
    });
}
