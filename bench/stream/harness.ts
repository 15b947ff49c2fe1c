/**
 * What every part of `npm run bench:stream` shares: the working dir, the driftwatch config of the
 * benchmark monitor, the pipeline's batch handler, timing and memory readings, and the summary of
 * repeated runs. Nothing here is timed itself.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type LoadedConfig, loadConfig } from "../../src/config/load.js";
import type { Config, SourceConfig } from "../../src/config/types.js";
import type { DriftResult } from "../../src/drift/monitor.js";
import { Logger } from "../../src/log.js";
import { resultsOf } from "../../src/monitors/results.js";
import { Pipeline } from "../../src/pipeline.js";
import type { BatchOutcome, SourceRecord } from "../../src/sources/source.js";
import { eventSchema, features } from "./events.js";

/** The repository root. */
export const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
/** Scratch space of this benchmark (git-ignored, like the other benchmarks' `.bench/*`). */
export const workDir = join(repoRoot, ".bench", "stream");

/** The benchmark's logger: warnings and errors only, so a run prints nothing but its figures. */
export const quietLog = new Logger("warn");

/** How the benchmark monitor windows the stream. */
export interface MonitorShape {
  /** Tumbling window length, in events. */
  readonly windowEvents: number;
  /** Events of the `first` reference. */
  readonly referenceEvents: number;
}

/**
 * Writes the event schema and a config with one source (`bench`), the 20 features and one drift
 * monitor over all of them, and loads it with the daemon's own loader (so it is validated exactly
 * as a user's config is). Returns the loaded config.
 */
export function writeConfig(name: string, source: SourceConfig, shape: MonitorShape): LoadedConfig {
  mkdirSync(workDir, { recursive: true });
  const schemaPath = join(workDir, "event.schema.json");
  writeFileSync(schemaPath, `${JSON.stringify(eventSchema, null, 2)}\n`);
  const config: Config = {
    sources: { bench: { ...source, schema: schemaPath } },
    features: Object.fromEntries(
      features.map((f) => [f.name, { source: "bench", path: f.path, type: f.type }]),
    ),
    monitors: {
      bench: {
        type: "drift",
        features: features.map((f) => f.name),
        reference: { type: "first", events: shape.referenceEvents },
        window: { type: "tumbling", events: shape.windowEvents },
      },
    },
  };
  const file = join(workDir, `${name}.yaml`);
  // JSON is YAML, and loadConfig reads YAML.
  writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
  return loadConfig(file);
}

/** An empty file in the working dir (a file source that is never started still needs one). */
export function emptyFile(name: string): string {
  mkdirSync(workDir, { recursive: true });
  const path = join(workDir, name);
  writeFileSync(path, "");
  return path;
}

/** A fresh, empty state dir, so that no checkpoint of an earlier run is restored. */
export function freshStateDir(name: string): string {
  const dir = join(workDir, "state", name);
  rmSync(dir, { recursive: true, force: true });
  return dir;
}

/** A pipeline as the daemon builds it, with no metrics server, counting its evaluations. */
export async function createPipeline(
  loaded: LoadedConfig,
  stateDir: string,
  options: { log?: Logger; onResult?: (result: DriftResult) => void } = {},
): Promise<Pipeline> {
  return Pipeline.create(loaded, {
    log: options.log ?? quietLog,
    metricsListen: null,
    stateDir,
    // The drift evaluations only, as the benchmarks count them.
    onResult: resultsOf<DriftResult>("drift", (result) => options.onResult?.(result)),
  });
}

/** Valid events the pipeline has counted (`driftwatch_events_total{outcome="valid"}`). */
export async function acceptedEvents(pipeline: Pipeline): Promise<number> {
  const { values } = await pipeline.metrics.eventsTotal.get();
  return values.filter((v) => v.labels.outcome === "valid").reduce((sum, v) => sum + v.value, 0);
}

/** The parts of `Pipeline` that are private in TypeScript but are what its sources call. */
interface PipelineInternals {
  readonly runtimes: readonly unknown[];
  process(runtime: unknown, records: readonly SourceRecord[]): Promise<BatchOutcome>;
}

/**
 * The batch handler a source of the pipeline is given in `start()`: decode, validate, extract,
 * window, evaluate and publish. The pipeline takes no injected source, so the in-memory part
 * reaches the handler through its private fields; if they are renamed, this throws.
 */
export function batchHandler(
  pipeline: Pipeline,
): (records: readonly SourceRecord[]) => Promise<BatchOutcome> {
  const internals = pipeline as unknown as PipelineInternals;
  const runtime = internals.runtimes?.[0];
  if (runtime === undefined || typeof internals.process !== "function")
    throw new Error("Pipeline no longer has `runtimes` and `process`; update bench/stream/harness.ts");
  return (records) => internals.process(runtime, records);
}

/** Wall and CPU time of one run, in ms. */
export interface Timing {
  readonly wallMs: number;
  readonly cpuMs: number;
}

/** Starts a wall and CPU clock; the returned function reads both. */
export function startClock(): () => Timing {
  const wall = performance.now();
  const cpu = process.cpuUsage();
  return () => {
    const used = process.cpuUsage(cpu);
    return { wallMs: performance.now() - wall, cpuMs: (used.user + used.system) / 1000 };
  };
}

/** Collects garbage when the process runs with --expose-gc, so one run's garbage is not the next one's. */
export function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Throughputs (events/s) of the repeated runs of one contender, summarised. */
export interface RunSummary {
  readonly runs: readonly Timing[];
  /** Events per second of the fastest run, and of the median run. */
  readonly best: number;
  readonly median: number;
  /** Events per CPU-second of the run with the least CPU time. */
  readonly bestCpu: number;
}

/** Summarises the runs of one contender over `events` events each. */
export function summarise(runs: readonly Timing[], events: number): RunSummary {
  const rates = runs.map((t) => events / (t.wallMs / 1000));
  return {
    runs,
    best: Math.max(...rates),
    median: median(rates),
    bestCpu: Math.max(...runs.map((t) => events / (t.cpuMs / 1000))),
  };
}

/**
 * Ratios of a contender to its baseline: best to best, median to median, the median of the
 * per-round ratios (runs paired by round, so a burst of load hits both sides of a pair), and
 * best CPU throughput to best CPU throughput.
 */
export function ratios(
  subject: RunSummary,
  baseline: RunSummary,
): { best: number; median: number; paired: number; cpu: number } {
  const paired = subject.runs.map((t, i) => baseline.runs[i].wallMs / t.wallMs);
  return {
    best: subject.best / baseline.best,
    median: subject.median / baseline.median,
    paired: median(paired),
    cpu: subject.bestCpu / baseline.bestCpu,
  };
}

/** Memory of this process, in bytes. */
export interface MemoryReading {
  readonly rss: number;
  readonly heapUsed: number;
  /** Memory outside the V8 heap (typed-array stores, Buffers). */
  readonly external: number;
}

/** Reads memory after a full garbage collection (when --expose-gc is on). */
export function memoryNow(): MemoryReading {
  collectGarbage();
  const { rss, heapUsed, external } = process.memoryUsage();
  return { rss, heapUsed, external };
}

/**
 * Peak RSS since the last `resetPeakRss` (VmHWM, Linux), in bytes; falls back to the process's
 * lifetime peak (getrusage) where /proc is not available.
 */
export function peakRss(): number {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync("/proc/self/status", "utf8"));
    if (match) return Number(match[1]) * 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS * 1024;
}

/** Resets the peak RSS to the current RSS (Linux: writing 5 to /proc/self/clear_refs); false when unsupported. */
export function resetPeakRss(): boolean {
  try {
    writeFileSync("/proc/self/clear_refs", "5");
    return true;
  } catch {
    return false;
  }
}

/** Formats a number of events per second, e.g. `183.2k/s`. */
export function rate(eventsPerSec: number): string {
  return eventsPerSec >= 1e6
    ? `${(eventsPerSec / 1e6).toFixed(2)}M/s`
    : `${(eventsPerSec / 1e3).toFixed(1)}k/s`;
}

/** Formats bytes as MiB. */
export function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/** Renders rows as a left-aligned first column and right-aligned others. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

/** A positive integer from the environment variable `name`, or `fallback` when it is unset. */
export function knob(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`${name} must be a positive integer (got ${text})`);
  return value;
}

/** A comma-separated list of known names from the environment variable `name`, or `fallback`. */
export function list<T extends string>(name: string, fallback: readonly T[], known: readonly T[]): T[] {
  const items = (process.env[name] ?? fallback.join(",")).split(",").filter((x) => x !== "");
  for (const item of items)
    if (!known.includes(item as T)) throw new Error(`${name}: unknown "${item}"; known: ${known.join(", ")}`);
  return items as T[];
}
