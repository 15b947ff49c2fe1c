/**
 * Part 1: the daemon's per-event work (decode, validate, extract 20 features, window, evaluate)
 * against a loop that only runs JSON.parse over the same messages, in the same process, the two
 * interleaved round by round. Two ways of feeding:
 *
 * - `batches`: pre-made Buffers in batches of 500, handed to the pipeline's batch handler (what its
 *   sources call), against JSON.parse(buffer.toString()) over the same batches. No I/O on either
 *   side: this is the cost of the pipeline itself.
 * - `file`: the real `Pipeline` with a file source over a JSON Lines file, `start()` to
 *   `finished()`, against the same file read the way the file source reads it (readline, one
 *   record per line, batches of 500) and JSON.parse on each line. Equal I/O on both sides.
 */
import { createReadStream, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { BatchOutcome, SourceRecord } from "../../src/sources/source.js";
import { eventText } from "./events.js";
import {
  acceptedEvents,
  batchHandler,
  collectGarbage,
  createPipeline,
  freshStateDir,
  type MonitorShape,
  type RunSummary,
  startClock,
  summarise,
  type Timing,
  workDir,
  writeConfig,
} from "./harness.js";

/** The file source's batch size, used for the in-memory batches too. */
const BATCH = 500;

/** Options of part 1. */
export interface InProcessOptions extends MonitorShape {
  readonly events: number;
  readonly rounds: number;
  readonly modes: readonly ("batches" | "file")[];
}

/** Summaries of one feeding mode. */
export interface ModeResult {
  readonly mode: "batches" | "file";
  readonly baseline: RunSummary;
  readonly pipeline: RunSummary;
  /** Windows evaluated per pipeline run. */
  readonly evaluations: number;
}

type Handler = (records: readonly SourceRecord[]) => Promise<BatchOutcome | undefined>;

/** The baseline's handler: JSON.parse only, counting what it parsed so nothing is optimised away. */
function parseOnly(): { handler: Handler; parsed: () => number } {
  let parsed = 0;
  return {
    handler: async (records) => {
      for (const record of records) {
        const value = record.value;
        if (JSON.parse(typeof value === "string" ? value : value.toString("utf8")) !== null) parsed++;
      }
      return { accepted: records.length, rejected: 0 };
    },
    parsed: () => parsed,
  };
}

/** Replays a JSON Lines file into a handler exactly as `FileSource` does (readline, batches of 500). */
async function replayFile(path: string, handler: Handler): Promise<void> {
  const stream = createReadStream(path);
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  let line = 0;
  let batch: SourceRecord[] = [];
  for await (const text of lines) {
    const offset = line++;
    if (text.trim() === "") continue;
    batch.push({ value: text, position: { key: "line", offset } });
    if (batch.length >= BATCH) {
      await handler(batch);
      batch = [];
    }
  }
  if (batch.length > 0) await handler(batch);
  stream.destroy();
}

function check(what: string, got: number, want: number): void {
  if (got !== want) throw new Error(`${what}: got ${got}, expected ${want}`);
}

/** Runs part 1 and returns a summary per feeding mode. */
export async function benchInProcess(options: InProcessOptions): Promise<ModeResult[]> {
  const { events, rounds } = options;
  const evaluations = Math.floor(Math.max(0, events - options.referenceEvents) / options.windowEvents);

  // The messages, made once: Buffers for the batches, a file for the file source.
  const texts = Array.from({ length: events }, (_, i) => eventText(i));
  const batches: SourceRecord[][] = [];
  for (let i = 0; i < events; i += BATCH) {
    batches.push(
      texts
        .slice(i, i + BATCH)
        .map((text, j) => ({ value: Buffer.from(text), position: { key: "bench/0", offset: i + j } })),
    );
  }
  mkdirSync(workDir, { recursive: true });
  const file = join(workDir, `events-${events}.jsonl`);
  writeFileSync(file, `${texts.join("\n")}\n`);
  texts.length = 0;

  const results: ModeResult[] = [];
  for (const mode of options.modes) {
    const loaded = writeConfig(`in-process-${mode}`, { type: "file", path: file }, options);
    const baselineRuns: Timing[] = [];
    const pipelineRuns: Timing[] = [];

    const runBaseline = async (): Promise<void> => {
      const { handler, parsed } = parseOnly();
      collectGarbage();
      const stop = startClock();
      if (mode === "batches") for (const batch of batches) await handler(batch);
      else await replayFile(file, handler);
      baselineRuns.push(stop());
      check("baseline parsed", parsed(), events);
    };

    const runPipeline = async (round: number): Promise<void> => {
      let evaluated = 0;
      const pipeline = await createPipeline(loaded, freshStateDir(`in-process-${mode}-${round}`), {
        onResult: () => {
          evaluated++;
        },
      });
      collectGarbage();
      if (mode === "batches") {
        const handler = batchHandler(pipeline);
        const stop = startClock();
        for (const batch of batches) await handler(batch);
        pipelineRuns.push(stop());
      } else {
        const stop = startClock();
        await pipeline.start();
        await pipeline.finished();
        pipelineRuns.push(stop());
        await pipeline.stop();
      }
      check(`pipeline (${mode}) events accepted`, await acceptedEvents(pipeline), events);
      check(`pipeline (${mode}) windows evaluated`, evaluated, evaluations);
    };

    // Alternate which side goes first, so that neither always runs on a warmer (or colder) process.
    for (let round = 0; round < rounds; round++) {
      if (round % 2 === 0) {
        await runBaseline();
        await runPipeline(round);
      } else {
        await runPipeline(round);
        await runBaseline();
      }
    }
    results.push({
      mode,
      baseline: summarise(baselineRuns, events),
      pipeline: summarise(pipelineRuns, events),
      evaluations,
    });
  }
  rmSync(file, { force: true });
  return results;
}
