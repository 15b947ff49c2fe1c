import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { LoadedConfig } from "./config/load.js";
import type { Config, FileSourceConfig, SourceConfig } from "./config/types.js";
import { showValue, suggest, UserError } from "./errors.js";
import { Logger } from "./log.js";
import { monitorKind } from "./monitors/registry.js";
import { verdictLines } from "./monitors/verdicts.js";
import { Pipeline } from "./pipeline.js";
import { GENERATED_BY } from "./report/build.js";
import type { MonitorOutcome, MonitorsReport, SourceTally } from "./report/monitors.js";

/** What `driftwatch report --config` replays. */
export interface ReplayRequest {
  /** Files to read in place of sources, by source name; a file source not named reads its own file. */
  readonly files: Readonly<Record<string, string>>;
  /** Only these monitors (default: every monitor of the config). */
  readonly monitors?: readonly string[];
  /** The clock (ms); injected so that tests compare processing-time results. */
  readonly now?: () => number;
  /** Where the pipeline logs (default: warnings and errors on standard error). */
  readonly log?: Logger;
}

/**
 * Runs a config's monitors over files with the daemon's own pipeline (decoding, schema, dead
 * letters, features, windows, references, suites), then closes the window each monitor has left
 * open. Nothing leaves the process: no checkpoint is kept (state lives in a temporary folder),
 * dead letters are counted rather than written to the config's destinations, notifiers are not
 * called and no metrics are served. Windows by processing time see the whole replay arrive at
 * once; windows by event time (`time: event`) replay as they happened.
 */
export async function replayMonitors(loaded: LoadedConfig, request: ReplayRequest): Promise<MonitorsReport> {
  const { config } = loaded;
  const names = Object.keys(config.monitors);
  const chosen = request.monitors === undefined || request.monitors.length === 0 ? names : request.monitors;
  for (const name of chosen) {
    if (!names.includes(name))
      throw new UserError(
        `${loaded.file}: no monitor ${showValue(name)}${suggest(name, names)}; monitors: ${names.join(", ")}`,
      );
  }
  const monitors = Object.fromEntries(chosen.map((name) => [name, config.monitors[name]]));
  const read = new Set<string>();
  for (const monitor of Object.values(monitors))
    for (const source of monitorKind(monitor.type).sources(monitor, config)) read.add(source);

  const sources: Record<string, SourceConfig> = {};
  const paths: Record<string, string> = {};
  for (const [name, file] of Object.entries(request.files)) {
    if (!read.has(name))
      throw new UserError(
        `--current ${name}=${file}: no monitor run here reads a source ${showValue(name)}${suggest(name, [...read])}; sources read: ${[...read].join(", ")}`,
      );
    if (!existsSync(file)) throw new UserError(`${file}: cannot open: ENOENT`);
  }
  for (const name of read) {
    const original = config.sources[name];
    const file = request.files[name];
    if (file === undefined && original.type !== "file")
      throw new UserError(
        `source ${showValue(name)} is a ${original.type} source: give --current ${name}=FILE to replay a file in its place`,
      );
    const path = file === undefined ? loaded.resolvePath((original as FileSourceConfig).path) : resolve(file);
    sources[name] = replayedSource(original, path, file === undefined);
    paths[name] = path;
  }
  const log = request.log ?? new Logger("warn");
  for (const name of read) {
    const original = config.sources[name];
    // A file has no partitions: the daemon's per-partition windows cannot be cut from it.
    if (original.type === "kafka" && original.cluster !== undefined)
      log.warn(
        "a cluster source is replayed as one stream: its count windows hold `events` events of the file, not `events` per partition",
        {
          source: name,
        },
      );
  }
  // The daemon's pipeline, with nothing that reaches outside the process.
  const replayed: Config = { ...config, sources, monitors, notifiers: [], metrics: undefined };
  const outcomes = new Map<string, { type: string; results: unknown[]; verdicts: string[] }>();
  for (const [name, monitor] of Object.entries(monitors))
    outcomes.set(name, { type: monitor.type, results: [], verdicts: [] });
  // As `driftwatch run` prints them.
  const verdictOf = verdictLines();
  const state = mkdtempSync(join(tmpdir(), "driftwatch-replay-"));
  try {
    const pipeline = await Pipeline.create(
      { ...loaded, config: replayed },
      {
        log,
        metricsListen: null,
        stateDir: state,
        ...(request.now === undefined ? {} : { now: request.now }),
        onResult: (published) => {
          const outcome = outcomes.get(published.monitor);
          if (outcome === undefined) return;
          // A copy: results are the kinds' plain data, and nothing may change them after.
          outcome.results.push(structuredClone(published.result));
          const line = verdictOf(published);
          if (line !== null) outcome.verdicts.push(line);
        },
      },
    );
    await pipeline.start();
    try {
      await pipeline.finished();
      pipeline.flush();
    } finally {
      await pipeline.stop();
    }
    const tallies = await tallyOf(pipeline, paths);
    return {
      generated_by: GENERATED_BY,
      config: loaded.file,
      sources: tallies,
      monitors: Object.fromEntries(outcomes) as Record<string, MonitorOutcome>,
    };
  } finally {
    rmSync(state, { recursive: true, force: true });
  }
}

/**
 * A file source in place of a source: the same schema, event time and limits, read at full speed,
 * its dead letters kept in the replay's temporary state folder (counted, never written to the
 * config's destinations).
 */
function replayedSource(original: SourceConfig, path: string, own: boolean): FileSourceConfig {
  const {
    dead_letter: _deadLetter,
    type: _type,
    ...common
  } = original as SourceConfig & { dead_letter?: unknown };
  const kept: Record<string, unknown> = {};
  for (const key of ["schema", "event_time", "max_event_bytes", "max_depth", "stall_timeout_secs"] as const)
    if (common[key] !== undefined) kept[key] = common[key];
  // A file source's own layout holds for its own file; another file is read by its extension.
  const format = own && original.type === "file" ? original.format : undefined;
  return { type: "file", path, ...kept, ...(format === undefined ? {} : { format }) };
}

/** Events per source as the pipeline counted them: valid, dead-lettered, and by reason. */
async function tallyOf(
  pipeline: Pipeline,
  paths: Readonly<Record<string, string>>,
): Promise<Record<string, SourceTally>> {
  const totals = (await pipeline.metrics.eventsTotal.get()).values;
  const invalid = (await pipeline.metrics.eventsInvalidTotal.get()).values;
  const tallies: Record<string, SourceTally> = {};
  for (const [name, path] of Object.entries(paths)) {
    const count = (outcome: string): number =>
      totals.find((v) => v.labels.source === name && v.labels.outcome === outcome)?.value ?? 0;
    const reasons: Record<string, number> = {};
    for (const v of invalid)
      if (v.labels.source === name && v.value > 0) reasons[String(v.labels.reason)] = v.value;
    tallies[name] = { path, valid: count("valid"), dead_lettered: count("invalid"), reasons };
  }
  return tallies;
}
