/**
 * `npm run bench:checks`: the in-process pipeline's throughput with a checks monitor (a
 * 20-expectation suite, bench/checks/suite.ts) added to bench/stream's drift monitor, as a ratio
 * to the drift monitor alone, on the same events, in the same process, round by round (see
 * BENCHMARKS.md, section "checks"; goal ≥ 0.8).
 *
 * As in bench/stream's `batches` mode and bench/quality's pipeline part, pre-made Buffers in
 * batches of 500 go straight to the pipeline's batch handler (what its sources call): decode,
 * validate, extract, `dead_letter` expectations, monitors, publish. Every run builds a new
 * `Pipeline` (fresh state dir) before its timer starts; `start()` is not called, so no checkpoint
 * or tick timer runs. Both configurations share the source, the schema and the drift monitor of
 * bench/stream (20 features, KS and chi-square, tumbling 10 000, `first` 10 000); the order in
 * which they run rotates every round:
 *
 * - `drift`: the drift monitor alone, the baseline;
 * - `+checks`: plus a checks monitor on the same source with tumbling windows of 10 000 events and
 *   the bench suite: 14 row-level expectations (one of them `dead_letter`, so also judged per
 *   event on arrival) and 6 window-level ones, all passing on these events.
 *
 * Every run checks that all events were accepted (none dead-lettered) and that it closed the
 * expected windows: drift evaluations, and checks windows of 20 results each with no expectation
 * raising. Expectations that fail on a window are counted and printed (they should not: the suite
 * is written to pass on these events).
 *
 * Environment knobs (all optional):
 *   BENCH_CHECKS_EVENTS=200000          events per run
 *   BENCH_CHECKS_ROUNDS=15              rounds
 *   BENCH_CHECKS_VARIANTS=drift,+checks configurations (the first is the baseline)
 */

import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import type { ChecksResult } from "../../src/checks/monitor.js";
import { loadSuite } from "../../src/checks/suite.js";
import { type LoadedConfig, loadConfig } from "../../src/config/load.js";
import type { Config, MonitorConfig } from "../../src/config/types.js";
import { Pipeline } from "../../src/pipeline.js";
import type { SourceRecord } from "../../src/sources/source.js";
import { eventSchema, eventText, features } from "../stream/events.js";
import {
  acceptedEvents,
  batchHandler,
  collectGarbage,
  knob,
  list,
  median,
  quietLog,
  type RunSummary,
  rate,
  ratios,
  repoRoot,
  startClock,
  summarise,
  type Timing,
  table,
} from "../stream/harness.js";
import { writeSuite } from "./suite.js";

const workDir = join(repoRoot, ".bench", "checks");
/** The file source's batch size, as in bench/stream. */
const BATCH = 500;
/** Windows of both monitors and the drift monitor's reference, in events. */
const WINDOW = 10_000;
const REFERENCE = 10_000;
const GOAL = 0.8;

/** The configurations compared; the first is the baseline. */
const VARIANTS = ["drift", "+checks"] as const;
type Variant = (typeof VARIANTS)[number];

const fixed = (x: number, digits = 2) => x.toFixed(digits);
const goal = (ratio: number) => `goal ≥ ${GOAL}: ${ratio >= GOAL ? "met" : "not met"}`;
const loadNow = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");
const fileName = (variant: Variant) => variant.replace("+", "plus-");

function check(what: string, got: number, want: number): void {
  if (got !== want) throw new Error(`${what}: got ${got}, expected ${want}`);
}

function monitorsOf(variant: Variant, suite: string): Record<string, MonitorConfig> {
  const monitors: Record<string, MonitorConfig> = {
    drift: {
      type: "drift",
      features: features.map((f) => f.name),
      reference: { type: "first", events: REFERENCE },
      window: { type: "tumbling", events: WINDOW },
    },
  };
  if (variant === "+checks")
    monitors.checks = {
      type: "checks",
      source: "bench",
      suite,
      window: { type: "tumbling", events: WINDOW },
    };
  return monitors;
}

/** Writes and loads (with the daemon's own loader, which also loads the suite) one variant's config. */
function writeConfig(dir: string, variant: Variant, schemaPath: string, suitePath: string): LoadedConfig {
  const config: Config = {
    sources: { bench: { type: "file", path: join(dir, "unused.jsonl"), schema: schemaPath } },
    features: Object.fromEntries(
      features.map((f) => [f.name, { source: "bench", path: f.path, type: f.type }]),
    ),
    monitors: monitorsOf(variant, suitePath),
  };
  const file = join(dir, `pipeline-${fileName(variant)}.yaml`);
  // JSON is YAML, and loadConfig reads YAML.
  writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
  return loadConfig(file);
}

/** What one configuration did, per run and summarised. */
interface VariantResult {
  readonly variant: Variant;
  readonly summary: RunSummary;
  readonly windows: { readonly drift: number; readonly checks: number };
  /** Time spent evaluating the suite at window closes (the monitor's `duration_secs`), per run, ms. */
  readonly evaluationMs: readonly number[];
}

interface BenchResult {
  readonly results: VariantResult[];
  readonly bytes: number;
  readonly suite: { readonly row: number; readonly window: number; readonly columns: number };
  /** Failed expectation results over all runs, by `type(columns)`. */
  readonly failures: Record<string, number>;
}

async function bench(events: number, rounds: number, variants: readonly Variant[]): Promise<BenchResult> {
  const dir = join(workDir, "pipeline");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "unused.jsonl"), "");
  const schemaPath = join(dir, "event.schema.json");
  writeFileSync(schemaPath, `${JSON.stringify(eventSchema, null, 2)}\n`);
  const suitePath = writeSuite(dir, WINDOW);
  const loadedSuite = loadSuite(suitePath);
  const suite = {
    row: loadedSuite.expectations.filter((e) => e.rowLevel).length,
    window: loadedSuite.expectations.filter((e) => !e.rowLevel).length,
    columns: new Set(loadedSuite.expectations.flatMap((e) => e.columns)).size,
  };
  const size = loadedSuite.expectations.length;

  let bytes = 0;
  const batches: SourceRecord[][] = [];
  for (let i = 0; i < events; i += BATCH) {
    const batch: SourceRecord[] = [];
    for (let j = i; j < Math.min(events, i + BATCH); j++) {
      const value = Buffer.from(eventText(j));
      bytes += value.length;
      batch.push({ value, position: { key: "bench/0", offset: j } });
    }
    batches.push(batch);
  }

  const expected = { drift: Math.floor((events - REFERENCE) / WINDOW), checks: Math.floor(events / WINDOW) };
  const loaded = new Map(variants.map((v) => [v, writeConfig(dir, v, schemaPath, suitePath)]));
  const runs = new Map<Variant, Timing[]>(variants.map((v) => [v, []]));
  const evaluationMs = new Map<Variant, number[]>(variants.map((v) => [v, []]));
  const failures: Record<string, number> = {};

  const runOnce = async (variant: Variant, round: number): Promise<void> => {
    const windows = { drift: 0, checks: 0 };
    let evaluation = 0;
    let raised = "";
    const stateDir = join(dir, "state", `${fileName(variant)}-${round}`);
    rmSync(stateDir, { recursive: true, force: true });
    const pipeline = await Pipeline.create(loaded.get(variant) as LoadedConfig, {
      log: quietLog,
      metricsListen: null,
      stateDir,
      onResult: ({ kind, result: value }) => {
        if (kind.type === "drift") windows.drift++;
        if (kind.type !== "checks") return;
        const result = value as ChecksResult;
        if (result.trigger !== "window_close") return;
        windows.checks++;
        evaluation += result.duration_secs * 1000;
        check(
          `${variant}: expectations evaluated`,
          result.validation.statistics.evaluated_expectations,
          size,
        );
        for (const r of result.validation.results) {
          if (r.success) continue;
          const k = r.expectation_config.kwargs;
          const columns = [k.column, k.column_A, k.column_B, ...((k.column_list as unknown[]) ?? [])]
            .filter((c) => c !== undefined)
            .join(",");
          const key = `${r.expectation_config.type}(${columns})`;
          failures[key] = (failures[key] ?? 0) + 1;
          if (r.exception_info.raised_exception) raised ||= `${key}: ${r.exception_info.exception_message}`;
        }
      },
    });
    const handler = batchHandler(pipeline);
    collectGarbage();
    const stop = startClock();
    for (const batch of batches) await handler(batch);
    (runs.get(variant) as Timing[]).push(stop());
    (evaluationMs.get(variant) as number[]).push(evaluation);
    if (raised !== "") throw new Error(`${variant}: an expectation raised: ${raised}`);
    check(`${variant}: events accepted`, await acceptedEvents(pipeline), events);
    check(`${variant}: drift windows`, windows.drift, expected.drift);
    check(`${variant}: checks windows`, windows.checks, variant === "+checks" ? expected.checks : 0);
  };

  // Rotate the order every round, so that no configuration always runs first (or last).
  for (let round = 0; round < rounds; round++) {
    const n = variants.length;
    for (let k = 0; k < n; k++) await runOnce(variants[(round + k) % n], round);
  }
  rmSync(join(dir, "state"), { recursive: true, force: true });

  const results = variants.map(
    (variant): VariantResult => ({
      variant,
      summary: summarise(runs.get(variant) as Timing[], events),
      windows: { drift: expected.drift, checks: variant === "+checks" ? expected.checks : 0 },
      evaluationMs: evaluationMs.get(variant) as number[],
    }),
  );
  return { results, bytes: bytes / events, suite, failures };
}

function print(r: BenchResult, events: number, rounds: number): void {
  console.log(
    `\n== in-process pipeline: ${events} events of ~${Math.round(r.bytes)} bytes in batches of 500 to the batch handler; ` +
      `suite of ${r.suite.row} row-level + ${r.suite.window} window-level expectations over ${r.suite.columns} columns; ` +
      `${rounds} rounds, order rotated every round`,
  );
  const rows = r.results.map((x) => [
    x.variant,
    `${x.windows.drift} / ${x.windows.checks}`,
    rate(x.summary.best),
    rate(x.summary.median),
    rate(x.summary.bestCpu),
    `${fixed(1e6 / x.summary.median)} µs`,
    x.windows.checks > 0 ? `${fixed(median(x.evaluationMs) / x.windows.checks, 1)} ms` : "",
  ]);
  console.log(
    table(
      [
        "monitors",
        "windows drift/checks",
        "best",
        "median",
        "best per CPU-s",
        "median µs/event",
        "suite eval per window",
      ],
      rows,
    ),
  );
  const baseline = r.results[0];
  for (const x of r.results.slice(1)) {
    const q = ratios(x.summary, baseline.summary);
    const added = 1e6 / x.summary.median - 1e6 / baseline.summary.median;
    const evaluation = x.windows.checks > 0 ? (median(x.evaluationMs) * 1000) / events : 0;
    console.log(
      `  ${x.variant} / ${baseline.variant}: best ${fixed(q.best)}, median ${fixed(q.median)}, paired per round ${fixed(q.paired)}, ` +
        `CPU ${fixed(q.cpu)}; adds ${fixed(added)} µs/event, of which ${fixed(evaluation)} µs/event evaluating the suite ` +
        `at window closes  (${goal(q.median)})`,
    );
  }
  const failed = Object.entries(r.failures);
  const windows = r.results.reduce((n, x) => n + x.windows.checks * x.summary.runs.length, 0);
  console.log(
    failed.length === 0
      ? `  every expectation passed on every one of the ${windows} checks windows`
      : `  failed expectation results over ${windows} checks windows: ${failed.map(([k, n]) => `${k} ×${n}`).join(", ")}`,
  );
}

async function main(): Promise<void> {
  if (typeof (globalThis as { gc?: unknown }).gc !== "function")
    console.warn("warning: run with --expose-gc (npm run bench:checks does) to collect garbage between runs");
  let commit = "unknown";
  try {
    commit = execFileSync("git", ["-C", repoRoot, "rev-parse", "--short", "HEAD"], {
      encoding: "utf8",
    }).trim();
    const dirty = execFileSync("git", ["-C", repoRoot, "status", "--porcelain", "--", "src"], {
      encoding: "utf8",
    });
    if (dirty.trim() !== "") commit += " (src/ has uncommitted changes)";
  } catch {
    // not a git checkout
  }
  const events = knob("BENCH_CHECKS_EVENTS", 200_000);
  const rounds = knob("BENCH_CHECKS_ROUNDS", 15);
  const variants = list<Variant>("BENCH_CHECKS_VARIANTS", VARIANTS, VARIANTS);
  mkdirSync(workDir, { recursive: true });
  console.log(
    `== node ${process.version}, ${cpus().length} cores, commit ${commit}, load average ${loadNow()}; scratch: ${workDir}`,
  );
  const r = await bench(events, rounds, variants);
  print(r, events, rounds);
  console.log(`\n== load average at the end ${loadNow()}; raw figures in ${join(workDir, "results.json")}`);
  writeFileSync(
    join(workDir, "results.json"),
    `${JSON.stringify({ node: process.version, commit, events, rounds, ...r }, null, 1)}\n`,
  );
}

await main();
