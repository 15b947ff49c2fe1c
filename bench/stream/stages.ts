/**
 * The `stages` part: where the in-process pipeline's time goes, as the
 * cost per event of adding one stage at a time, built from the daemon's own components over the
 * same in-memory messages. Each stage includes the ones before it:
 *
 * - parse: JSON.parse(buffer.toString()), the baseline of part 1;
 * - validate: `EventDecoder.decode` with the event schema (ajv);
 * - extract: `getAt` for the 20 features into a record, as the pipeline does;
 * - window: `DriftMonitor.add` with a window too long to close (no evaluation);
 * - evaluate: `DriftMonitor.add` with the benchmark's 10 000-event windows;
 * - pipeline: the pipeline's batch handler (adds batching, positions and metrics).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { compilePointer, getAt } from "../../src/decode/pointer.js";
import { EventDecoder } from "../../src/decode/validate.js";
import { DriftMonitor } from "../../src/drift/monitor.js";
import type { SourceRecord } from "../../src/sources/source.js";
import { eventSchema, eventText, features } from "./events.js";
import {
  batchHandler,
  collectGarbage,
  createPipeline,
  emptyFile,
  freshStateDir,
  type MonitorShape,
  median,
  workDir,
  writeConfig,
} from "./harness.js";

/** Cost of one stage: best and median µs per event over the rounds. */
export interface StageCost {
  readonly stage: string;
  readonly bestUs: number;
  readonly medianUs: number;
}

/** Measures every stage `rounds` times over `events` messages, the stages interleaved in each round. */
export async function benchStages(events: number, rounds: number, shape: MonitorShape): Promise<StageCost[]> {
  const buffers = Array.from({ length: events }, (_, i) => Buffer.from(eventText(i)));
  const batches: SourceRecord[][] = [];
  for (let i = 0; i < events; i += 500)
    batches.push(
      buffers.slice(i, i + 500).map((value, j) => ({ value, position: { key: "bench/0", offset: i + j } })),
    );
  const schemaPath = join(workDir, "event.schema.json");
  writeFileSync(schemaPath, JSON.stringify(eventSchema));
  const decoder = new EventDecoder(schemaPath);
  const pointers = features.map((f) => ({ name: f.name, pointer: compilePointer(f.path) }));
  const kinds = Object.fromEntries(features.map((f) => [f.name, f.type]));
  const monitor = (windowEvents: number) =>
    new DriftMonitor(
      "stages",
      {
        type: "drift",
        features: features.map((f) => f.name),
        reference: { type: "first", events: shape.referenceEvents },
        window: { type: "tumbling", events: windowEvents },
      },
      kinds,
      null,
    );
  const extract = (event: Record<string, unknown>): Record<string, unknown> => {
    const values: Record<string, unknown> = {};
    for (const f of pointers) values[f.name] = getAt(event, f.pointer);
    return values;
  };
  const loaded = writeConfig("stages", { type: "file", path: emptyFile("empty.jsonl") }, shape);

  let sink = 0;
  // Each stage is a factory: what it builds (a monitor, a pipeline) is not timed, its loop is.
  const stages: [string, () => Promise<() => Promise<void>>][] = [
    [
      "parse",
      async () => async () => {
        for (const b of buffers) if (JSON.parse(b.toString("utf8")) !== null) sink++;
      },
    ],
    [
      "+ validate",
      async () => async () => {
        for (const b of buffers) if (decoder.decode(b).ok) sink++;
      },
    ],
    [
      "+ extract",
      async () => async () => {
        for (const b of buffers) {
          const d = decoder.decode(b);
          if (d.ok && extract(d.event) !== null) sink++;
        }
      },
    ],
    [
      "+ window",
      async () => {
        const m = monitor(Number.MAX_SAFE_INTEGER);
        return async () => {
          for (const b of buffers) {
            const d = decoder.decode(b);
            if (d.ok) sink += m.add(extract(d.event), 0, null).length;
          }
        };
      },
    ],
    [
      "+ evaluate",
      async () => {
        const m = monitor(shape.windowEvents);
        return async () => {
          for (const b of buffers) {
            const d = decoder.decode(b);
            if (d.ok) sink += m.add(extract(d.event), 0, null).length;
          }
        };
      },
    ],
    [
      "pipeline handler",
      async () => {
        const handle = batchHandler(await createPipeline(loaded, freshStateDir("stages")));
        return async () => {
          for (const batch of batches) sink += (await handle(batch)).accepted;
        };
      },
    ],
  ];
  const times = new Map<string, number[]>();
  for (let round = 0; round < rounds; round++) {
    for (const [stage, prepare] of stages) {
      const run = await prepare();
      collectGarbage();
      const started = performance.now();
      await run();
      const us = ((performance.now() - started) * 1000) / events;
      times.set(stage, [...(times.get(stage) ?? []), us]);
    }
  }
  if (sink === 0) throw new Error("no stage did anything");
  return stages.map(([stage]) => {
    const us = times.get(stage) ?? [];
    return { stage, bestUs: Math.min(...us), medianUs: median(us) };
  });
}
