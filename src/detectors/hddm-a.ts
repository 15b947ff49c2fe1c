/**
 * HDDM_A, drift detection from Hoeffding's bound on moving averages (Frías-Blanco, del
 * Campo-Ávila, Ramos-Jiménez, Morales-Bueno, Ortiz-Díaz & Caballero-Mota 2014, "Online and
 * non-parametric drift detection methods based on Hoeffding's bounds", IEEE TKDE 27(3): 810–823),
 * as River's `drift.binary.HDDMA` (itself after MOA's `HDDM_A_Test`).
 */

import type { JSONSchemaType } from "ajv";
import type { Detector, DetectorKind } from "./types.js";

/** HDDM_A's params, with River's names and defaults. */
export interface HddmAParams {
  /** Confidence level of the drift test (default 0.001). */
  readonly drift_confidence?: number;
  /** Confidence level of the warning test (default 0.005). */
  readonly warning_confidence?: number;
  /** Also look for decreases of the mean (default false: increases only). */
  readonly two_sided_test?: boolean;
}

/** A running mean as River's `stats.Mean` holds it. */
export interface MeanState {
  readonly n: number;
  readonly mean: number;
}

/** HDDM_A's state: the global mean and the two cut points' means. */
export interface HddmAState {
  /** The mean of everything since the last reset (River's `_z`). */
  readonly z: MeanState;
  /** The mean up to the cut point for increases (`_x_min`) and for decreases (`_x_max`). */
  readonly x_min: MeanState;
  readonly x_max: MeanState;
  readonly drift_detected: boolean;
  readonly warning_detected: boolean;
}

const schema: JSONSchemaType<HddmAParams> = {
  type: "object",
  description:
    "HDDM_A (Frías-Blanco et al. 2014) on values in [0, 1]: drift when the mean rises past Hoeffding's bound",
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

class HddmADetector implements Detector<HddmAState> {
  private readonly twoSided: boolean;
  // log(1 / drift_confidence) for the cut-point bound, log(2 / confidence) for the tests.
  private readonly logCut: number;
  private readonly logDrift: number;
  private readonly logWarning: number;
  private zN = 0;
  private zMean = 0;
  private minN = 0;
  private minMean = 0;
  private maxN = 0;
  private maxMean = 0;
  private drift = false;
  private warning = false;

  constructor(params: HddmAParams, state: HddmAState | undefined) {
    const driftConfidence = params.drift_confidence ?? 0.001;
    const warningConfidence = params.warning_confidence ?? 0.005;
    this.twoSided = params.two_sided_test ?? false;
    this.logCut = Math.log(1.0 / driftConfidence);
    this.logDrift = Math.log(2.0 / driftConfidence);
    this.logWarning = Math.log(2.0 / warningConfidence);
    if (state !== undefined) {
      this.zN = state.z.n;
      this.zMean = state.z.mean;
      this.minN = state.x_min.n;
      this.minMean = state.x_min.mean;
      this.maxN = state.x_max.n;
      this.maxMean = state.x_max.mean;
      this.drift = state.drift_detected;
      this.warning = state.warning_detected;
    }
  }

  update(value: number): void {
    if (this.drift) this.reset();
    this.zN += 1;
    this.zMean += (1 / this.zN) * (value - this.zMean);
    if (this.minN === 0) {
      this.minN = this.zN;
      this.minMean = this.zMean;
    }
    if (this.maxN === 0) {
      this.maxN = this.zN;
      this.maxMean = this.zMean;
    }
    // Hoeffding's bound for n values at the drift confidence, sqrt(1 / (2n) · ln(1 / δ)). Written
    // out rather than in a helper returning a double: a call V8 does not inline boxes its result.
    const epsZ = Math.sqrt((1.0 / (2 * this.zN)) * this.logCut);
    if (this.minMean + Math.sqrt((1.0 / (2 * this.minN)) * this.logCut) >= this.zMean + epsZ) {
      this.minN = this.zN;
      this.minMean = this.zMean;
    }
    if (this.maxMean - Math.sqrt((1.0 / (2 * this.maxN)) * this.logCut) <= this.zMean - epsZ) {
      this.maxN = this.zN;
      this.maxMean = this.zMean;
    }
    if (this.meanIncreased(false)) {
      this.warning = false;
      this.drift = true;
    } else {
      this.warning = this.meanIncreased(true);
      this.drift = false;
    }
    if (this.twoSided) {
      if (this.meanDecreased(false)) this.drift = true;
      else if (this.meanDecreased(true)) this.warning = true;
    }
  }

  // Hoeffding's bound on the difference of two means, with m = (n_z − n_x) / n_x · (1 / n_z):
  // eps = sqrt(m / 2 · ln(2 / confidence)). River's expression order, for identical rounding.
  private meanIncreased(warning: boolean): boolean {
    if (this.minN === this.zN) return false;
    const m = ((this.zN - this.minN) / this.minN) * (1.0 / this.zN);
    const difference = this.zMean - this.minMean;
    if (warning) return difference >= Math.sqrt((m / 2) * this.logWarning);
    return difference >= Math.sqrt((m / 2) * this.logDrift);
  }

  private meanDecreased(warning: boolean): boolean {
    if (this.maxN === this.zN) return false;
    const m = ((this.zN - this.maxN) / this.maxN) * (1.0 / this.zN);
    const difference = this.maxMean - this.zMean;
    if (warning) return difference >= Math.sqrt((m / 2) * this.logWarning);
    return difference >= Math.sqrt((m / 2) * this.logDrift);
  }

  private reset(): void {
    this.zN = 0;
    this.zMean = 0;
    this.minN = 0;
    this.minMean = 0;
    this.maxN = 0;
    this.maxMean = 0;
    this.drift = false;
    this.warning = false;
  }

  get driftDetected(): boolean {
    return this.drift;
  }

  get warningDetected(): boolean {
    return this.warning;
  }

  /** The mean of the values since the last reset. */
  get estimate(): number | null {
    return this.zN === 0 ? null : this.zMean;
  }

  get state(): HddmAState {
    return {
      z: { n: this.zN, mean: this.zMean },
      x_min: { n: this.minN, mean: this.minMean },
      x_max: { n: this.maxN, mean: this.maxMean },
      drift_detected: this.drift,
      warning_detected: this.warning,
    };
  }
}

/**
 * HDDM_A (Frías-Blanco et al. 2014): keeps the global mean Z of the values and, as cut point, the
 * prefix mean X whose Hoeffding upper bound was lowest. A drift is Z − X ≥ ε with
 * ε = sqrt(m / 2 · ln(2 / drift_confidence)), m = (n_Z − n_X) / (n_X n_Z); a warning the same at
 * `warning_confidence`. With `two_sided_test`, decreases are tested against the prefix mean with
 * the highest lower bound. Starts over after a drift. Matches River's `drift.binary.HDDMA`
 * decision for decision; the logarithms of the confidences come from V8's `Math.log`, which
 * equals glibc's (River's) for the default confidences and may differ from it by one ulp for others.
 *
 * Input: values in [0, 1] (Hoeffding's bound assumes that range), typically 0/1 errors. Not
 * mergeable: the cut points are chosen along the stream.
 *
 * @example
 * // 10% errors, then 50% (River's HDDMA gives the same indices):
 * const errors = Array.from({ length: 2000 }, (_, i) => (i < 1000 ? +(i % 10 === 0) : i % 2));
 * const { drifts, warnings } = replay(detectors.hddm_a.create({}), errors);
 * drifts // [1023]
 * warnings[0] // 1017
 */
export const hddmA: DetectorKind<HddmAParams, HddmAState> = {
  description: "HDDM_A: drift in a bounded mean by Hoeffding's inequality (Frías-Blanco et al. 2014)",
  reference:
    "Frías-Blanco et al. (2014), Online and non-parametric drift detection methods based on Hoeffding's bounds, IEEE TKDE 27(3); River drift.binary.HDDMA",
  input: "bounded",
  warns: true,
  schema,
  example: { drift_confidence: 0.001, warning_confidence: 0.005, two_sided_test: false },
  check: () => [],
  create: (params, state) => new HddmADetector(params, state),
  merge: null,
};
