/**
 * The Page-Hinkley test (Page 1954, "Continuous Inspection Schemes", Biometrika 41: 100–115;
 * as a drift detector, Mouss, Mouss, Mouss & Sefouhi 2004, "Test of Page-Hinkley, an approach for
 * fault detection in an agro-alimentary production system", ASCC 2004), as River's
 * `drift.PageHinkley`.
 */

import type { JSONSchemaType } from "ajv";
import type { Detector, DetectorKind } from "./types.js";

/** Which changes of the mean Page-Hinkley looks for. */
export type PageHinkleyMode = "up" | "down" | "both";

/** Page-Hinkley's params, with River's names and defaults. */
export interface PageHinkleyParams {
  /** Values seen before a drift can be signalled (default 30). */
  readonly min_instances?: number;
  /** Magnitude of change tolerated per value (default 0.005). */
  readonly delta?: number;
  /** The detection threshold lambda on the cumulative deviation (default 50). */
  readonly threshold?: number;
  /** Forgetting factor of the cumulative sums (default 1 − 0.0001). */
  readonly alpha?: number;
  /** Look for increases, decreases or both (default "both"). */
  readonly mode?: PageHinkleyMode;
}

/** Page-Hinkley's state: the running mean and the two cumulative deviations with their extremes. */
export interface PageHinkleyState {
  /** Values seen since the last reset. */
  readonly n: number;
  /** Running mean of the values (River's `stats.Mean`). */
  readonly mean: number;
  readonly sum_increase: number;
  readonly sum_decrease: number;
  /** Lowest `sum_increase` so far; null stands for River's initial +inf. */
  readonly min_increase: number | null;
  /** Highest `sum_decrease` so far; River starts it at -1. */
  readonly max_decrease: number;
  readonly drift_detected: boolean;
}

const schema: JSONSchemaType<PageHinkleyParams> = {
  type: "object",
  description:
    "Page-Hinkley (Page 1954) on a stream of numbers: drift when the cumulative deviation from the mean exceeds a threshold",
  properties: {
    min_instances: {
      type: "integer",
      nullable: true,
      minimum: 0,
      default: 30,
      description: "values seen before a drift can be signalled",
    },
    delta: {
      type: "number",
      nullable: true,
      minimum: 0,
      default: 0.005,
      description: "magnitude of change tolerated per value",
    },
    threshold: {
      type: "number",
      nullable: true,
      exclusiveMinimum: 0,
      default: 50.0,
      description: "the detection threshold (lambda) on the cumulative deviation",
    },
    alpha: {
      type: "number",
      nullable: true,
      exclusiveMinimum: 0,
      maximum: 1,
      default: 0.9999,
      description: "forgetting factor of the cumulative deviations",
    },
    mode: {
      type: "string",
      nullable: true,
      enum: ["up", "down", "both"],
      default: "both",
      description: "look for increases (up), decreases (down) or both",
    },
  },
  required: [],
  additionalProperties: false,
};

class PageHinkleyDetector implements Detector<PageHinkleyState> {
  private readonly minInstances: number;
  private readonly delta: number;
  private readonly threshold: number;
  private readonly alpha: number;
  private readonly up: boolean;
  private readonly down: boolean;
  private n = 0;
  private mean = 0;
  private sumIncrease = 0;
  private sumDecrease = 0;
  private minIncrease = Number.POSITIVE_INFINITY;
  private maxDecrease = -1;
  private drift = false;

  constructor(params: PageHinkleyParams, state: PageHinkleyState | undefined) {
    this.minInstances = params.min_instances ?? 30;
    this.delta = params.delta ?? 0.005;
    this.threshold = params.threshold ?? 50.0;
    // River's default is written 1 - 0.0001, which is 0.9999 to the last bit.
    this.alpha = params.alpha ?? 1 - 0.0001;
    const mode = params.mode ?? "both";
    this.up = mode !== "down";
    this.down = mode !== "up";
    if (state !== undefined) {
      this.n = state.n;
      this.mean = state.mean;
      this.sumIncrease = state.sum_increase;
      this.sumDecrease = state.sum_decrease;
      this.minIncrease = state.min_increase ?? Number.POSITIVE_INFINITY;
      this.maxDecrease = state.max_decrease;
      this.drift = state.drift_detected;
    }
  }

  update(value: number): void {
    if (this.drift) this.reset();
    this.n += 1;
    this.mean += (1 / this.n) * (value - this.mean);
    const dev = value - this.mean;
    this.sumIncrease = this.alpha * this.sumIncrease + dev - this.delta;
    this.sumDecrease = this.alpha * this.sumDecrease + dev + this.delta;
    if (this.sumIncrease < this.minIncrease) this.minIncrease = this.sumIncrease;
    if (this.sumDecrease > this.maxDecrease) this.maxDecrease = this.sumDecrease;
    if (this.n >= this.minInstances) {
      this.drift =
        (this.up && this.sumIncrease - this.minIncrease > this.threshold) ||
        (this.down && this.maxDecrease - this.sumDecrease > this.threshold);
    }
  }

  private reset(): void {
    this.n = 0;
    this.mean = 0;
    this.sumIncrease = 0;
    this.sumDecrease = 0;
    this.minIncrease = Number.POSITIVE_INFINITY;
    this.maxDecrease = -1;
    this.drift = false;
  }

  get driftDetected(): boolean {
    return this.drift;
  }

  get warningDetected(): boolean {
    return false;
  }

  /** The running mean of the values since the last reset. */
  get estimate(): number | null {
    return this.n === 0 ? null : this.mean;
  }

  get state(): PageHinkleyState {
    return {
      n: this.n,
      mean: this.mean,
      sum_increase: this.sumIncrease,
      sum_decrease: this.sumDecrease,
      min_increase: this.minIncrease === Number.POSITIVE_INFINITY ? null : this.minIncrease,
      max_decrease: this.maxDecrease,
      drift_detected: this.drift,
    };
  }
}

/**
 * Page-Hinkley (Page 1954; Mouss et al. 2004): a CUSUM of the deviations x_t − x̄_t, faded by
 * `alpha` and less `delta` per value, m_T = α m_{T−1} + (x_T − x̄_T) − δ. A drift upwards is
 * m_T − min_t m_t > λ (`threshold`); downwards uses the mirrored sum with + δ. After
 * `min_instances` values it tests on every value, and starts over after a drift. No warning zone.
 * Matches River's `drift.PageHinkley` decision for decision, including its initial
 * `max_decrease` of −1 rather than −∞.
 *
 * Not mergeable: the minimum and maximum are taken along the stream.
 *
 * @example
 * // A sawtooth in [0, 1) whose mean rises by 0.5 at index 1000 (River's PageHinkley agrees):
 * const values = Array.from({ length: 2000 }, (_, i) => ((i * 7919) % 100) / 100 + (i < 1000 ? 0 : 0.5));
 * replay(detectors.page_hinkley.create({}), values).drifts // [1105]
 * replay(detectors.page_hinkley.create({ threshold: 10 }), [...Array(100).fill(0), ...Array(100).fill(1)]).drifts // [110]
 */
export const pageHinkley: DetectorKind<PageHinkleyParams, PageHinkleyState> = {
  description: "Page-Hinkley: drift in the mean by a faded cumulative sum (Page 1954)",
  reference:
    "Page (1954), Continuous Inspection Schemes, Biometrika 41; Mouss et al. (2004), ASCC 2004; River drift.PageHinkley",
  input: "real",
  warns: false,
  schema,
  example: { min_instances: 30, delta: 0.005, threshold: 50, alpha: 0.9999, mode: "both" },
  check: () => [],
  create: (params, state) => new PageHinkleyDetector(params, state),
  merge: null,
};
