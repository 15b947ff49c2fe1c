/**
 * `npm run bench:stall`: how long `/metrics` keeps a scraper waiting while the daemon evaluates and
 * checkpoints a large window.
 *
 * The pipeline runs as the daemon builds it (its metrics server on 127.0.0.1, its checkpoint timer
 * every 5 s) with `bench:stream`'s 20-feature drift monitor, a `first` reference and a tumbling
 * window of BENCH_STALL_WINDOW events (default 1 000 000). Batches of 500 go to its batch handler
 * with a turn of the event loop between them, as a source's I/O gives; 2 windows and a tenth are
 * fed, so one window is evaluated and several checkpoints hold a full window. A child process scrapes
 * `/metrics` every 50 ms for the whole run and reports each scrape's latency; the run prints the
 * worst, the 99th percentile, and the longest stall of the event loop seen in process
 * (`monitorEventLoopDelay`), with the evaluation's and the checkpoints' own durations.
 */
import { fork } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { Pipeline } from "../../src/pipeline.js";
import type { SourceRecord } from "../../src/sources/source.js";
import { eventText } from "../stream/events.js";
import {
  batchHandler,
  emptyFile,
  freshStateDir,
  knob,
  quietLog,
  workDir,
  writeConfig,
} from "../stream/harness.js";

const WINDOW = knob("BENCH_STALL_WINDOW", 1_000_000);
const BATCH = 500;
const EVENTS = Math.round(2.1 * WINDOW);

/** The scraper: GET /metrics every 50 ms, one latency per scrape, sent back when told to stop. */
const SCRAPER = `
const http = require("node:http");
const port = Number(process.argv[2]);
const latencies = [];
let stopped = false;
function scrape() {
  if (stopped) return;
  const start = performance.now();
  http.get({ host: "127.0.0.1", port, path: "/metrics" }, (res) => {
    res.resume();
    res.on("end", () => { latencies.push(performance.now() - start); setTimeout(scrape, 50); });
  }).on("error", () => setTimeout(scrape, 50));
}
process.on("message", () => { stopped = true; process.send(latencies, () => process.exit(0)); });
scrape();
`;

async function main(): Promise<void> {
  console.log(
    `== node ${process.version}, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}; window ${WINDOW} events, ${EVENTS} events in batches of ${BATCH}`,
  );
  const loaded = writeConfig(
    "stall",
    { type: "file", path: emptyFile("stall.jsonl") },
    {
      windowEvents: WINDOW,
      referenceEvents: WINDOW,
    },
  );
  const pipeline = await Pipeline.create(loaded, {
    log: quietLog,
    metricsListen: "127.0.0.1:0",
    stateDir: freshStateDir("stall"),
  });
  await pipeline.start();
  const handler = batchHandler(pipeline);
  mkdirSync(workDir, { recursive: true });
  const scraperFile = join(workDir, "scraper.cjs");
  writeFileSync(scraperFile, SCRAPER);
  const scraper = fork(scraperFile, [String(pipeline.metricsPort)], { stdio: "inherit" });
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const started = performance.now();
  for (let from = 0; from < EVENTS; from += BATCH) {
    const records: SourceRecord[] = [];
    for (let i = from; i < Math.min(from + BATCH, EVENTS); i++)
      records.push({ value: Buffer.from(eventText(i)) });
    await handler(records);
    // A turn of the event loop, as a source's read gives: the metrics server answers here.
    await new Promise((resolve) => setImmediate(resolve));
  }
  const fedMs = performance.now() - started;
  loop.disable();
  const latencies = await new Promise<number[]>((resolve) => {
    scraper.once("message", (m) => resolve(m as number[]));
    scraper.send("stop");
  });
  const evaluation = (await pipeline.metrics.evaluationDuration.get()).values.find((v) =>
    (v as { metricName?: string }).metricName?.endsWith("_sum"),
  );
  // One more checkpoint, timed: the reference and a tenth of a window in it.
  const checkpointStart = performance.now();
  await pipeline.checkpoint();
  const checkpointMs = performance.now() - checkpointStart;
  const checkpointBytes = (await pipeline.metrics.checkpointBytes.get()).values[0]?.value ?? 0;
  await pipeline.stop();
  latencies.sort((a, b) => a - b);
  const at = (q: number): number =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  console.log(`fed ${EVENTS} events in ${(fedMs / 1000).toFixed(1)} s`);
  console.log(
    `scrapes: ${latencies.length}, median ${at(0.5).toFixed(1)} ms, p99 ${at(0.99).toFixed(1)} ms, worst ${latencies[latencies.length - 1].toFixed(1)} ms`,
  );
  console.log(
    `event loop: longest stall ${(loop.max / 1e6).toFixed(1)} ms, p99 ${(loop.percentile(99) / 1e6).toFixed(1)} ms`,
  );
  console.log(
    `window evaluation: ${evaluation ? (evaluation.value * 1000).toFixed(0) : "?"} ms in all; a checkpoint of ${(checkpointBytes / 2 ** 20).toFixed(1)} MiB took ${checkpointMs.toFixed(0)} ms`,
  );
  console.log(
    `== load average at the end ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
}

await main();
