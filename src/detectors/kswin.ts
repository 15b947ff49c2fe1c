/**
 * KSWIN, Kolmogorov–Smirnov windowing (Raab, Heusinger & Schleif 2020, "Reactive Soft Prototype
 * Computing for Concept Drift Streams", Neurocomputing 416: 340–351), as River's `drift.KSWIN`.
 */

import type { JSONSchemaType } from "ajv";
import { ks2samp } from "../stats/ks.js";
import { MersenneTwister, type MersenneTwisterState, sampleRange, sampleSetsize } from "./python-random.js";
import type { Detector, DetectorKind, ParamProblem } from "./types.js";

/** KSWIN's params, with River's names and defaults. */
export interface KswinParams {
  /** Significance of the KS test; River advises below 0.01 (default 0.005). */
  readonly alpha?: number;
  /** Size n of the sliding window (default 100). */
  readonly window_size?: number;
  /** Size r of the two samples compared, at most half of window_size (default 30). */
  readonly stat_size?: number;
  /** Seed of the sampler, as `random.Random(seed)`; absent draws one from the platform's entropy. */
  readonly seed?: number;
  /** Values already seen, to start with a full window (the last window_size are kept). */
  readonly window?: number[];
}

/** KSWIN's state: the window, the sampler's generator and the last p-value. */
export interface KswinState {
  /** Values seen since the last reset. */
  readonly n: number;
  /** The window, oldest first (at most window_size values). */
  readonly window: number[];
  /** The p-value of the last test; 0 before the first (River's initial value). */
  readonly p_value: number;
  /** The sampler's Mersenne Twister. */
  readonly rng: MersenneTwisterState;
  readonly drift_detected: boolean;
}

const schema: JSONSchemaType<KswinParams> = {
  type: "object",
  description:
    "KSWIN (Raab et al. 2020) on a stream of numbers: drift when the newest values fail a KS test against a sample of older ones",
  properties: {
    alpha: {
      type: "number",
      nullable: true,
      minimum: 0,
      maximum: 1,
      default: 0.005,
      description: "significance of the Kolmogorov-Smirnov test (River advises below 0.01)",
    },
    window_size: {
      type: "integer",
      nullable: true,
      minimum: 2,
      maximum: 1_000_000,
      default: 100,
      description: "size of the sliding window",
    },
    stat_size: {
      type: "integer",
      nullable: true,
      minimum: 1,
      default: 30,
      description: "size of the two samples compared; at most half of window_size",
    },
    seed: {
      type: "integer",
      nullable: true,
      minimum: -9007199254740991,
      maximum: 9007199254740991,
      description: "seed of the sampler, as Python's random.Random(seed); absent draws one from entropy",
    },
    window: {
      type: "array",
      nullable: true,
      items: { type: "number" },
      description: "values already seen, to avoid a cold start",
    },
  },
  required: [],
  additionalProperties: false,
};

/** Above this sample size scipy's `auto` method takes the asymptotic p-value of the raw D. */
const MAX_EXACT_STAT_SIZE = 10000;

class KswinDetector implements Detector<KswinState> {
  private readonly alpha: number;
  private readonly windowSize: number;
  private readonly statSize: number;
  private readonly seed: number | null;
  /** window_size − stat_size: where the newest r values start, and how many old ones there are. */
  private readonly split: number;
  private readonly setsize: number;
  // The window as a ring: `head` is the oldest value, `length` how many are held.
  private readonly ring: Float64Array;
  private head = 0;
  private length = 0;
  private readonly indices: Int32Array;
  private readonly pool: Int32Array;
  private readonly older: Float64Array;
  private readonly newer: Float64Array;
  /** For each h = max |i − j| (D = h / r), scipy's p-value; null above MAX_EXACT_STAT_SIZE. */
  private readonly pValues: Float64Array | null;
  private readonly rng: MersenneTwister;
  private n = 0;
  private pValue = 0;
  private drift = false;

  constructor(params: KswinParams, state: KswinState | undefined) {
    this.alpha = params.alpha ?? 0.005;
    this.windowSize = params.window_size ?? 100;
    this.statSize = params.stat_size ?? 30;
    this.seed = params.seed ?? null;
    this.split = this.windowSize - this.statSize;
    this.setsize = sampleSetsize(this.statSize);
    this.ring = new Float64Array(this.windowSize);
    this.indices = new Int32Array(this.statSize);
    this.pool = new Int32Array(Math.max(this.split, 1));
    this.older = new Float64Array(this.statSize);
    this.newer = new Float64Array(this.statSize);
    this.pValues = this.statSize <= MAX_EXACT_STAT_SIZE ? pValueTable(this.statSize) : null;
    if (state === undefined) {
      this.rng = this.freshRng();
      if (params.window !== undefined && params.window !== null) this.load(params.window);
    } else {
      this.rng = MersenneTwister.fromState(state.rng);
      this.load(state.window);
      this.n = state.n;
      this.pValue = state.p_value;
      this.drift = state.drift_detected;
    }
  }

  private freshRng(): MersenneTwister {
    return this.seed === null ? MersenneTwister.fromEntropy() : MersenneTwister.fromSeed(this.seed);
  }

  /**
   * River reseeds `random.Random(self.seed)` at every reset, so with a seed the draws restart after
   * a drift. Without one River takes fresh entropy; we take a fresh seed from the generator itself,
   * which is as unpredictable but lets a restored state continue exactly.
   */
  private reseed(): void {
    if (this.seed !== null) this.rng.seed(this.seed);
    else this.rng.seed((this.rng.nextUint32() >>> 11) * 0x100000000 + this.rng.nextUint32());
  }

  private load(values: readonly number[]): void {
    this.head = 0;
    this.length = 0;
    const from = Math.max(0, values.length - this.windowSize);
    for (let i = from; i < values.length; i++) this.push(values[i]);
  }

  private push(value: number): void {
    if (this.length < this.windowSize) {
      this.ring[(this.head + this.length) % this.windowSize] = value;
      this.length++;
    } else {
      this.ring[this.head] = value;
      this.head = (this.head + 1) % this.windowSize;
    }
  }

  private at(i: number): number {
    return this.ring[(this.head + i) % this.windowSize];
  }

  update(value: number): void {
    if (this.drift) this.reset();
    this.n += 1;
    this.push(value);
    if (this.length < this.windowSize) {
      this.drift = false;
      return;
    }
    const r = this.statSize;
    sampleRange(this.rng, this.split, r, this.indices, this.pool, this.setsize);
    let nan = false;
    // Ring positions are computed here rather than through `at`, which returns a double: a call
    // V8 does not inline boxes its result, allocating on every update.
    const ring = this.ring;
    const size = this.windowSize;
    for (let i = 0; i < r; i++) {
      const older = ring[(this.head + this.indices[i]) % size];
      const newer = ring[(this.head + this.split + i) % size];
      this.older[i] = older;
      this.newer[i] = newer;
      nan ||= Number.isNaN(older) || Number.isNaN(newer);
    }
    let statistic: number;
    if (nan) {
      // scipy's ks_2samp propagates NaN, and NaN <= alpha is false: no drift.
      statistic = Number.NaN;
      this.pValue = Number.NaN;
    } else if (this.pValues !== null) {
      this.older.sort();
      this.newer.sort();
      // Both samples have r values, so scipy's D is h / r with h = max |i − j| over the pooled
      // values (its exact method rounds D·lcm to that integer), and the p-value depends on h alone.
      const h = maxCountGap(this.older, this.newer);
      statistic = h / r;
      this.pValue = this.pValues[h];
    } else {
      this.older.sort();
      this.newer.sort();
      const result = ks2samp(this.older, this.newer);
      statistic = result.statistic;
      this.pValue = result.pValue ?? 1;
    }
    if (this.pValue <= this.alpha && statistic > 0.1) {
      this.drift = true;
      // River keeps only the newest r values (until the next update resets the detector).
      this.head = (this.head + this.split) % this.windowSize;
      this.length = r;
    } else {
      this.drift = false;
    }
  }

  private reset(): void {
    this.n = 0;
    this.pValue = 0;
    this.head = 0;
    this.length = 0;
    this.reseed();
    this.drift = false;
  }

  get driftDetected(): boolean {
    return this.drift;
  }

  get warningDetected(): boolean {
    return false;
  }

  /** KSWIN estimates nothing: it tests distributions, not a parameter. */
  get estimate(): number | null {
    return null;
  }

  get state(): KswinState {
    const window: number[] = [];
    for (let i = 0; i < this.length; i++) window.push(this.at(i));
    return { n: this.n, window, p_value: this.pValue, rng: this.rng.state, drift_detected: this.drift };
  }
}

/**
 * max over pooled values v of |#{a ≤ v} − #{b ≤ v}| for two sorted samples: the two-sample KS
 * statistic times the (common) sample size, as an exact integer. Ties are consumed from both
 * sides before the gap is taken, as scipy's searchsorted(side='right') counts them. No NaN.
 */
function maxCountGap(a: Float64Array, b: Float64Array): number {
  const n1 = a.length;
  const n2 = b.length;
  let i = 0;
  let j = 0;
  let gap = 0;
  while (i < n1 && j < n2) {
    const v = Math.min(a[i], b[j]);
    while (i < n1 && a[i] === v) i++;
    while (j < n2 && b[j] === v) j++;
    const d = i > j ? i - j : j - i;
    if (d > gap) gap = d;
  }
  return gap;
}

const pValueTables = new Map<number, Float64Array>();

/**
 * scipy's p-value for D = h / r between two samples of r values, for every h: computed once per
 * sample size with {@link ks2samp} on shifted integer ranges whose D is exactly h / r.
 */
function pValueTable(r: number): Float64Array {
  const cached = pValueTables.get(r);
  if (cached !== undefined) return cached;
  const base = new Float64Array(2 * r);
  for (let i = 0; i < base.length; i++) base[i] = i;
  const table = new Float64Array(r + 1);
  table[0] = 1;
  for (let h = 1; h <= r; h++) table[h] = ks2samp(base.subarray(0, r), base.subarray(h, h + r)).pValue ?? 1;
  pValueTables.set(r, table);
  return table;
}

function kswinProblems(params: KswinParams): ParamProblem[] {
  const windowSize = params.window_size ?? 100;
  const statSize = params.stat_size ?? 30;
  // River checks only stat_size <= window_size, then fails in random.sample at the first full
  // window unless the older part holds stat_size values; say so at load instead.
  if (2 * statSize > windowSize) {
    return [
      {
        path: "/stat_size",
        message: `must be at most half of window_size (got stat_size ${statSize}, window_size ${windowSize})`,
      },
    ];
  }
  return [];
}

/**
 * KSWIN (Raab et al. 2020): keeps the last `window_size` values; once full, on every value it
 * compares the newest `stat_size` values R with `stat_size` values W drawn uniformly without
 * replacement from the older ones, by the two-sample Kolmogorov–Smirnov test, and signals a drift
 * when the p-value is at most `alpha` and D > 0.1, then starts over. No warning zone.
 *
 * Matches River's `drift.KSWIN` decision for decision under the same `seed`: W is drawn as
 * `random.Random(seed).sample(range(window_size − stat_size), stat_size)` in CPython 3.11
 * (Mersenne Twister and `sample` reproduced bit for bit, {@link MersenneTwister}), reseeded at every
 * reset as River does, and the p-value is scipy's `ks_2samp(W, R, method="auto")` through
 * {@link ks2samp}. Without a seed the draws come from the platform's entropy, as River's do, so
 * detections vary from run to run; the generator's state is part of `state` (and a reset without
 * a seed reseeds from the generator itself), so a restored detector continues the same draws.
 *
 * Not mergeable: the window, the draws and the resets follow the stream.
 *
 * @example
 * // A sawtooth in [0, 1) whose level rises by 0.5 at index 1000 (River's KSWIN(seed=42) agrees):
 * const values = Array.from({ length: 2000 }, (_, i) => ((i * 7919) % 100) / 100 + (i < 1000 ? 0 : 0.5));
 * replay(detectors.kswin.create({ seed: 42 }), values).drifts // [1020]
 */
export const kswin: DetectorKind<KswinParams, KswinState> = {
  description: "KSWIN: drift in a distribution by a windowed Kolmogorov-Smirnov test (Raab et al. 2020)",
  reference:
    "Raab, Heusinger, Schleif (2020), Reactive Soft Prototype Computing for Concept Drift Streams, Neurocomputing 416; River drift.KSWIN",
  input: "real",
  warns: false,
  schema,
  example: { alpha: 0.005, window_size: 100, stat_size: 30, seed: 42 },
  check: kswinProblems,
  create: (params, state) => new KswinDetector(params, state),
  merge: null,
};
