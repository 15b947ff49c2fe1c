/**
 * EDDM, the Early Drift Detection Method (Baena-García, del Campo-Ávila, Fidalgo, Bifet, Gavaldà
 * & Morales-Bueno 2006, "Early Drift Detection Method", 4th ECML PKDD Workshop on Knowledge
 * Discovery from Data Streams), as River's `drift.binary.EDDM`.
 */

import type { JSONSchemaType } from "ajv";
import type { Detector, DetectorKind } from "./types.js";

/** EDDM's params, with River's names and defaults. */
export interface EddmParams {
  /** Values and errors seen before any warning or drift can be signalled (default 30). */
  readonly warm_start?: number;
  /** Warning when (p' + 2s') / (p'max + 2s'max) < alpha (default 0.95). */
  readonly alpha?: number;
  /** Drift when (p' + 2s') / (p'max + 2s'max) < beta (default 0.9); at most alpha. */
  readonly beta?: number;
}

/** EDDM's state: the running mean and variance of the distance between errors. */
export interface EddmState {
  /** Values seen since the last reset. */
  readonly n: number;
  /** Errors (1s) seen since the last reset. */
  readonly n_errors: number;
  /** Index (1-based, since the reset) of the last error; 0 before the first. */
  readonly last_error: number;
  /** River's `stats.Var` of the distances: count, mean and sum of squared deviations. */
  readonly distance_mean: number;
  readonly distance_m2: number;
  /** The largest p' + 2s' seen; -1 before the first (River's initial value). */
  readonly p2s_prime_max: number;
  readonly drift_detected: boolean;
  readonly warning_detected: boolean;
}

const schema: JSONSchemaType<EddmParams> = {
  type: "object",
  description:
    "EDDM (Baena-García et al. 2006) on a stream of 0/1 errors: drift when the distance between errors shrinks",
  properties: {
    warm_start: {
      type: "integer",
      nullable: true,
      minimum: 0,
      default: 30,
      description: "values, and errors, seen before any warning or drift can be signalled",
    },
    alpha: {
      type: "number",
      nullable: true,
      exclusiveMinimum: 0,
      maximum: 1,
      default: 0.95,
      description: "a warning when (p' + 2s') / (p'max + 2s'max) < alpha; at least beta",
    },
    beta: {
      type: "number",
      nullable: true,
      exclusiveMinimum: 0,
      maximum: 1,
      default: 0.9,
      description: "a drift when (p' + 2s') / (p'max + 2s'max) < beta",
    },
  },
  required: [],
  additionalProperties: false,
};

class EddmDetector implements Detector<EddmState> {
  private readonly warmStart: number;
  private readonly alpha: number;
  private readonly beta: number;
  private n = 0;
  private nErrors = 0;
  private lastError = 0;
  private mean = 0;
  private m2 = 0;
  private p2sMax = -1;
  private drift = false;
  private warning = false;

  constructor(params: EddmParams, state: EddmState | undefined) {
    this.warmStart = params.warm_start ?? 30;
    this.alpha = params.alpha ?? 0.95;
    this.beta = params.beta ?? 0.9;
    if (state !== undefined) {
      this.n = state.n;
      this.nErrors = state.n_errors;
      this.lastError = state.last_error;
      this.mean = state.distance_mean;
      this.m2 = state.distance_m2;
      this.p2sMax = state.p2s_prime_max;
      this.drift = state.drift_detected;
      this.warning = state.warning_detected;
    }
  }

  update(value: number): void {
    if (this.drift) this.reset();
    this.n += 1;
    if (value !== 1) return;
    this.nErrors += 1;
    // River's Var(ddof=1) over the distances: Welford with its Mean's (1 / n) * (x - mean) step.
    // Every error counts a distance, so the distances' count is nErrors.
    const distance = this.n - this.lastError;
    const meanOld = this.mean;
    this.mean += (1 / this.nErrors) * (distance - this.mean);
    this.m2 += (distance - meanOld) * (distance - this.mean);
    if (this.n > this.warmStart) {
      const variance = this.nErrors > 1 ? this.m2 / (this.nErrors - 1) : 0;
      const p2s = this.mean + 2 * Math.sqrt(variance);
      if (p2s > this.p2sMax) {
        this.p2sMax = p2s;
      } else if (this.nErrors > this.warmStart) {
        // River leaves the warning flag as it was when a drift is found (and when p2s is a new max).
        const level = p2s / this.p2sMax;
        if (level < this.beta) this.drift = true;
        else this.warning = level < this.alpha;
      }
    }
    this.lastError = this.n;
  }

  private reset(): void {
    this.n = 0;
    this.nErrors = 0;
    this.lastError = 0;
    this.mean = 0;
    this.m2 = 0;
    this.p2sMax = -1;
    this.drift = false;
    this.warning = false;
  }

  get driftDetected(): boolean {
    return this.drift;
  }

  get warningDetected(): boolean {
    return this.warning;
  }

  /** The mean distance p' between consecutive errors since the last reset; null before the first error. */
  get estimate(): number | null {
    return this.nErrors === 0 ? null : this.mean;
  }

  get state(): EddmState {
    return {
      n: this.n,
      n_errors: this.nErrors,
      last_error: this.lastError,
      distance_mean: this.mean,
      distance_m2: this.m2,
      p2s_prime_max: this.p2sMax,
      drift_detected: this.drift,
      warning_detected: this.warning,
    };
  }
}

/**
 * EDDM (Baena-García et al. 2006): tracks the distance between consecutive errors, its mean p'
 * and standard deviation s', and the maximum of p' + 2s'. When errors come closer together the
 * ratio (p' + 2s') / max falls: below `alpha` is a warning, below `beta` a drift, after which the
 * detector starts over. Faster than DDM on gradual drift. Matches River's `drift.binary.EDDM`
 * decision for decision (River's `stats.Var` arithmetic, and its warning flag, which a drift
 * leaves as it was).
 *
 * Input: 1 for an error, anything else for a correct prediction. Not mergeable: the maximum of
 * p' + 2s' is taken along the stream.
 *
 * @example
 * // Errors at multiples of 10 or 7 (~24%), then of 2 or 3 (~67%); River's EDDM gives the same:
 * const errors = Array.from({ length: 2000 }, (_, i) =>
 *   i < 1000 ? +(i % 10 === 0 || i % 7 === 0) : +(i % 3 === 0 || i % 2 === 0),
 * );
 * const { drifts, warnings } = replay(detectors.eddm.create({}), errors);
 * drifts // [1131]
 * warnings[0] // 1035
 */
export const eddm: DetectorKind<EddmParams, EddmState> = {
  description: "EDDM: drift in the distance between 0/1 errors (Baena-García et al. 2006)",
  reference: "Baena-García et al. (2006), Early Drift Detection Method, IWKDDS 2006; River drift.binary.EDDM",
  input: "binary",
  warns: true,
  schema,
  example: { warm_start: 30, alpha: 0.95, beta: 0.9 },
  check: (params) =>
    (params.alpha ?? 0.95) < (params.beta ?? 0.9)
      ? [
          {
            path: "/alpha",
            message: `must be at least beta (got alpha ${params.alpha ?? 0.95}, beta ${params.beta ?? 0.9})`,
          },
        ]
      : [],
  create: (params, state) => new EddmDetector(params, state),
  merge: null,
};
