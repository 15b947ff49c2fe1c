/**
 * The streams of `npm run bench:alerts`: real rows from vega-datasets (Seattle's weather, 20 000
 * flights) replayed in a seeded shuffle, stationary or with a drift injected from a known event,
 * and written with their ground truth to `.bench/alerts/streams/` so that the peers read the very
 * same rows.
 *
 * Every stream of a dataset and repetition starts from the same shuffle (seed = repetition); its
 * first R rows are the reference, its drift (if any) starts at a fixed event after it. The drift
 * types, from the event `start` on (sd = the feature's standard deviation over the whole dataset):
 * - `abrupt`: one numeric feature shifted by k·sd;
 * - `gradual`: each event is the shifted one (as `abrupt`) with a probability that ramps linearly
 *   from 0 to 1 over `span` events;
 * - `incremental`: the shift itself ramps from 0 to k·sd over `span` events;
 * - `covariate`: several numeric features shifted at once, each by its own k·sd;
 * - `prior`: the rows after `start` are drawn again (with replacement, from the rows after the
 *   reference) so that one category's share rises to a target; the other features follow their
 *   rows, as a change of class priors does.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Random, seededRandom } from "../../src/stats/prng.js";

/** The repository's root directory. */
export const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

/** One event: feature name → value. */
export type Row = Record<string, number | string>;

/** The drift types, `none` for a stationary stream. */
export const DRIFT_TYPES = ["none", "abrupt", "gradual", "incremental", "covariate", "prior"] as const;
/** A drift type. */
export type DriftType = (typeof DRIFT_TYPES)[number];

/** A dataset and the shape of its streams and drifts. */
export interface Dataset {
  readonly name: string;
  readonly numeric: readonly string[];
  readonly categorical: string;
  readonly rows: readonly Row[];
  /** Reference events (R) and window events (W). */
  readonly reference: number;
  readonly window: number;
  /** The first drifted event (mid-window, so the first drifted window is part stationary). */
  readonly start: number;
  /** Events over which gradual and incremental drifts ramp up. */
  readonly span: number;
  /** D: a drift counts as detected when one of the D windows from the first drifted one alarms. */
  readonly detectionWindows: number;
  /** The feature of abrupt, gradual and incremental drifts, and its shift in standard deviations. */
  readonly feature: string;
  readonly k: number;
  /** The features of covariate drift and their shifts in standard deviations. */
  readonly covariate: Readonly<Record<string, number>>;
  /** The category whose share rises in prior drift, and its share after the start. */
  readonly category: string;
  readonly share: number;
}

/** The ground truth of a stream, written beside its rows. */
export interface GroundTruth {
  readonly stream: string;
  readonly dataset: string;
  readonly type: DriftType;
  /** Index of the first drifted event (reference included), null for a stationary stream. */
  readonly drift_start: number | null;
  readonly events: number;
  readonly reference: number;
  readonly window: number;
  readonly detection_windows: number;
  readonly seed: number;
  readonly numeric: readonly string[];
  readonly categorical: string;
  /** The drift's parameters (features, shifts in sd and in units, span, category and shares). */
  readonly parameters: Record<string, unknown>;
  /** The rows, one JSON object per line. */
  readonly rows_file: string;
}

/** Seattle's daily weather 2012–2015 (1461 rows): temp_max, temp_min, precipitation, wind; weather. */
export function weather(): Dataset {
  const text = readFileSync(join(repoRoot, "node_modules/vega-datasets/data/seattle-weather.csv"), "utf8");
  const [head, ...lines] = text.trim().split(/\r?\n/);
  const names = head.split(",");
  const numeric = ["temp_max", "temp_min", "precipitation", "wind"];
  const rows = lines.map((line) => {
    const cells = line.split(",");
    const row: Row = {};
    for (const name of [...numeric, "weather"]) {
      const cell = cells[names.indexOf(name)];
      row[name] = name === "weather" ? cell : Number(cell);
    }
    return row;
  });
  return {
    name: "weather",
    numeric,
    categorical: "weather",
    rows,
    reference: 500,
    window: 100,
    start: 850,
    span: 300,
    detectionWindows: 5,
    feature: "temp_max",
    k: 0.5,
    covariate: { temp_max: 0.3, temp_min: 0.3, wind: 0.3 },
    category: "sun",
    share: 0.6,
  };
}

/** 20 000 US flights of 2001 (vega-datasets flights-20k): delay, distance; origin. */
export function flights(): Dataset {
  const raw = JSON.parse(
    readFileSync(join(repoRoot, "node_modules/vega-datasets/data/flights-20k.json"), "utf8"),
  ) as { delay: number; distance: number; origin: string }[];
  const rows = raw.map((r) => ({ delay: r.delay, distance: r.distance, origin: r.origin }));
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.origin, (counts.get(r.origin) ?? 0) + 1);
  const top = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0];
  return {
    name: "flights",
    numeric: ["delay", "distance"],
    categorical: "origin",
    rows,
    reference: 2000,
    window: 500,
    start: 7250,
    span: 2500,
    detectionWindows: 10,
    feature: "delay",
    k: 0.2,
    covariate: { delay: 0.15, distance: 0.15 },
    category: top[0],
    share: Math.min(1, top[1] / rows.length + 0.05),
  };
}

/** Mean and standard deviation (n − 1) of a numeric feature over all rows. */
export function meanSd(rows: readonly Row[], feature: string): { mean: number; sd: number } {
  let sum = 0;
  for (const r of rows) sum += r[feature] as number;
  const mean = sum / rows.length;
  let ss = 0;
  for (const r of rows) ss += ((r[feature] as number) - mean) ** 2;
  return { mean, sd: Math.sqrt(ss / (rows.length - 1)) };
}

/** A seeded Fisher–Yates shuffle (a copy). */
export function shuffle<T>(items: readonly T[], random: Random): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

const round = (x: number) => Math.round(x * 1e4) / 1e4;

/**
 * One stream of `dataset`: the shuffle of repetition `seed`, with the drift `type` injected from
 * `dataset.start`. The drift's own randomness (gradual mixing, prior resampling) has its own seed,
 * so the rows before the start are the same in every stream of a repetition.
 */
export function makeStream(
  dataset: Dataset,
  type: DriftType,
  seed: number,
): { rows: Row[]; parameters: Record<string, unknown> } {
  const rows = shuffle(dataset.rows, seededRandom(seed)).map((r) => ({ ...r }));
  const random = seededRandom(1_000_003 * (seed + 1) + DRIFT_TYPES.indexOf(type));
  const { start, span } = dataset;
  const shiftOf = (feature: string, k: number) => k * meanSd(dataset.rows, feature).sd;
  const shift = (row: Row, feature: string, by: number) => {
    row[feature] = round((row[feature] as number) + by);
  };
  const ramp = (i: number) => Math.min(1, (i - start + 1) / span);
  switch (type) {
    case "none":
      return { rows, parameters: {} };
    case "abrupt":
    case "gradual":
    case "incremental": {
      const by = shiftOf(dataset.feature, dataset.k);
      for (let i = start; i < rows.length; i++) {
        if (type === "abrupt") shift(rows[i], dataset.feature, by);
        else if (type === "gradual") {
          if (random() < ramp(i)) shift(rows[i], dataset.feature, by);
        } else shift(rows[i], dataset.feature, by * ramp(i));
      }
      return {
        rows,
        parameters: {
          feature: dataset.feature,
          k_sd: dataset.k,
          shift: by,
          ...(type === "abrupt" ? {} : { span_events: span }),
        },
      };
    }
    case "covariate": {
      const shifts = Object.fromEntries(
        Object.entries(dataset.covariate).map(([f, k]) => [f, shiftOf(f, k)]),
      );
      for (let i = start; i < rows.length; i++)
        for (const [f, by] of Object.entries(shifts)) shift(rows[i], f, by);
      return { rows, parameters: { k_sd: dataset.covariate, shift: shifts } };
    }
    case "prior": {
      const pool = rows.slice(dataset.reference);
      const hit = pool.filter((r) => r[dataset.categorical] === dataset.category);
      const miss = pool.filter((r) => r[dataset.categorical] !== dataset.category);
      for (let i = start; i < rows.length; i++) {
        const from = random() < dataset.share ? hit : miss;
        rows[i] = { ...from[Math.floor(random() * from.length)] };
      }
      return {
        rows,
        parameters: {
          feature: dataset.categorical,
          category: dataset.category,
          share_before: hit.length / pool.length,
          share_after: dataset.share,
        },
      };
    }
  }
}

/** A stream with its ground truth, as written for the peers. */
export interface Stream {
  readonly truth: GroundTruth;
  readonly rows: readonly Row[];
}

/**
 * Builds every stream of `dataset` (each drift type for repetitions 0 … `repetitions` − 1) and
 * writes each as `<dir>/<name>.jsonl` (its rows) and `<dir>/<name>.json` (its ground truth).
 */
export function writeStreams(dataset: Dataset, repetitions: number, dir: string): Stream[] {
  mkdirSync(dir, { recursive: true });
  const out: Stream[] = [];
  for (let seed = 0; seed < repetitions; seed++)
    for (const type of DRIFT_TYPES) {
      const name = `${dataset.name}-${type}-${seed}`;
      const { rows, parameters } = makeStream(dataset, type, seed);
      const truth: GroundTruth = {
        stream: name,
        dataset: dataset.name,
        type,
        drift_start: type === "none" ? null : dataset.start,
        events: rows.length,
        reference: dataset.reference,
        window: dataset.window,
        detection_windows: dataset.detectionWindows,
        seed,
        numeric: dataset.numeric,
        categorical: dataset.categorical,
        parameters,
        rows_file: `${name}.jsonl`,
      };
      writeFileSync(join(dir, truth.rows_file), `${rows.map((r) => JSON.stringify(r)).join("\n")}\n`);
      writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(truth, null, 2)}\n`);
      out.push({ truth, rows });
    }
  return out;
}
