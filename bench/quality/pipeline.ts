/**
 * Part 2 of `npm run bench:quality`: the in-process pipeline's throughput with a performance
 * monitor and an outlier monitor added to a drift monitor, against the drift monitor alone, on the
 * same events (bench/quality/labelled-events.ts), in the same process, round by round.
 *
 * As in bench/stream's `batches` mode, pre-made Buffers in batches of 500 go straight to the
 * pipeline's batch handler (what its sources call): decode, validate, extract, monitors, publish.
 * Every run builds a new `Pipeline` (fresh state dir) before its timer starts; `start()` is not
 * called, so no checkpoint or tick timer runs. Four configurations share the source, the schema
 * and the drift monitor of bench/stream (20 features, KS and chi-square, tumbling 10 000, `first`
 * 10 000); the order in which they run rotates every round:
 *
 * - `drift`: the drift monitor alone, the baseline;
 * - `+performance`: plus a classification performance monitor that reads predictions and labels
 *   from the same source (ids, `model.label`, `model.score`; labels from `feedback`), tumbling
 *   windows of 10 000 joined pairs, two slices, and ADWIN, DDM and Page-Hinkley on the error
 *   stream, as in drift/churn/driftwatch.yaml;
 * - `+outliers`: plus an outlier monitor over the 16 numeric features with the default scorers
 *   (robust_z and isolation_forest), a `first` reference of 10 000, tumbling windows of 10 000,
 *   and the event id kept for the most extreme events;
 * - `+both`: the drift, performance and outlier monitors together: the goal's configuration.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type LoadedConfig, loadConfig } from "../../src/config/load.js";
import type { Config, MonitorConfig } from "../../src/config/types.js";
import { Pipeline } from "../../src/pipeline.js";
import type { SourceRecord } from "../../src/sources/source.js";
import { features } from "../stream/events.js";
import {
  acceptedEvents,
  batchHandler,
  collectGarbage,
  quietLog,
  type RunSummary,
  startClock,
  summarise,
  type Timing,
} from "../stream/harness.js";
import { labelledEventSchema, labelledEvents } from "./labelled-events.js";

/** The file source's batch size, as in bench/stream. */
const BATCH = 500;
/** Windows and references of every monitor, in events (pairs for the performance monitor). */
const WINDOW = 10_000;
const REFERENCE = 10_000;

/** The configurations compared; the first is the baseline. */
export const VARIANTS = ["drift", "+performance", "+outliers", "+both"] as const;
export type Variant = (typeof VARIANTS)[number];

/** Options of part 2. */
export interface PipelineBenchOptions {
  readonly events: number;
  readonly rounds: number;
  readonly variants: readonly Variant[];
  /** Scratch space (configs, schema, state dirs). */
  readonly dir: string;
}

/** What one configuration did, per run and summarised. */
export interface VariantResult {
  readonly variant: Variant;
  readonly summary: RunSummary;
  /** Closed windows per run: drift evaluations, outlier windows, performance windows. */
  readonly windows: { readonly drift: number; readonly outliers: number; readonly performance: number };
}

const numeric = features.filter((f) => f.type === "numeric").map((f) => f.name);

function monitorsOf(variant: Variant): Record<string, MonitorConfig> {
  const monitors: Record<string, MonitorConfig> = {
    drift: {
      type: "drift",
      features: features.map((f) => f.name),
      reference: { type: "first", events: REFERENCE },
      window: { type: "tumbling", events: WINDOW },
    },
  };
  if (variant === "+performance" || variant === "+both") {
    monitors.performance = {
      type: "performance",
      task: "classification",
      predictions: { source: "bench", id: "/event_id", label: "/model/label", score: "/model/score" },
      labels: { source: "bench", id: "/feedback/event_id", label: "/feedback/label" },
      window: { type: "tumbling", events: WINDOW },
      slices: {
        premium: { feature: "segment", in: ["premium"] },
        mobile: { feature: "device", in: ["android", "ios"] },
      },
      detectors: [{ type: "adwin" }, { type: "ddm" }, { type: "page_hinkley" }],
      positive: "1",
    };
  }
  if (variant === "+outliers" || variant === "+both") {
    monitors.outliers = {
      type: "outliers",
      features: numeric,
      reference: { type: "first", events: REFERENCE },
      window: { type: "tumbling", events: WINDOW },
      id: "/event_id",
    };
  }
  return monitors;
}

/** Writes and loads (with the daemon's own loader) the config of one variant. */
function writeConfig(dir: string, variant: Variant, schemaPath: string): LoadedConfig {
  const config: Config = {
    sources: { bench: { type: "file", path: join(dir, "unused.jsonl"), schema: schemaPath } },
    features: Object.fromEntries(
      features.map((f) => [f.name, { source: "bench", path: f.path, type: f.type }]),
    ),
    monitors: monitorsOf(variant),
  };
  const file = join(dir, `pipeline-${variant.replace("+", "plus-")}.yaml`);
  // JSON is YAML, and loadConfig reads YAML.
  writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
  return loadConfig(file);
}

function check(what: string, got: number, want: number): void {
  if (got !== want) throw new Error(`${what}: got ${got}, expected ${want}`);
}

/** Runs part 2 and returns one summary per configuration, in `options.variants` order. */
export async function benchPipeline(
  options: PipelineBenchOptions,
): Promise<{ results: VariantResult[]; pairs: number; bytes: number }> {
  const { events, rounds, dir } = options;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "unused.jsonl"), "");
  const schemaPath = join(dir, "labelled-event.schema.json");
  writeFileSync(schemaPath, `${JSON.stringify(labelledEventSchema, null, 2)}\n`);

  const { texts, pairs } = labelledEvents(events);
  const bytes = texts.reduce((sum, t) => sum + t.length, 0) / texts.length;
  const batches: SourceRecord[][] = [];
  for (let i = 0; i < events; i += BATCH) {
    batches.push(
      texts
        .slice(i, i + BATCH)
        .map((text, j) => ({ value: Buffer.from(text), position: { key: "bench/0", offset: i + j } })),
    );
  }
  texts.length = 0;

  const expected = {
    drift: Math.floor((events - REFERENCE) / WINDOW),
    outliers: Math.floor((events - REFERENCE) / WINDOW),
    performance: Math.floor(pairs / WINDOW),
  };
  const loaded = new Map(options.variants.map((v) => [v, writeConfig(dir, v, schemaPath)]));
  const runs = new Map<Variant, Timing[]>(options.variants.map((v) => [v, []]));

  const runOnce = async (variant: Variant, round: number): Promise<void> => {
    const windows = { drift: 0, outliers: 0, performance: 0 };
    const stateDir = join(dir, "state", `${variant.replace("+", "plus-")}-${round}`);
    rmSync(stateDir, { recursive: true, force: true });
    const pipeline = await Pipeline.create(loaded.get(variant) as LoadedConfig, {
      log: quietLog,
      metricsListen: null,
      stateDir,
      onResult: ({ kind, result }) => {
        if (kind.type === "drift") windows.drift++;
        else if (kind.type === "outliers") windows.outliers++;
        // Closed windows only: detections that fire come as results of their own.
        else if (kind.type === "performance" && "window" in (result as object)) windows.performance++;
      },
    });
    const handler = batchHandler(pipeline);
    collectGarbage();
    const stop = startClock();
    for (const batch of batches) await handler(batch);
    // Inside the clock: the outlier monitor's last blocks, scored on its worker thread, applied.
    pipeline.settle();
    (runs.get(variant) as Timing[]).push(stop());
    check(`${variant}: events accepted`, await acceptedEvents(pipeline), events);
    check(`${variant}: drift windows`, windows.drift, expected.drift);
    const outliers = variant === "+outliers" || variant === "+both";
    const performance = variant === "+performance" || variant === "+both";
    check(`${variant}: outlier windows`, windows.outliers, outliers ? expected.outliers : 0);
    check(`${variant}: performance windows`, windows.performance, performance ? expected.performance : 0);
  };

  // Rotate the order every round, so that no configuration always runs first (or last).
  for (let round = 0; round < rounds; round++) {
    const n = options.variants.length;
    for (let k = 0; k < n; k++) await runOnce(options.variants[(round + k) % n], round);
  }
  rmSync(join(dir, "state"), { recursive: true, force: true });

  const results = options.variants.map((variant): VariantResult => {
    const outliers = variant === "+outliers" || variant === "+both";
    const performance = variant === "+performance" || variant === "+both";
    return {
      variant,
      summary: summarise(runs.get(variant) as Timing[], events),
      windows: {
        drift: expected.drift,
        outliers: outliers ? expected.outliers : 0,
        performance: performance ? expected.performance : 0,
      },
    };
  });
  return { results, pairs, bytes };
}
