/**
 * Part 3, run in a process of its own (so that earlier parts leave nothing on its heap and its
 * peak RSS is its own): the pipeline fills a `first` reference, then a tumbling window one event
 * short of closing; memory is read with the window full; one checkpoint is written (the daemon
 * writes one every `checkpoint_interval_secs`, 5 s by default); then the closing event is sent and
 * that batch, which is one evaluation of the whole window, is timed.
 *
 * Events are made batch by batch and dropped after use, so held memory is the pipeline's.
 * Prints one JSON object (`WindowMemoryResult`) on stdout.
 *
 *   npx tsx --expose-gc bench/stream/window-memory.ts [windowEvents] [referenceEvents]
 */
import type { DriftResult } from "../../src/drift/monitor.js";
import { eventText, features } from "./events.js";
import {
  acceptedEvents,
  batchHandler,
  createPipeline,
  emptyFile,
  freshStateDir,
  type MemoryReading,
  memoryNow,
  peakRss,
  resetPeakRss,
  startClock,
  writeConfig,
} from "./harness.js";

const BATCH = 500;

/** What the child reports. */
export interface WindowMemoryResult {
  readonly windowEvents: number;
  readonly referenceEvents: number;
  readonly numericFeatures: number;
  readonly categoricalFeatures: number;
  /** Memory after building the pipeline, after the reference, and with the window one event short of full. */
  readonly empty: MemoryReading;
  readonly withReference: MemoryReading;
  readonly windowFull: MemoryReading;
  /** Events per second while filling the window (no evaluation happens then). */
  readonly fillRate: number;
  readonly checkpoint: { readonly ms: number; readonly bytes: number; readonly peakRss: number };
  readonly evaluation: {
    readonly ms: number;
    readonly peakRss: number;
    readonly drifted: readonly string[];
    readonly pValues: Readonly<Record<string, number | null>>;
  };
  /** Peak RSS of the whole process, and whether the phase peaks could be separated. */
  readonly peakRss: number;
  readonly phasePeaks: boolean;
}

async function main(): Promise<void> {
  const windowEvents = Number(process.argv[2] ?? 1_000_000);
  const referenceEvents = Number(process.argv[3] ?? 100_000);
  const loaded = writeConfig(
    "window-memory",
    { type: "file", path: emptyFile("empty.jsonl") },
    { windowEvents, referenceEvents },
  );
  const results: DriftResult[] = [];
  const pipeline = await createPipeline(loaded, freshStateDir("window-memory"), {
    onResult: (result) => results.push(result),
  });
  const handle = batchHandler(pipeline);
  let next = 0;
  const feed = async (count: number): Promise<void> => {
    const end = next + count;
    while (next < end) {
      const n = Math.min(BATCH, end - next);
      const records = Array.from({ length: n }, (_, j) => ({
        value: Buffer.from(eventText(next + j)),
        position: { key: "bench/0", offset: next + j },
      }));
      next += n;
      await handle(records);
    }
  };

  const empty = memoryNow();
  await feed(referenceEvents);
  const withReference = memoryNow();
  const fillClock = startClock();
  await feed(windowEvents - 1);
  const fillMs = fillClock().wallMs;
  const windowFull = memoryNow();
  const early = results.length;
  if (early !== 0) throw new Error(`a window closed early (${early} evaluations)`);

  let peak = peakRss();
  const phasePeaks = resetPeakRss();
  const checkpointClock = startClock();
  await pipeline.checkpoint();
  const checkpointMs = checkpointClock().wallMs;
  const checkpointPeak = peakRss();
  const bytes = (await pipeline.metrics.checkpointBytes.get()).values[0]?.value ?? 0;

  peak = Math.max(peak, checkpointPeak);
  memoryNow();
  resetPeakRss();
  const evaluationClock = startClock();
  await feed(1);
  const evaluationMs = evaluationClock().wallMs;
  const evaluationPeak = peakRss();
  peak = Math.max(peak, evaluationPeak);

  const total = await acceptedEvents(pipeline);
  if (total !== referenceEvents + windowEvents) throw new Error(`accepted ${total} events`);
  if (results.length !== 1 || results[0].window.events !== windowEvents)
    throw new Error(`expected one evaluation of ${windowEvents} events, got ${results.length}`);
  const columns = results[0].evaluation.columns;
  const result: WindowMemoryResult = {
    windowEvents,
    referenceEvents,
    numericFeatures: features.filter((f) => f.type === "numeric").length,
    categoricalFeatures: features.filter((f) => f.type === "categorical").length,
    empty,
    withReference,
    windowFull,
    fillRate: (windowEvents - 1) / (fillMs / 1000),
    checkpoint: { ms: checkpointMs, bytes, peakRss: checkpointPeak },
    evaluation: {
      ms: evaluationMs,
      peakRss: evaluationPeak,
      drifted: columns.filter((c) => c.drift).map((c) => c.name),
      pValues: Object.fromEntries(columns.map((c) => [c.name, c.p_value])),
    },
    peakRss: phasePeaks ? peak : peakRss(),
    phasePeaks,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

await main();
