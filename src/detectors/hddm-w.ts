/**
 * HDDM_W, drift detection from McDiarmid's bound on exponentially weighted moving averages
 * (Frías-Blanco, del Campo-Ávila, Ramos-Jiménez, Morales-Bueno, Ortiz-Díaz & Caballero-Mota 2014,
 * "Online and non-parametric drift detection methods based on Hoeffding's bounds", IEEE TKDE
 * 27(3): 810–823), as River's `drift.binary.HDDMW` (itself after MOA's `HDDM_W_Test`).
 */

import type { JSONSchemaType } from "ajv";
import type { Detector, DetectorKind } from "./types.js";

/** HDDM_W's params, with River's names and defaults. */
export interface HddmWParams {
  /** Confidence level of the drift test (default 0.001). */
  readonly drift_confidence?: number;
  /** Confidence level of the warning test (default 0.005). */
  readonly warning_confidence?: number;
  /** Weight of the newest value in the EWMA (default 0.05). */
  readonly lambda_val?: number;
  /** Also look for decreases of the mean (default false: increases only). */
  readonly two_sided_test?: boolean;
}

/** One EWMA sample as River's `SampleInfo` holds it. */
export interface EwmaSampleState {
  /** The EWMA (0 before the first value). */
  readonly ewma: number;
  /** The independent bounded condition Σ w_i², which McDiarmid's bound scales with. */
  readonly ibc: number;
  /** Whether the sample has seen a value. */
  readonly initialized: boolean;
}

/** HDDM_W's state: the global EWMA, and before/after samples at each cut point. */
export interface HddmWState {
  readonly total: EwmaSampleState;
  readonly s1_incr: EwmaSampleState;
  readonly s2_incr: EwmaSampleState;
  readonly s1_decr: EwmaSampleState;
  readonly s2_decr: EwmaSampleState;
  /** Lowest EWMA + ε so far; null stands for River's initial +inf. */
  readonly incr_cutpoint: number | null;
  /** Highest EWMA − ε so far; null stands for River's initial −inf. */
  readonly decr_cutpoint: number | null;
  readonly drift_detected: boolean;
  readonly warning_detected: boolean;
}

const schema: JSONSchemaType<HddmWParams> = {
  type: "object",
  description:
    "HDDM_W (Frías-Blanco et al. 2014) on values in [0, 1]: drift when a weighted mean rises past McDiarmid's bound",
  properties: {
    drift_confidence: {
      type: "number",
      nullable: true,
      exclusiveMinimum: 0,
      exclusiveMaximum: 1,
      default: 0.001,
      description: "confidence level of the drift test",
    },
    warning_confidence: {
      type: "number",
      nullable: true,
      exclusiveMinimum: 0,
      exclusiveMaximum: 1,
      default: 0.005,
      description: "confidence level of the warning test",
    },
    lambda_val: {
      type: "number",
      nullable: true,
      exclusiveMinimum: 0,
      maximum: 1,
      default: 0.05,
      description: "weight of the newest value in the exponentially weighted mean",
    },
    two_sided_test: {
      type: "boolean",
      nullable: true,
      default: false,
      description: "also signal decreases of the mean",
    },
  },
  required: [],
  additionalProperties: false,
};

/**
 * Five EWMA samples in flat arrays (total, s1_incr, s2_incr, s1_decr, s2_decr), so that River's
 * `copy.deepcopy(total)` and `SampleInfo()` are three stores each and update never allocates.
 */
const TOTAL = 0;
const S1_INCR = 1;
const S2_INCR = 2;
const S1_DECR = 3;
const S2_DECR = 4;
const NAMES = ["total", "s1_incr", "s2_incr", "s1_decr", "s2_decr"] as const;

class HddmWDetector implements Detector<HddmWState> {
  private readonly lambda: number;
  private readonly twoSided: boolean;
  private readonly lambdaSq: number;
  private readonly complementSq: number;
  private readonly logDrift: number;
  private readonly logWarning: number;
  private readonly ewma = new Float64Array(5);
  private readonly ibc = new Float64Array(5).fill(1.0);
  private readonly initialized = new Uint8Array(5);
  private incrCutpoint = Number.POSITIVE_INFINITY;
  private decrCutpoint = Number.NEGATIVE_INFINITY;
  private drift = false;
  private warning = false;

  constructor(params: HddmWParams, state: HddmWState | undefined) {
    this.lambda = params.lambda_val ?? 0.05;
    this.twoSided = params.two_sided_test ?? false;
    this.lambdaSq = this.lambda * this.lambda;
    // River writes (1 - lambd) ** 2; a correctly rounded pow(x, 2) is the rounded product.
    this.complementSq = (1 - this.lambda) * (1 - this.lambda);
    this.logDrift = Math.log(1 / (params.drift_confidence ?? 0.001));
    this.logWarning = Math.log(1 / (params.warning_confidence ?? 0.005));
    if (state !== undefined) {
      NAMES.forEach((name, i) => {
        this.ewma[i] = state[name].ewma;
        this.ibc[i] = state[name].ibc;
        this.initialized[i] = state[name].initialized ? 1 : 0;
      });
      this.incrCutpoint = state.incr_cutpoint ?? Number.POSITIVE_INFINITY;
      this.decrCutpoint = state.decr_cutpoint ?? Number.NEGATIVE_INFINITY;
      this.drift = state.drift_detected;
      this.warning = state.warning_detected;
    }
  }

  private copyTotal(to: number): void {
    this.ewma[to] = this.ewma[TOTAL];
    this.ibc[to] = this.ibc[TOTAL];
    this.initialized[to] = this.initialized[TOTAL];
  }

  private clear(i: number): void {
    this.ewma[i] = 0;
    this.ibc[i] = 1.0;
    this.initialized[i] = 0;
  }

  /**
   * River's `_has_mean_changed(sample1, sample2)`: sample2's EWMA exceeds sample1's by McDiarmid's
   * bound sqrt(ibc · ln(1 / confidence) / 2), ibc = ibc₁ + ibc₂.
   */
  private changed(s1: number, s2: number, warning: boolean): boolean {
    if (this.initialized[s1] === 0 || this.initialized[s2] === 0) return false;
    const ibc = this.ibc[s1] + this.ibc[s2];
    const difference = this.ewma[s2] - this.ewma[s1];
    if (warning) return difference > Math.sqrt((ibc * this.logWarning) / 2);
    return difference > Math.sqrt((ibc * this.logDrift) / 2);
  }

  /**
   * River's EWMean step on sample i: the first value is the mean, then λ x + (1 − λ) mean; the
   * weights' Σ w² becomes λ² + (1 − λ)² Σ w². Written with if/else, not a conditional expression:
   * V8 would merge the computed double with the (boxed) argument and box the result, allocating
   * on every update.
   */
  private push(i: number, value: number): void {
    if (this.initialized[i] === 1) this.ewma[i] = this.lambda * value + (1 - this.lambda) * this.ewma[i];
    else this.ewma[i] = value;
    this.initialized[i] = 1;
    this.ibc[i] = this.lambdaSq + this.complementSq * this.ibc[i];
  }

  update(value: number): void {
    if (this.drift) this.reset();
    this.push(TOTAL, value);

    // McDiarmid's bound on the global EWMA at the drift confidence, as River's cut-point updates.
    let eps = Math.sqrt((this.ibc[TOTAL] * this.logDrift) / 2);
    if (this.ewma[TOTAL] + eps < this.incrCutpoint) {
      this.incrCutpoint = this.ewma[TOTAL] + eps;
      this.copyTotal(S1_INCR);
      this.clear(S2_INCR);
    } else {
      this.push(S2_INCR, value);
    }
    if (this.changed(S1_INCR, S2_INCR, false)) {
      this.warning = false;
      this.drift = true;
    } else {
      this.warning = this.changed(S1_INCR, S2_INCR, true);
      this.drift = false;
    }

    eps = Math.sqrt((this.ibc[TOTAL] * this.logDrift) / 2);
    if (this.ewma[TOTAL] - eps > this.decrCutpoint) {
      this.decrCutpoint = this.ewma[TOTAL] - eps;
      this.copyTotal(S1_DECR);
      this.clear(S2_DECR);
    } else {
      this.push(S2_DECR, value);
    }
    if (this.twoSided) {
      if (this.changed(S2_DECR, S1_DECR, false)) this.drift = true;
      else if (this.changed(S2_DECR, S1_DECR, true)) this.warning = true;
    }
  }

  private reset(): void {
    for (let i = 0; i < 5; i++) this.clear(i);
    this.incrCutpoint = Number.POSITIVE_INFINITY;
    this.decrCutpoint = Number.NEGATIVE_INFINITY;
    this.drift = false;
    this.warning = false;
  }

  get driftDetected(): boolean {
    return this.drift;
  }

  get warningDetected(): boolean {
    return this.warning;
  }

  /** The exponentially weighted mean of the values since the last reset. */
  get estimate(): number | null {
    return this.initialized[TOTAL] === 0 ? null : this.ewma[TOTAL];
  }

  get state(): HddmWState {
    const sample = (i: number): EwmaSampleState => ({
      ewma: this.ewma[i],
      ibc: this.ibc[i],
      initialized: this.initialized[i] === 1,
    });
    return {
      total: sample(TOTAL),
      s1_incr: sample(S1_INCR),
      s2_incr: sample(S2_INCR),
      s1_decr: sample(S1_DECR),
      s2_decr: sample(S2_DECR),
      incr_cutpoint: this.incrCutpoint === Number.POSITIVE_INFINITY ? null : this.incrCutpoint,
      decr_cutpoint: this.decrCutpoint === Number.NEGATIVE_INFINITY ? null : this.decrCutpoint,
      drift_detected: this.drift,
      warning_detected: this.warning,
    };
  }
}

/**
 * HDDM_W (Frías-Blanco et al. 2014): the weighted variant of HDDM. It keeps an EWMA of the
 * values (weight `lambda_val` on the newest) and, at the cut point where EWMA + ε was lowest, the
 * EWMA before it and a fresh EWMA after it. McDiarmid's inequality bounds their difference by
 * ε = sqrt((ibc₁ + ibc₂) · ln(1 / confidence) / 2), where ibc = Σ w_i² of each EWMA's weights: a
 * drift when the EWMA after the cut exceeds the one before by ε at `drift_confidence`, a warning at
 * `warning_confidence`. With `two_sided_test`, decreases are tested the same way. Starts over after
 * a drift. Reacts faster than HDDM_A to abrupt change. Matches River's `drift.binary.HDDMW`
 * decision for decision; the logarithms of the confidences come from V8's `Math.log`, which
 * equals glibc's (River's) for the default confidences and may differ from it by one ulp for others.
 *
 * Input: values in [0, 1], typically 0/1 errors. Not mergeable: the cut points are chosen along
 * the stream and an EWMA's weights depend on a value's position.
 *
 * @example
 * // 10% errors, then 50% (River's HDDMW gives the same indices):
 * const errors = Array.from({ length: 2000 }, (_, i) => (i < 1000 ? +(i % 10 === 0) : i % 2));
 * const { drifts, warnings } = replay(detectors.hddm_w.create({}), errors);
 * drifts // [1035]
 * warnings[0] // 1025
 */
export const hddmW: DetectorKind<HddmWParams, HddmWState> = {
  description:
    "HDDM_W: drift in a bounded weighted mean by McDiarmid's inequality (Frías-Blanco et al. 2014)",
  reference:
    "Frías-Blanco et al. (2014), Online and non-parametric drift detection methods based on Hoeffding's bounds, IEEE TKDE 27(3); River drift.binary.HDDMW",
  input: "bounded",
  warns: true,
  schema,
  example: { drift_confidence: 0.001, warning_confidence: 0.005, lambda_val: 0.05, two_sided_test: false },
  check: () => [],
  create: (params, state) => new HddmWDetector(params, state),
  merge: null,
};
