import { Command, Option } from "commander";
import { loadConfig } from "../config/load.js";
import { type Level, Logger } from "../log.js";
import { Pipeline } from "../pipeline.js";
import { formatVerdict } from "./verdict.js";

interface RunFlags {
  config: string;
  once?: boolean;
  logLevel: Level;
  metricsListen?: string;
  stateDir?: string;
}

/**
 * The `run` command: the daemon. Loads and validates the config, restores the last checkpoint,
 * consumes until SIGTERM or SIGINT (or, with --once, until the file sources are replayed), then
 * drains, checkpoints and exits 0. Each evaluated window prints one verdict line on stdout.
 */
export function runCommand(): Command {
  return new Command("run")
    .description("run the monitoring daemon on a config file")
    .requiredOption("--config <file>", "configuration file (YAML)")
    .option("--once", "exit once every file source has been replayed (after a final checkpoint)")
    .addOption(
      new Option("--log-level <level>", "log level")
        .choices(["debug", "info", "warn", "error"])
        .default("info"),
    )
    .option("--metrics-listen <host:port>", "override metrics.listen of the config")
    .option("--state-dir <dir>", "override state.dir of the config")
    .action(async (flags: RunFlags) => {
      const log = new Logger(flags.logLevel);
      const loaded = loadConfig(flags.config);
      const pipeline = await Pipeline.create(loaded, {
        log,
        metricsListen: flags.metricsListen,
        stateDir: flags.stateDir,
        onResult: (result) => process.stdout.write(`${formatVerdict(result)}\n`),
      });
      let stopping: Promise<void> | null = null;
      const stop = (why: string): Promise<void> => {
        if (stopping === null) {
          log.info("stopping", { why });
          stopping = pipeline.stop();
        }
        return stopping;
      };
      const done = new Promise<void>((resolve, reject) => {
        for (const signal of ["SIGTERM", "SIGINT"] as const) {
          process.once(signal, () => {
            stop(signal).then(resolve, reject);
          });
        }
        if (flags.once) {
          pipeline.finished().then(
            () => stop("all file sources replayed").then(resolve, reject),
            (error) => stop("a source failed").then(() => reject(error), reject),
          );
        }
      });
      await pipeline.start();
      await done;
    });
}
