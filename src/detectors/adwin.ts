/**
 * ADWIN, adaptive windowing (Bifet & Gavaldà 2007, "Learning from Time-Changing Data with Adaptive
 * Windowing", SIAM SDM 2007: 443–448), as River's `drift.ADWIN` (its ADWIN2 bucket compression,
 * River's Rust core `AdaptiveWindowing`, itself a port of its Cython `adwin_c.pyx`).
 */

import type { JSONSchemaType } from "ajv";
import type { Detector, DetectorKind } from "./types.js";

/** ADWIN's params, with River's names and defaults. */
export interface AdwinParams {
  /** Significance δ of the cut test (default 0.002). */
  readonly delta?: number;
  /** Test for a cut every `clock` values (default 32). */
  readonly clock?: number;
  /** Buckets of each size kept before two are merged (default 5). */
  readonly max_buckets?: number;
  /** Smallest sub-window considered for a cut (default 5). */
  readonly min_window_length?: number;
  /** Values seen before the first test (default 10). */
  readonly grace_period?: number;
}

/** ADWIN's state: the window summary and its buckets. */
export interface AdwinState {
  /** Sum of the values in the window. */
  readonly total: number;
  /** Sum of squared deviations from the window's mean (River's `variance`, not divided by width). */
  readonly variance: number;
  /** Number of values in the window. */
  readonly width: number;
  /** Updates since the last reset, modulo 2^31 as River's i32 (the clock's phase). */
  readonly tick: number;
  /**
   * Buckets by size: level i holds summaries of 2^i values each, oldest first, as
   * [total, variance] pairs. The oldest values of the window are in the last level.
   */
  readonly levels: [number, number][][];
  readonly drift_detected: boolean;
}

const schema: JSONSchemaType<AdwinParams> = {
  type: "object",
  description:
    "ADWIN (Bifet & Gavaldà 2007) on a stream of numbers: drift when two sub-windows' means differ beyond a Hoeffding-style bound",
  properties: {
    delta: {
      type: "number",
      nullable: true,
      exclusiveMinimum: 0,
      exclusiveMaximum: 1,
      default: 0.002,
      description: "significance of the cut test; smaller detects less",
    },
    clock: {
      type: "integer",
      nullable: true,
      minimum: 1,
      maximum: 2147483647,
      default: 32,
      description: "test for a cut every this many values",
    },
    max_buckets: {
      type: "integer",
      nullable: true,
      minimum: 1,
      maximum: 1024,
      default: 5,
      description: "buckets of each size kept before two are merged",
    },
    min_window_length: {
      type: "integer",
      nullable: true,
      minimum: 1,
      default: 5,
      description: "smallest sub-window considered for a cut",
    },
    grace_period: {
      type: "integer",
      nullable: true,
      minimum: 0,
      default: 10,
      description: "values seen before the first test",
    },
  },
  required: [],
  additionalProperties: false,
};

/** Bucket levels kept in place: level i summarises 2^i values, so 64 outlast any stream. */
const MAX_LEVELS = 64;

class AdwinDetector implements Detector<AdwinState> {
  private readonly delta: number;
  private readonly clock: number;
  private readonly maxBuckets: number;
  private readonly minWindowLength: number;
  private readonly gracePeriod: number;
  /** Slots per level: max_buckets + 1, so a level overflows by one before it is compressed. */
  private readonly slots: number;
  // Level i's bucket k is at i * slots + k; counts[i] buckets are used, oldest first.
  private readonly totals: Float64Array;
  private readonly variances: Float64Array;
  private readonly counts = new Int32Array(MAX_LEVELS);
  private levels = 1;
  private total = 0;
  private variance = 0;
  private width = 0;
  private tick = 0;
  private drift = false;

  constructor(params: AdwinParams, state: AdwinState | undefined) {
    this.delta = params.delta ?? 0.002;
    this.clock = params.clock ?? 32;
    this.maxBuckets = params.max_buckets ?? 5;
    this.minWindowLength = params.min_window_length ?? 5;
    this.gracePeriod = params.grace_period ?? 10;
    this.slots = this.maxBuckets + 1;
    this.totals = new Float64Array(MAX_LEVELS * this.slots);
    this.variances = new Float64Array(MAX_LEVELS * this.slots);
    if (state !== undefined) {
      this.total = state.total;
      this.variance = state.variance;
      this.width = state.width;
      this.tick = state.tick;
      this.drift = state.drift_detected;
      this.levels = Math.max(1, state.levels.length);
      state.levels.forEach((buckets, i) => {
        this.counts[i] = buckets.length;
        buckets.forEach(([t, v], k) => {
          this.totals[i * this.slots + k] = t;
          this.variances[i * this.slots + k] = v;
        });
      });
    }
  }

  update(value: number): void {
    // River's ADWIN.update starts a fresh AdaptiveWindowing after a drift.
    if (this.drift) this.reset();
    this.insert(value);
    this.drift = this.detectChange();
  }

  private reset(): void {
    this.totals.fill(0);
    this.variances.fill(0);
    this.counts.fill(0);
    this.levels = 1;
    this.total = 0;
    this.variance = 0;
    this.width = 0;
    this.tick = 0;
    this.drift = false;
  }

  private insert(value: number): void {
    this.totals[this.counts[0]] = value;
    this.variances[this.counts[0]] = 0;
    this.counts[0]++;
    // Welford's update in River's order of operations, so the rounding is the same.
    this.width += 1;
    let increment = 0;
    if (this.width > 1) {
      const d = value - this.total / (this.width - 1);
      increment = ((this.width - 1) * d * d) / this.width;
    }
    this.variance += increment;
    this.total += value;
    this.compress();
  }

  /** Drops the first `n` buckets of a level, shifting the rest down and zeroing the freed slots. */
  private drop(level: number, n: number): void {
    // Levels hold at most max_buckets + 1 buckets, so plain loops beat copyWithin and fill here.
    const start = level * this.slots;
    const count = this.counts[level];
    const totals = this.totals;
    const variances = this.variances;
    for (let k = 0; k < count - n; k++) {
      totals[start + k] = totals[start + k + n];
      variances[start + k] = variances[start + k + n];
    }
    for (let k = count - n; k < count; k++) {
      totals[start + k] = 0;
      variances[start + k] = 0;
    }
    this.counts[level] = count - n;
  }

  /** ADWIN2's compression: a level with max_buckets + 1 buckets merges its two oldest into the next. */
  private compress(): void {
    for (let level = 0; this.counts[level] === this.slots; level++) {
      const at = level * this.slots;
      const size = 2 ** level;
      const t0 = this.totals[at];
      const t1 = this.totals[at + 1];
      const mu1 = t0 / size;
      const mu2 = t1 / size;
      const v12 = this.variances[at] + this.variances[at + 1] + size * 0.5 * (mu1 - mu2) * (mu1 - mu2);
      if (level + 1 >= this.levels) this.levels = level + 2;
      const next = (level + 1) * this.slots + this.counts[level + 1];
      this.totals[next] = t0 + t1;
      this.variances[next] = v12;
      this.counts[level + 1]++;
      this.drop(level, 2);
      if (this.counts[level + 1] <= this.maxBuckets) break;
    }
  }

  /** Removes the oldest bucket (in the last level) from the window. */
  private deleteOldest(): void {
    const last = this.levels - 1;
    const n = 2 ** last;
    const u = this.totals[last * this.slots];
    const v = this.variances[last * this.slots];
    const mu = u / n;
    this.width -= n;
    this.total -= u;
    const muWindow = this.total / this.width;
    this.variance -= v + (n * this.width * (mu - muWindow) * (mu - muWindow)) / (n + this.width);
    this.drop(last, 1);
    if (this.counts[last] === 0 && this.levels > 1) this.levels--;
  }

  private detectChange(): boolean {
    let changed = false;
    // River counts ticks in an i32, which wraps after 2^31 updates.
    this.tick = (this.tick + 1) | 0;
    if (this.tick % this.clock !== 0 || !(this.width > this.gracePeriod)) return false;
    const minLength = this.minWindowLength;
    let reduce = true;
    while (reduce) {
      reduce = false;
      // The cut test's terms that depend on the whole window only, computed once per pass (the
      // same operations on the same values as River's per-cut evaluation, so the same bits):
      // δ' = ln(2 ln(width) / δ) and the window's variance σ² = variance / width.
      const deltaPrime = Math.log((2.0 * Math.log(this.width)) / this.delta);
      const sigma2 = this.variance / this.width;
      let n0 = 0;
      let n1 = this.width;
      let u0 = 0;
      let u1 = this.total;
      // Walk the cut from the oldest bucket towards the newest; the newest bucket is never a cut.
      scan: for (let level = this.levels - 1; level >= 0; level--) {
        const size = 2 ** level;
        const count = this.counts[level];
        const base = level * this.slots;
        for (let k = 0; k < count; k++) {
          n0 += size;
          n1 -= size;
          const t = this.totals[base + k];
          u0 += t;
          u1 -= t;
          if (level === 0 && k === count - 1) break scan;
          if (n1 >= minLength && n0 >= minLength) {
            // |μ̂0 − μ̂1| > ε, ε = sqrt(2 m σ² δ') + 2/3 δ' m, m = 1/(n0 − l + 1) + 1/(n1 − l + 1).
            const mRecip = 1.0 / (n0 - minLength + 1.0) + 1.0 / (n1 - minLength + 1.0);
            const epsilon = Math.sqrt(2.0 * mRecip * sigma2 * deltaPrime) + (2.0 / 3.0) * deltaPrime * mRecip;
            if (Math.abs(u0 / n0 - u1 / n1) > epsilon) {
              reduce = true;
              changed = true;
              if (this.width > 0) {
                this.deleteOldest();
                break scan;
              }
            }
          }
        }
      }
    }
    return changed;
  }

  get driftDetected(): boolean {
    return this.drift;
  }

  get warningDetected(): boolean {
    return false;
  }

  /** The mean of the current window (River's `estimation`); null while the window is empty. */
  get estimate(): number | null {
    return this.width === 0 ? null : this.total / this.width;
  }

  get state(): AdwinState {
    const levels: [number, number][][] = [];
    for (let i = 0; i < this.levels; i++) {
      const buckets: [number, number][] = [];
      for (let k = 0; k < this.counts[i]; k++) {
        buckets.push([this.totals[i * this.slots + k], this.variances[i * this.slots + k]]);
      }
      levels.push(buckets);
    }
    return {
      total: this.total,
      variance: this.variance,
      width: this.width,
      tick: this.tick,
      levels,
      drift_detected: this.drift,
    };
  }
}

/**
 * ADWIN (Bifet & Gavaldà 2007): keeps a window of recent values as exponential histogram buckets
 * (ADWIN2: at most `max_buckets` + 1 summaries of each size 2^i) and, every `clock` values once
 * past `grace_period`, tests every split of the window into an older W0 and newer W1: if
 * |μ̂(W0) − μ̂(W1)| > ε_cut (a Bernstein-style bound at significance `delta`), it drops the oldest
 * bucket and tests again, and reports a drift. As in River, the update after a drift starts a
 * fresh window. No warning zone. Matches River's `drift.ADWIN` decision for decision, with River's
 * order of floating-point operations; `estimate` is River's `estimation`, the window's mean. One
 * operation can differ: V8's `Math.log` is within one ulp of glibc's `log` (which River's Rust
 * core calls) but not always equal to it, so δ' can differ in its last bit; a decision changes only
 * if |μ̂0 − μ̂1| falls within that ulp of ε_cut, which no fixture stream comes near.
 *
 * Not mergeable: which buckets were dropped depends on when the tests ran along the stream.
 *
 * @example
 * // A sawtooth in [0, 1) whose mean rises by 0.5 at index 1000 (River's ADWIN agrees):
 * const values = Array.from({ length: 2000 }, (_, i) => ((i * 7919) % 100) / 100 + (i < 1000 ? 0 : 0.5));
 * const adwin = detectors.adwin.create({});
 * replay(adwin, values).drifts // [1055]
 * adwin.estimate // the mean of the window kept since then
 */
export const adwin: DetectorKind<AdwinParams, AdwinState> = {
  description: "ADWIN: drift in the mean by adaptive windowing (Bifet & Gavaldà 2007)",
  reference:
    "Bifet, Gavaldà (2007), Learning from Time-Changing Data with Adaptive Windowing, SIAM SDM 2007; River drift.ADWIN",
  input: "real",
  warns: false,
  schema,
  example: { delta: 0.002, clock: 32, max_buckets: 5, min_window_length: 5, grace_period: 10 },
  check: () => [],
  create: (params, state) => new AdwinDetector(params, state),
  merge: null,
};
