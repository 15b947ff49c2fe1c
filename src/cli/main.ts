import { Command, CommanderError } from "commander";
import { ConfigError } from "../config/load.js";
import { UserError } from "../errors.js";
import { listCommand } from "./list.js";
import { profileCommand } from "./profile.js";
import { referenceCommand } from "./reference.js";
import { reportCommand } from "./report.js";
import { runCommand } from "./run.js";
import { suggestCommand } from "./suggest.js";
import { validateCommand } from "./validate.js";

/**
 * Runs the CLI and returns the exit code: 0 ok, 1 dataset drift with `--fail-on-drift`, 2 usage
 * or input error (one line on stderr, no stack trace). Anything else is a bug and propagates.
 */
export async function run(argv: readonly string[]): Promise<number> {
  let exitCode = 0;
  const program = new Command("driftwatch")
    .description("drift, data quality and model monitoring for machine-learning systems")
    .version("0.1.0")
    .exitOverride()
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({
      outputError: (text, write) => write(text.startsWith("error:") ? `driftwatch: ${text}` : text),
    });
  for (const command of [
    reportCommand((code) => (exitCode = code)),
    runCommand(),
    validateCommand(),
    profileCommand(),
    suggestCommand(),
    listCommand(),
    referenceCommand(),
  ]) {
    for (const sub of command.commands)
      sub.exitOverride().configureOutput({
        outputError: (text, write) =>
          write(`driftwatch ${command.name()} ${sub.name()}: ${text.replace(/^error: /, "")}`),
      });
    program.addCommand(
      command.exitOverride().configureOutput({
        outputError: (text, write) => write(`driftwatch ${command.name()}: ${text.replace(/^error: /, "")}`),
      }),
    );
  }
  try {
    await program.parseAsync([...argv], { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with code 0; usage errors were already printed.
      return error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof ConfigError) {
      process.stderr.write(`driftwatch: ${error.message}\n`);
      return 2;
    }
    if (error instanceof UserError) {
      process.stderr.write(`driftwatch: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  return exitCode;
}

/** Process entry point: the only place that calls `process.exit`. */
export async function main(argv: readonly string[]): Promise<void> {
  const code = await run(argv);
  // Let stdout drain before exiting (large reports piped to another program).
  process.exitCode = code;
}
