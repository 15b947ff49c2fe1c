/**
 * DDM, the Drift Detection Method (Gama, Medas, Castillo & Rodrigues 2004, "Learning with Drift
 * Detection", SBIA 2004, LNCS 3171: 286–295), as River's `drift.binary.DDM`.
 */

import type { JSONSchemaType } from "ajv";
import type { Detector, DetectorKind } from "./types.js";

/** DDM's params, with River's names and defaults. */
export interface DdmParams {
  /** Values seen before any warning or drift can be signalled (default 30). */
  readonly warm_start?: number;
  /** Multiple of s_min above p_min + s_min that raises a warning (default 2, ~95% confidence). */
  readonly warning_threshold?: number;
  /** Multiple of s_min above p_min + s_min that signals a drift (default 3, ~99% confidence). */
  readonly drift_threshold?: number;
}

/** DDM's state: the running error rate and the point where p + s was lowest. */
export interface DdmState {
  /** Values seen since the last reset. */
  readonly n: number;
  /** Running error rate p_i (River's `stats.Mean`). */
  readonly p: number;
  /** p_i and s_i where p_i + s_i was lowest; null before the warm start ends. */
  readonly p_min: number | null;
  readonly s_min: number | null;
  /** p_min + s_min; null stands for River's initial +inf. */
  readonly ps_min: number | null;
  readonly drift_detected: boolean;
  readonly warning_detected: boolean;
}

const schema: JSONSchemaType<DdmParams> = {
  type: "object",
  description: "DDM (Gama et al. 2004) on a stream of 0/1 errors: drift when p + s exceeds p_min + k·s_min",
  properties: {
    warm_start: {
      type: "integer",
      nullable: true,
      minimum: 0,
      default: 30,
      description: "values seen before any warning or drift can be signalled",
    },
    warning_threshold: {
      type: "number",
      nullable: true,
      exclusiveMinimum: 0,
      default: 2.0,
      description: "a warning when p + s > p_min + warning_threshold * s_min",
    },
    drift_threshold: {
      type: "number",
      nullable: true,
      exclusiveMinimum: 0,
      default: 3.0,
      description: "a drift when p + s > p_min + drift_threshold * s_min",
    },
  },
  required: [],
  additionalProperties: false,
};

class DdmDetector implements Detector<DdmState> {
  private readonly warmStart: number;
  private readonly warningThreshold: number;
  private readonly driftThreshold: number;
  private n = 0;
  private p = 0;
  // River starts p_min and s_min at None and ps_min at +inf; they are set together at the first
  // value past the warm start (p + s <= inf), so 0 placeholders are never read before then.
  private pMin = 0;
  private sMin = 0;
  private psMin = Number.POSITIVE_INFINITY;
  private drift = false;
  private warning = false;

  constructor(params: DdmParams, state: DdmState | undefined) {
    this.warmStart = params.warm_start ?? 30;
    this.warningThreshold = params.warning_threshold ?? 2.0;
    this.driftThreshold = params.drift_threshold ?? 3.0;
    if (state !== undefined) {
      this.n = state.n;
      this.p = state.p;
      this.pMin = state.p_min ?? 0;
      this.sMin = state.s_min ?? 0;
      this.psMin = state.ps_min ?? Number.POSITIVE_INFINITY;
      this.drift = state.drift_detected;
      this.warning = state.warning_detected;
    }
  }

  update(value: number): void {
    if (this.drift) this.reset();
    // River's Mean: n += 1; mean += (1 / n) * (x - mean), in this order, for identical rounding.
    this.n += 1;
    this.p += (1 / this.n) * (value - this.p);
    const p = this.p;
    const s = Math.sqrt((p * (1 - p)) / this.n);
    if (this.n > this.warmStart) {
      if (p + s <= this.psMin) {
        this.pMin = p;
        this.sMin = s;
        this.psMin = p + s;
      }
      this.warning = p + s > this.pMin + this.warningThreshold * this.sMin;
      if (p + s > this.pMin + this.driftThreshold * this.sMin) {
        this.drift = true;
        this.warning = false;
      }
    }
  }

  private reset(): void {
    this.n = 0;
    this.p = 0;
    this.pMin = 0;
    this.sMin = 0;
    this.psMin = Number.POSITIVE_INFINITY;
    this.drift = false;
    this.warning = false;
  }

  get driftDetected(): boolean {
    return this.drift;
  }

  get warningDetected(): boolean {
    return this.warning;
  }

  /** The running error rate p_i since the last reset. */
  get estimate(): number | null {
    return this.n === 0 ? null : this.p;
  }

  get state(): DdmState {
    const started = this.psMin !== Number.POSITIVE_INFINITY;
    return {
      n: this.n,
      p: this.p,
      p_min: started ? this.pMin : null,
      s_min: started ? this.sMin : null,
      ps_min: started ? this.psMin : null,
      drift_detected: this.drift,
      warning_detected: this.warning,
    };
  }
}

/**
 * DDM (Gama et al. 2004): under a stationary distribution a learner's error rate p_i falls as it
 * sees more examples, with binomial standard deviation s_i = sqrt(p_i (1 − p_i) / i). DDM keeps
 * p_min and s_min where p_i + s_i was lowest and, past `warm_start` values, warns when
 * p_i + s_i > p_min + 2 s_min and signals a drift when p_i + s_i > p_min + 3 s_min, then starts
 * over. Matches River's `drift.binary.DDM` decision for decision, including River's arithmetic
 * order for the running mean.
 *
 * Input: 1 for an error, 0 for a correct prediction. Not mergeable: p_min and s_min are minima
 * along the stream, which the states of two halves do not determine.
 *
 * @example
 * // 10% errors, then 50% (River's DDM gives the same indices):
 * const errors = Array.from({ length: 2000 }, (_, i) => (i < 1000 ? +(i % 10 === 0) : i % 2));
 * const { drifts, warnings } = replay(detectors.ddm.create({}), errors);
 * drifts // [1049]
 * warnings[0] // 1023
 */
export const ddm: DetectorKind<DdmParams, DdmState> = {
  description: "DDM: drift in a 0/1 error rate by its binomial deviation (Gama et al. 2004)",
  reference:
    "Gama, Medas, Castillo, Rodrigues (2004), Learning with Drift Detection, SBIA 2004; River drift.binary.DDM",
  input: "binary",
  warns: true,
  schema,
  example: { warm_start: 30, warning_threshold: 2.0, drift_threshold: 3.0 },
  check: () => [],
  create: (params, state) => new DdmDetector(params, state),
  merge: null,
};
