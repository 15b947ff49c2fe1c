/**
 * `npm run bench:stream`: the daemon's throughput and memory, as ratios to baselines measured in
 * the same run (see BENCHMARKS.md, section "stream").
 *
 * 1. In-process pipeline vs a JSON.parse loop over the same messages (goal ≥ 0.7), fed as
 *    in-memory batches and through the file source.
 * 2. End to end from a real Kafka broker: Pipeline with a kafka source vs a bare kafkajs consumer
 *    that only parses (goal ≥ 0.8); `kafka-avro` the same with the messages as Avro records, the
 *    pipeline's source decoding them with `format: avro` and the baseline with avsc (goal ≥ 0.8),
 *    and Avro's events/s beside JSON's when both parts run.
 * 3. Memory of a 1M-event tumbling window of the 20 features against the raw size of its values,
 *    and the time of one checkpoint and one evaluation of that window (in a child process).
 *
 * Between 1 and 2, `stages`: the cost per event of each stage of the in-process pipeline (decode,
 * validate, extract, window, evaluate), to see where the time goes without a profiler.
 *
 * Environment knobs (all optional):
 *   BENCH_STREAM_PARTS=batches,file,stages,window,kafka,kafka-avro   which parts to run
 *   BENCH_STREAM_EVENTS=200000       part 1 (and stages) events per run
 *   BENCH_STREAM_ROUNDS=5            part 1 (and stages) interleaved rounds
 *   BENCH_STREAM_MESSAGES=300000     part 2 messages
 *   BENCH_STREAM_PARTITIONS=3        part 2 partitions
 *   BENCH_STREAM_KAFKA_ROUNDS=3      part 2 interleaved rounds
 *   BENCH_STREAM_WINDOW=1000000      part 3 window length (events)
 *   BENCH_STREAM_REFERENCE=100000    part 3 `first` reference (events)
 */
import { execFileSync, spawn } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { eventText, features } from "./events.js";
import { knob, mib, type RunSummary, rate, ratios, repoRoot, table, workDir } from "./harness.js";
import { benchInProcess, type ModeResult } from "./in-process.js";
import { benchKafka, type KafkaResult } from "./kafka.js";
import { benchStages, type StageCost } from "./stages.js";
import type { WindowMemoryResult } from "./window-memory.js";

const parts = new Set(
  (process.env.BENCH_STREAM_PARTS ?? "batches,file,stages,window,kafka,kafka-avro").split(","),
);
for (const part of parts)
  if (!["batches", "file", "window", "kafka", "kafka-avro", "stages"].includes(part))
    throw new Error(
      `BENCH_STREAM_PARTS: unknown part "${part}"; parts: batches, file, window, kafka, kafka-avro, stages`,
    );

/** Window and reference of parts 1 and 2: small enough that windows close and are evaluated during the run. */
const streamShape = { windowEvents: 10_000, referenceEvents: 10_000 };
const PROCESS_GOAL = 0.7;
const KAFKA_GOAL = 0.8;

const fixed = (x: number, digits = 2) => x.toFixed(digits);
const goal = (ratio: number, target: number) => `goal ≥ ${target}: ${ratio >= target ? "met" : "not met"}`;
const loadNow = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");

function summaryRow(label: string, s: RunSummary): string[] {
  return [
    label,
    rate(s.best),
    rate(s.median),
    rate(s.bestCpu),
    `${fixed(Math.min(...s.runs.map((t) => t.wallMs / 1000)))} s`,
  ];
}

function ratioLine(subject: RunSummary, baseline: RunSummary, target: number): string {
  const r = ratios(subject, baseline);
  return `  pipeline / baseline: best ${fixed(r.best)}, median ${fixed(r.median)}, paired per round ${fixed(r.paired)}, CPU ${fixed(r.cpu)}  (${goal(r.median, target)})`;
}

function printInProcess(results: readonly ModeResult[], events: number, rounds: number): void {
  const bytes = Array.from({ length: 1000 }, (_, i) => eventText(i).length).reduce((a, b) => a + b, 0) / 1000;
  console.log(
    `\n== 1. in-process pipeline: ${events} events of ~${Math.round(bytes)} bytes, ${features.length} features; ` +
      `tumbling window ${streamShape.windowEvents}, first ${streamShape.referenceEvents} as reference ` +
      `(${results[0]?.evaluations} evaluations per run); ${rounds} interleaved rounds`,
  );
  const labels: Record<ModeResult["mode"], [string, string]> = {
    batches: ["batches: JSON.parse loop", "batches: pipeline handler"],
    file: ["file: readline + JSON.parse", "file: Pipeline, file source"],
  };
  const rows = results.flatMap((r) => [
    summaryRow(labels[r.mode][0], r.baseline),
    summaryRow(labels[r.mode][1], r.pipeline),
  ]);
  console.log(table(["events/s", "best", "median", "best per CPU-s", "best time"], rows));
  for (const r of results) {
    console.log(`${r.mode}:`);
    console.log(ratioLine(r.pipeline, r.baseline, PROCESS_GOAL));
  }
}

function printStages(costs: readonly StageCost[], events: number, rounds: number): void {
  console.log(
    `\n== stages: cost per event of each stage added, ${events} in-memory events, ${rounds} interleaved rounds`,
  );
  const parse = costs[0].bestUs;
  const rows = costs.map((c, i) => [
    c.stage,
    fixed(c.bestUs),
    fixed(c.medianUs),
    i === 0 ? "" : `+${fixed(c.bestUs - costs[i - 1].bestUs)}`,
    fixed(parse / c.bestUs),
  ]);
  console.log(table(["stage (cumulative)", "best µs/event", "median", "added", "parse / this"], rows));
}

function printKafka(
  result: KafkaResult,
  messages: number,
  partitions: number,
  rounds: number,
  format: "json" | "avro" = "json",
): void {
  console.log(
    `\n== 2${format === "avro" ? "b" : ""}. end to end from Kafka, ${format === "avro" ? "Avro records" : "JSON"}: ${messages} messages on ${partitions} partitions ` +
      `(produced at ${rate(result.produceRate)}); ${result.evaluations} evaluations per pipeline run; ` +
      `${rounds} interleaved rounds, timed from group join to the last message`,
  );
  console.log(
    table(
      ["events/s", "best", "median", "best per CPU-s", "best time"],
      [
        summaryRow(
          format === "avro" ? "kafkajs eachBatch + avsc fromBuffer" : "kafkajs eachBatch + JSON.parse",
          result.baseline,
        ),
        summaryRow(
          format === "avro" ? "Pipeline, kafka source, format: avro" : "Pipeline, kafka source",
          result.pipeline,
        ),
      ],
    ),
  );
  const joins = (ms: readonly number[]) => ms.map((x) => `${Math.round(x)}`).join(", ");
  console.log(
    `  connect + group join, ms: baseline ${joins(result.baselineJoinMs)}; pipeline ${joins(result.pipelineJoinMs)}`,
  );
  console.log(ratioLine(result.pipeline, result.baseline, KAFKA_GOAL));
}

function printWindow(r: WindowMemoryResult): void {
  const values = (r.windowEvents - 1) * r.numericFeatures;
  const referenceValues = r.referenceEvents * r.numericFeatures;
  const raw = values * 8;
  const heap = r.windowFull.heapUsed - r.withReference.heapUsed;
  const rss = r.windowFull.rss - r.withReference.rss;
  const referenceHeap = r.withReference.heapUsed - r.empty.heapUsed;
  console.log(
    `\n== 3. memory: tumbling window of ${r.windowEvents} events (held one event short of closing), ` +
      `first ${r.referenceEvents} as reference; ${r.numericFeatures} numeric + ${r.categoricalFeatures} categorical features`,
  );
  console.log(
    table(
      ["memory (after a full GC)", "heap used", "RSS", "bytes per numeric value"],
      [
        ["pipeline built, empty", mib(r.empty.heapUsed), mib(r.empty.rss), ""],
        [
          `+ reference (${referenceValues} values)`,
          mib(r.withReference.heapUsed),
          mib(r.withReference.rss),
          fixed(referenceHeap / referenceValues, 1),
        ],
        [
          `+ window (${values} values)`,
          mib(r.windowFull.heapUsed),
          mib(r.windowFull.rss),
          fixed(heap / values, 1),
        ],
        [`raw window: ${values} × 8 bytes`, mib(raw), "", "8.0"],
      ],
    ),
  );
  console.log(
    `  window held: heap +${mib(heap)}, RSS +${mib(rss)} = ${fixed(heap / raw)}× / ${fixed(rss / raw)}× the raw ` +
      `float64 size (categorical counts: ${r.categoricalFeatures} small maps, a few KB)`,
  );
  console.log(
    `  filling the window: ${rate(r.fillRate)} (no evaluation while it fills)\n` +
      `  one checkpoint with the window full: ${fixed(r.checkpoint.ms / 1000)} s, ${mib(r.checkpoint.bytes)} written, ` +
      `peak RSS ${mib(r.checkpoint.peakRss)}\n` +
      `  one evaluation of the full window (KS × ${r.numericFeatures} at ${r.windowEvents} vs ${r.referenceEvents}, ` +
      `chi-square × ${r.categoricalFeatures}): ${fixed(r.evaluation.ms / 1000)} s, peak RSS ${mib(r.evaluation.peakRss)}; ` +
      `drifted: ${r.evaluation.drifted.join(", ") || "none"}\n` +
      `  peak RSS of the whole part: ${mib(r.peakRss)}${r.phasePeaks ? "" : " (lifetime peak; per-phase peaks need Linux)"}`,
  );
}

function runWindowChild(windowEvents: number, referenceEvents: number): Promise<WindowMemoryResult> {
  const script = fileURLToPath(new URL("./window-memory.ts", import.meta.url));
  // The same node flags (tsx's loader, --expose-gc) as this process.
  const child = spawn(
    process.execPath,
    [...process.execArgv, script, String(windowEvents), String(referenceEvents)],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  let out = "";
  child.stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) reject(new Error(`window-memory.ts exited with ${code}`));
      else resolve(JSON.parse(out) as WindowMemoryResult);
    });
  });
}

async function main(): Promise<void> {
  if (typeof (globalThis as { gc?: unknown }).gc !== "function")
    console.warn("warning: run with --expose-gc (npm run bench:stream does) for memory after a full GC");
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
  console.log(
    `== node ${process.version}, ${cpus().length} cores, commit ${commit}, load average ${loadNow()}; scratch: ${workDir}`,
  );
  const results: Record<string, unknown> = {};

  if (parts.has("batches") || parts.has("file")) {
    const events = knob("BENCH_STREAM_EVENTS", 200_000);
    const rounds = knob("BENCH_STREAM_ROUNDS", 5);
    const modes = (["batches", "file"] as const).filter((m) => parts.has(m));
    const r = await benchInProcess({ events, rounds, modes, ...streamShape });
    results.inProcess = r;
    printInProcess(r, events, rounds);
  }
  if (parts.has("stages")) {
    const events = knob("BENCH_STREAM_EVENTS", 200_000);
    const rounds = knob("BENCH_STREAM_ROUNDS", 5);
    const r = await benchStages(events, rounds, streamShape);
    results.stages = r;
    printStages(r, events, rounds);
  }
  if (parts.has("kafka")) {
    const messages = knob("BENCH_STREAM_MESSAGES", 300_000);
    const partitions = knob("BENCH_STREAM_PARTITIONS", 3);
    const rounds = knob("BENCH_STREAM_KAFKA_ROUNDS", 3);
    const r = await benchKafka({ messages, partitions, rounds, ...streamShape });
    const expected = Math.floor((messages - streamShape.referenceEvents) / streamShape.windowEvents);
    if (r.evaluations !== expected)
      throw new Error(`pipeline evaluated ${r.evaluations} windows, expected ${expected}`);
    results.kafka = r;
    printKafka(r, messages, partitions, rounds);
  }
  if (parts.has("kafka-avro")) {
    const messages = knob("BENCH_STREAM_MESSAGES", 300_000);
    const partitions = knob("BENCH_STREAM_PARTITIONS", 3);
    const rounds = knob("BENCH_STREAM_KAFKA_ROUNDS", 3);
    const r = await benchKafka({ messages, partitions, rounds, ...streamShape, format: "avro" });
    const expected = Math.floor((messages - streamShape.referenceEvents) / streamShape.windowEvents);
    if (r.evaluations !== expected)
      throw new Error(`pipeline evaluated ${r.evaluations} windows, expected ${expected}`);
    results.kafkaAvro = r;
    printKafka(r, messages, partitions, rounds, "avro");
    const json = results.kafka as KafkaResult | undefined;
    if (json !== undefined)
      console.log(
        `  Avro pipeline / JSON pipeline, best events/s: ${fixed(r.pipeline.best / json.pipeline.best)} (the same events, the same broker setup)`,
      );
  }
  if (parts.has("window")) {
    const r = await runWindowChild(
      knob("BENCH_STREAM_WINDOW", 1_000_000),
      knob("BENCH_STREAM_REFERENCE", 100_000),
    );
    results.window = r;
    printWindow(r);
  }
  console.log(`\n== load average at the end ${loadNow()}; raw figures in ${join(workDir, "results.json")}`);
  writeFileSync(join(workDir, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
  // Checkpoints of the runs (the 1M-event one is about 80 MB) are of no further use.
  rmSync(join(workDir, "state"), { recursive: true, force: true });
}

await main();
