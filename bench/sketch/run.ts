/**
 * `npm run bench:sketch`: what `mode: sketch` on a drift monitor costs and saves against exact
 * mode, measured in one run (figures in README, "Sketch mode: memory that does not grow with the
 * window").
 *
 * 1. State size: bytes of JSON state per numeric feature, exact (every value) vs sketch (KLL),
 *    after 10k, 100k and 1M values.
 * 2. Accuracy: the same rows through a drift monitor in exact and in sketch mode (KS, alpha 0.05,
 *    no correction): max and p99 of |D_sketch − D_exact| over every (window, numeric feature),
 *    the largest stated bound, and the share of (window, feature) verdicts that agree (goal ≥ 99 %).
 *    Replays: Seattle weather's four numeric columns (vega-datasets, 1461 days, replayed 20 times
 *    over), flights delays and distances (vega-datasets flights-200k), and a synthetic stream whose
 *    mean drifts by small steps, each at several window sizes.
 * 3. Speed: values per second of window updates (`updateFeatureState`), exact vs sketch.
 *
 * Environment knobs (all optional):
 *   BENCH_SKETCH_K=200               KLL k
 *   BENCH_SKETCH_SYNTHETIC=2000000   values of the synthetic stream
 *   BENCH_SKETCH_PARTS=size,accuracy,speed
 */
import { readFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import type { DriftMonitorConfig } from "../../src/config/types.js";
import { DriftMonitor, type DriftResult } from "../../src/drift/monitor.js";
import { seededRandom } from "../../src/stats/prng.js";
import { emptyFeatureState, type FeatureSpec, updateFeatureState } from "../../src/windows/feature-state.js";
import { knob, list, repoRoot, table } from "../stream/harness.js";

const K = knob("BENCH_SKETCH_K", 200);
const SYNTHETIC = knob("BENCH_SKETCH_SYNTHETIC", 2_000_000);
const PARTS = list("BENCH_SKETCH_PARTS", ["size", "accuracy", "speed"], ["size", "accuracy", "speed"]);
const VERDICT_GOAL = 0.99;
const data = join(repoRoot, "node_modules", "vega-datasets", "data");

const loadNow = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");
const kib = (bytes: number) =>
  bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;

/** Normal deviates by Box–Muller from the seeded generator. */
function normals(seed: number): () => number {
  const random = seededRandom(seed);
  return () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

function sizes(): void {
  console.log(`\n== 1. state per numeric feature (JSON bytes), normal doubles, k ${K}`);
  const normal = normals(1);
  const rows: string[][] = [];
  for (const n of [10_000, 100_000, 1_000_000]) {
    const exact = emptyFeatureState("numeric");
    const sketch = emptyFeatureState({ kind: "sketch", k: K, seed: 0 });
    for (let i = 0; i < n; i++) {
      const x = normal() * 10 + 50;
      updateFeatureState(exact, x);
      updateFeatureState(sketch, x);
    }
    const e = Buffer.byteLength(JSON.stringify(exact));
    const s = Buffer.byteLength(JSON.stringify(sketch));
    rows.push([n.toLocaleString("en"), kib(e), kib(s), `${(e / s).toFixed(0)}×`]);
  }
  console.log(table(["values", "exact", "sketch", "ratio"], rows));
}

interface Replay {
  readonly name: string;
  readonly features: readonly string[];
  readonly rows: readonly Record<string, unknown>[];
  readonly windows: readonly number[];
  /** Reference size for a window size. */
  readonly reference: (window: number) => number;
}

function seattle(): Replay {
  const lines = readFileSync(join(data, "seattle-weather.csv"), "utf8").trim().split("\n").slice(1);
  const once = lines.map((line) => {
    const [, precipitation, temp_max, temp_min, wind] = line.split(",");
    return { precipitation: +precipitation, temp_max: +temp_max, temp_min: +temp_min, wind: +wind };
  });
  // Twenty replays of the four years, in order: seasons drift within each, windows span them.
  const rows = Array.from({ length: 20 }, () => once).flat();
  return {
    name: "seattle-weather ×20",
    features: ["temp_max", "temp_min", "precipitation", "wind"],
    rows,
    // The reference is one whole cycle (2012–2015); windows are seasons, years, or span cycles.
    windows: [91, 365, 1000, 3000],
    reference: () => 1461,
  };
}

function flights(): Replay {
  const rows = JSON.parse(readFileSync(join(data, "flights-200k.json"), "utf8")) as Record<string, unknown>[];
  return {
    name: "flights-200k",
    features: ["delay", "distance"],
    rows,
    windows: [2000, 10_000, 50_000],
    reference: (w) => w,
  };
}

/**
 * A normal and a log-normal feature whose location moves by a step every 50k values. `stress`
 * takes steps of 0.005 to 0.05 standard deviations, which put most large windows right at KS's
 * significance threshold (D of a few thousandths), below what a sketch's rank error can resolve.
 */
function synthetic(stress: boolean): Replay {
  const normal = normals(stress ? 7 : 8);
  const steps = stress ? [0, 0, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1] : [0, 0, 0.1, 0, 0.25, 0, 0.5, 1];
  const rows: Record<string, unknown>[] = [];
  for (let i = 0; i < SYNTHETIC; i++) {
    // The mean moves by a step every 50k values: a slow drift with many near-threshold windows.
    const shift = steps[Math.floor(i / 50_000) % steps.length];
    rows.push({ x: normal() + shift, y: Math.exp(normal() * 0.5 + shift) });
  }
  const name = `synthetic ${stress ? "near-threshold" : "drift"} (${(SYNTHETIC / 1e6).toFixed(1)}M)`;
  return { name, features: ["x", "y"], rows, windows: [10_000, 100_000, 500_000], reference: () => 100_000 };
}

interface Accuracy {
  readonly compared: number;
  readonly same: number;
  readonly maxError: number;
  readonly p99Error: number;
  readonly maxBound: number;
  readonly exactSecs: number;
  readonly sketchSecs: number;
}

function compare(replay: Replay, window: number): Accuracy {
  const kinds = Object.fromEntries(replay.features.map((f) => [f, "numeric" as const]));
  const config = (mode: "exact" | "sketch"): DriftMonitorConfig => ({
    type: "drift",
    features: [...replay.features],
    reference: { type: "first", events: replay.reference(window) },
    window: { type: "tumbling", events: window },
    mode,
    sketch: { k: K },
  });
  const run = (mode: "exact" | "sketch") => {
    const started = performance.now();
    const m = new DriftMonitor("bench", config(mode), kinds, null);
    const results: DriftResult[] = [];
    for (const row of replay.rows) for (const r of m.add(row, 0, null)) results.push(r);
    return { results, secs: (performance.now() - started) / 1000 };
  };
  const exact = run("exact");
  const sketch = run("sketch");
  const errors: number[] = [];
  let same = 0;
  let maxBound = 0;
  for (const [w, e] of exact.results.entries()) {
    for (const [c, ce] of e.evaluation.columns.entries()) {
      const cs = sketch.results[w].evaluation.columns[c];
      errors.push(Math.abs(cs.statistic - ce.statistic));
      if (cs.drift === ce.drift) same++;
      maxBound = Math.max(maxBound, (cs.details.d_error_bound as number | undefined) ?? 0);
    }
  }
  errors.sort((a, b) => a - b);
  return {
    compared: errors.length,
    same,
    maxError: errors[errors.length - 1] ?? 0,
    p99Error: errors[Math.min(errors.length - 1, Math.floor(errors.length * 0.99))] ?? 0,
    maxBound,
    exactSecs: exact.secs,
    sketchSecs: sketch.secs,
  };
}

function accuracy(): boolean {
  console.log(
    `\n== 2. accuracy: KS (alpha 0.05, no correction) exact vs sketch mode, k ${K}, first-N reference`,
  );
  const rows: string[][] = [];
  // Verdicts compared and agreeing, per group of replays.
  const groups = { real: [0, 0], "synthetic drift": [0, 0], "near-threshold stress": [0, 0] };
  for (const [group, make] of [
    ["real", seattle],
    ["real", flights],
    ["synthetic drift", () => synthetic(false)],
    ["near-threshold stress", () => synthetic(true)],
  ] as const) {
    const replay = make();
    for (const window of replay.windows) {
      const a = compare(replay, window);
      groups[group][0] += a.compared;
      groups[group][1] += a.same;
      rows.push([
        replay.name,
        window.toLocaleString("en"),
        String(a.compared),
        a.maxError.toFixed(4),
        a.p99Error.toFixed(4),
        a.maxBound.toFixed(4),
        `${((100 * a.same) / a.compared).toFixed(1)} %`,
        `${(replay.rows.length / a.exactSecs / 1e3).toFixed(0)}k/s`,
        `${(replay.rows.length / a.sketchSecs / 1e3).toFixed(0)}k/s`,
      ]);
    }
  }
  console.log(
    table(
      [
        "replay",
        "window",
        "window×feature",
        "max |ΔD|",
        "p99 |ΔD|",
        "max bound",
        "same verdict",
        "exact ev/s",
        "sketch ev/s",
      ],
      rows,
    ),
  );
  const share = ([compared, same]: number[]) =>
    `${same}/${compared} = ${((100 * same) / compared).toFixed(2)} %`;
  const met = ([compared, same]: number[]) => (same / compared >= VERDICT_GOAL ? "met" : "not met");
  const both = [0, 1].map((i) => groups.real[i] + groups["synthetic drift"][i]);
  console.log(
    `same verdict, real replays: ${share(groups.real)} (goal ≥ ${VERDICT_GOAL * 100} %: ${met(groups.real)})`,
  );
  console.log(
    `same verdict, real replays and synthetic drift: ${share(both)} (goal ≥ ${VERDICT_GOAL * 100} %: ${met(both)})`,
  );
  console.log(
    `same verdict, near-threshold stress: ${share(groups["near-threshold stress"])} (no goal: most effects are below the rank error)`,
  );
  return met(both) === "met";
}

function speed(): void {
  console.log("\n== 3. window updates: values/s of updateFeatureState, 1M normal doubles, best of 5");
  const normal = normals(3);
  const values = Float64Array.from({ length: 1_000_000 }, () => normal());
  const rows: string[][] = [];
  for (const [name, spec] of [
    ["exact", "numeric"],
    [`sketch (k ${K})`, { kind: "sketch", k: K, seed: 0 }],
  ] as [string, FeatureSpec][]) {
    let best = Number.POSITIVE_INFINITY;
    for (let round = 0; round < 5; round++) {
      const state = emptyFeatureState(spec);
      const started = performance.now();
      for (let i = 0; i < values.length; i++) updateFeatureState(state, values[i]);
      best = Math.min(best, performance.now() - started);
    }
    rows.push([name, `${(values.length / (best / 1000) / 1e6).toFixed(1)}M/s`]);
  }
  console.log(table(["state", "updates"], rows));
}

console.log(`bench:sketch — node ${process.version}, ${cpus().length} cpus, load average ${loadNow()}`);
let ok = true;
if (PARTS.includes("size")) sizes();
if (PARTS.includes("accuracy")) ok = accuracy();
if (PARTS.includes("speed")) speed();
console.log(`\nload average at the end: ${loadNow()}`);
if (!ok) console.log("goal not met (printed, not failed)");
