/**
 * The real data behind `npm run bench:online`, from the `vega-datasets` package, and the seeded
 * shuffles that turn them into exchangeable replays: a reference of the first n values of a
 * shuffle, and a stream of the next ones.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { seededRandom } from "../../src/stats/prng.js";
import { repoRoot } from "../stream/harness.js";

/** One feature of a dataset, replayed as a stream. */
export interface Feature {
  /** `dataset.feature`, e.g. `seattle.precipitation`. */
  readonly name: string;
  readonly detector: "cvm" | "fet";
  /** What the values are, for the report. */
  readonly description: string;
  readonly values: Float64Array;
  /** Reference size for this dataset. */
  readonly nReference: number;
}

const data = join(repoRoot, "node_modules", "vega-datasets", "data");

/** Seattle daily weather 2012–2015 (1461 days) and 20000 US flights of 2001, with their reference sizes. */
export function loadFeatures(): Feature[] {
  const rows = readFileSync(join(data, "seattle-weather.csv"), "utf8").trim().split("\n");
  const header = rows[0].split(",");
  const cells = rows.slice(1).map((r) => r.split(","));
  const column = (name: string) => Float64Array.from(cells, (r) => Number(r[header.indexOf(name)]));
  const weather = cells.map((r) => r[header.indexOf("weather")]);
  const flights = JSON.parse(readFileSync(join(data, "flights-20k.json"), "utf8")) as { delay: number }[];
  const delay = Float64Array.from(flights, (f) => f.delay);
  const seattle = 300;
  const air = 500;
  return [
    {
      name: "seattle.temp_max",
      detector: "cvm",
      description: "°C, 67 distinct values",
      values: column("temp_max"),
      nReference: seattle,
    },
    {
      name: "seattle.precipitation",
      detector: "cvm",
      description: "mm, 57 % zeros",
      values: column("precipitation"),
      nReference: seattle,
    },
    {
      name: "seattle.wind",
      detector: "cvm",
      description: "m/s, 79 distinct values",
      values: column("wind"),
      nReference: seattle,
    },
    {
      name: "seattle.rain",
      detector: "fet",
      description: 'weather == "rain", 44 %',
      values: Float64Array.from(weather, (w) => (w === "rain" ? 1 : 0)),
      nReference: seattle,
    },
    {
      name: "flights.delay",
      detector: "cvm",
      description: "minutes, 289 distinct values",
      values: delay,
      nReference: air,
    },
    {
      name: "flights.late",
      detector: "fet",
      description: "delay > 15 min, 22 %",
      values: Float64Array.from(delay, (d) => (d > 15 ? 1 : 0)),
      nReference: air,
    },
  ];
}

/**
 * A seeded shuffle of `values`, drawn lazily (Fisher–Yates one step per value): the first
 * `nReference` values are the reference, the next ones the stream. When the stream has used every
 * value, the non-reference values are shuffled again and replayed (counted in `wraps`).
 */
export class Replay {
  private readonly order: Int32Array;
  private readonly random: () => number;
  private next = 0;
  /** Times the stream ran out of values and started a new shuffle of the non-reference ones. */
  wraps = 0;
  readonly reference: number[];

  constructor(
    private readonly values: Float64Array,
    private readonly nReference: number,
    seed: number,
  ) {
    this.order = Int32Array.from({ length: values.length }, (_, i) => i);
    this.random = seededRandom(seed);
    this.reference = Array.from({ length: nReference }, () => this.draw());
  }

  /** The next value of the shuffle. */
  draw(): number {
    const n = this.order.length;
    if (this.next === n) {
      this.next = this.nReference;
      this.wraps++;
    }
    const k = this.next++;
    const j = k + Math.floor(this.random() * (n - k));
    const chosen = this.order[j];
    this.order[j] = this.order[k];
    this.order[k] = chosen;
    return this.values[chosen];
  }
}

/** Mean and standard deviation of a sample. */
export function meanSd(values: ArrayLike<number>): { mean: number; sd: number } {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  const mean = sum / values.length;
  let ss = 0;
  for (let i = 0; i < values.length; i++) ss += (values[i] - mean) ** 2;
  return { mean, sd: Math.sqrt(ss / (values.length - 1)) };
}

/** Rows of several numeric features replayed together, for the multivariate (MMD) detector. */
export interface RowFeature {
  /** `dataset.columns`, e.g. `seattle.weather4`. */
  readonly name: string;
  /** What the rows are, for the report. */
  readonly description: string;
  /** The column names, in row order. */
  readonly columns: readonly string[];
  /** Row-major, `rows.length / columns.length` rows. */
  readonly rows: Float64Array;
  readonly nReference: number;
}

/**
 * Seattle's four numeric daily columns as rows, each column standardised by its mean and standard
 * deviation over the 1461 days (the kernel's bandwidth is one number for every dimension, so the
 * columns must share a scale), with the same reference size as the univariate Seattle features.
 */
export function loadWeatherRows(): RowFeature {
  const rows = readFileSync(join(data, "seattle-weather.csv"), "utf8").trim().split("\n");
  const header = rows[0].split(",");
  const cells = rows.slice(1).map((r) => r.split(","));
  const columns = ["precipitation", "temp_max", "temp_min", "wind"];
  const out = new Float64Array(cells.length * columns.length);
  columns.forEach((name, k) => {
    const values = Float64Array.from(cells, (r) => Number(r[header.indexOf(name)]));
    const { mean, sd } = meanSd(values);
    values.forEach((x, i) => {
      out[i * columns.length + k] = (x - mean) / sd;
    });
  });
  return {
    name: "seattle.weather4",
    description: "precipitation, temp_max, temp_min, wind per day, standardised",
    columns,
    rows: out,
    nReference: 300,
  };
}

/**
 * A seeded shuffle of a row feature's rows, as `Replay` shuffles values: the first `nReference`
 * rows are the reference, the next ones the stream, reshuffled when used up (counted in `wraps`).
 */
export class RowReplay {
  private readonly order: Replay;
  private readonly dim: number;
  /** The reference rows, row-major. */
  readonly reference: { readonly n: number; readonly dim: number; readonly data: Float64Array };

  constructor(
    private readonly feature: RowFeature,
    seed: number,
  ) {
    this.dim = feature.columns.length;
    const n = feature.rows.length / this.dim;
    this.order = new Replay(
      Float64Array.from({ length: n }, (_, i) => i),
      feature.nReference,
      seed,
    );
    const data = new Float64Array(feature.nReference * this.dim);
    this.order.reference.forEach((i, a) => {
      data.set(this.row(i), a * this.dim);
    });
    this.reference = { n: feature.nReference, dim: this.dim, data };
  }

  private row(i: number): Float64Array {
    return this.feature.rows.subarray(i * this.dim, (i + 1) * this.dim);
  }

  /** The next row of the shuffle (a view: copy it to keep it). */
  draw(): Float64Array {
    return this.row(this.order.draw());
  }

  get wraps(): number {
    return this.order.wraps;
  }
}
