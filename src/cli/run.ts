import { Command, Option } from "commander";
import { ConfigError, type LoadedConfig, loadConfig } from "../config/load.js";
import { UserError } from "../errors.js";
import { type Level, Logger } from "../log.js";
import { Metrics } from "../metrics/metrics.js";
import { verdictLines } from "../monitors/verdicts.js";
import { Pipeline } from "../pipeline.js";

interface RunFlags {
  config: string;
  once?: boolean;
  logLevel: Level;
  metricsListen?: string;
  stateDir?: string;
  resetState?: boolean;
}

/**
 * The `run` command: the daemon. Loads and validates the config, restores the last checkpoint,
 * consumes until SIGTERM or SIGINT (or, with --once, until the file sources are replayed), then
 * drains, checkpoints and exits 0. SIGHUP reloads the config: the running pipeline is drained and
 * checkpointed and a new one starts from that checkpoint; a config that fails to load is logged,
 * sets `driftwatch_config_last_reload_successful` to 0, and the running pipeline carries on.
 * Each evaluated window prints one verdict line on stdout.
 *
 * State: the newest usable checkpoint generation is restored (the previous one when the newest is
 * damaged). When none is usable, or the state dir cannot be written, `run` refuses to start with
 * one line and exit code 2; `--reset-state` starts afresh instead when no generation is usable.
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
    .option(
      "--reset-state",
      "when no checkpoint generation is usable, set the damaged files aside and start afresh instead of refusing",
    )
    .action(async (flags: RunFlags) => {
      const log = new Logger(flags.logLevel);
      // One set of metrics for the process: a reload clears the series of the old pipeline.
      const metrics = new Metrics();
      // Verdict lines, with the last repeat key per monitor kept across reloads.
      const verdictOf = verdictLines();
      // Only the first start may reset: a reload restores what the stopping pipeline just wrote.
      let resetState = flags.resetState === true;
      const create = async (loaded: LoadedConfig): Promise<Pipeline> => {
        metrics.registry.resetMetrics();
        const created = await Pipeline.create(loaded, {
          log,
          metrics,
          metricsListen: flags.metricsListen,
          stateDir: flags.stateDir,
          resetState,
          onResult: (result) => {
            const line = verdictOf(result);
            if (line !== null) process.stdout.write(`${line}\n`);
          },
        });
        resetState = false;
        created.metrics.configReloadSuccessful.set(1);
        created.metrics.configReloadTimestamp.set(Date.now() / 1000);
        return created;
      };
      let loadedBefore = loadConfig(flags.config);
      let pipeline = await create(loadedBefore);
      // One lifecycle change at a time: reloads and the final stop queue behind each other.
      let queue: Promise<void> = Promise.resolve();
      let stopping = false;
      const enqueue = (step: () => Promise<void>): Promise<void> => {
        queue = queue.then(step, step);
        return queue;
      };

      const reload = (): Promise<void> =>
        enqueue(async () => {
          if (stopping) return;
          let next: LoadedConfig;
          try {
            next = loadConfig(flags.config);
          } catch (error) {
            const problems =
              error instanceof ConfigError
                ? error.problems.map((p) => `${p.path || "/"} ${p.message}`).join("; ")
                : String(error);
            log.error("config reload failed; keeping the running config", { config: flags.config, problems });
            pipeline.metrics.configReloadSuccessful.set(0);
            return;
          }
          log.info("reloading config", { config: flags.config });
          await pipeline.stop();
          try {
            pipeline = await create(next);
          } catch (error) {
            if (!(error instanceof UserError)) throw error;
            // The new config is valid but cannot start (a reference file unreadable): go back.
            log.error("reloaded config cannot start; restarting with the previous one", {
              error: error.message,
            });
            pipeline = await create(loadedBefore);
            pipeline.metrics.configReloadSuccessful.set(0);
          }
          loadedBefore = next;
          await pipeline.start();
          watchFinish();
        });

      let finish!: () => void;
      let fail!: (error: unknown) => void;
      const done = new Promise<void>((resolve, reject) => {
        finish = resolve;
        fail = reject;
      });
      const stop = (why: string, cause?: unknown): void => {
        enqueue(async () => {
          if (stopping) return;
          stopping = true;
          log.info("stopping", { why });
          await pipeline.stop();
        }).then(() => (cause === undefined ? finish() : fail(cause)), fail);
      };
      const watchFinish = (): void => {
        if (!flags.once) return;
        const current = pipeline;
        current.finished().then(
          () => {
            if (current === pipeline) stop("all file sources replayed");
          },
          (error) => {
            // A one-line reason (state that could not be persisted, a file that cannot be opened) is logged as the why.
            if (current === pipeline)
              stop(error instanceof UserError ? error.message : "a source failed", error);
          },
        );
      };
      process.on("SIGTERM", () => stop("SIGTERM"));
      process.on("SIGINT", () => stop("SIGINT"));
      process.on("SIGHUP", () => {
        reload().catch(fail);
      });
      await pipeline.start();
      watchFinish();
      await done;
      // Stopped and checkpointed: nothing of ours is left to run. A connection kafkajs reopens for
      // a heartbeat racing its own disconnect (seen after a broker restart) must not keep the
      // process alive; this timer does not either, and fires only if something else does.
      setTimeout(() => {
        log.warn("exiting with a client library's connection still open");
        process.exit(process.exitCode ?? 0);
      }, 3000).unref();
    });
}
