/**
 * Shapes of the concept-drift detectors. A detector watches one stream of numbers (a model's
 * 0/1 errors, a loss, a feature) and says after each value whether the stream has changed.
 * Like River's, every detector has one verb and one noun: `update(value)` and `state`; the state
 * is plain JSON data, so it can be checkpointed and restored (and merged where the mathematics
 * allows), as OpenTelemetry's aggregators are.
 */

import type { JSONSchemaType } from "ajv";

/** One problem with a detector's parameters, like the config loader's problems. */
export interface ParamProblem {
  /** JSON pointer into the params object (`/delta`), "" for the object itself. */
  readonly path: string;
  /** A lower-case fragment naming the value and, where one exists, the fix. */
  readonly message: string;
}

/** What a detector reads: 0/1 error indicators, values in [0, 1], or any finite number. */
export type DetectorInput = "binary" | "bounded" | "real";

/**
 * A running detector. `update` never allocates (KSWIN's rare candidate windows aside), so it can
 * run on every event; reading `state` copies, so it is for checkpoints, not for the hot path.
 */
export interface Detector<S> {
  /**
   * Feeds one finite value (NaN would poison running means, as in River). After a drift, the next
   * update first resets the detector, as River does.
   */
  update(value: number): void;
  /** A JSON-serialisable snapshot; `create(params, state)` resumes exactly where this left off. */
  readonly state: S;
  /** Whether the last update detected a drift. */
  readonly driftDetected: boolean;
  /** Whether the last update is in the warning zone (always false for kinds without one). */
  readonly warningDetected: boolean;
  /** The detector's current estimate of what it monitors (error rate, mean), or null if it has none yet. */
  readonly estimate: number | null;
}

/**
 * A kind of detector, registered by the name used in config (`adwin`, `ddm`, ...). `P` is its
 * params object with River's parameter names, `S` its state.
 */
export interface DetectorKind<P, S> {
  /** One line for `list` and the docs. */
  readonly description: string;
  /** The paper the detector follows and the River class it matches. */
  readonly reference: string;
  /** What the stream must contain. */
  readonly input: DetectorInput;
  /** Whether the detector has a warning zone (then `warningDetected` is meaningful). */
  readonly warns: boolean;
  /** Its params, validated with the rest of the config; unknown keys are rejected. */
  readonly schema: JSONSchemaType<P>;
  /** A valid params object, used by the docs, `list` and the conformance test. */
  readonly example: P;
  /** Rules between params that a JSON Schema cannot state (River's constructor checks). */
  check(params: P): ParamProblem[];
  /** A new detector, or one resumed from `state` (taken from a detector with the same params). */
  create(params: P, state?: S): Detector<S>;
  /**
   * Combines the states of two detectors fed consecutive parts of a stream so that the result
   * equals one detector fed both; null where the detector is path-dependent (minima, maxima or
   * resets along the stream), which is every River detector: see each kind's documentation.
   */
  readonly merge: ((a: S, b: S) => S) | null;
}

/** A family's registry: a plain object from config name to entry, as prom-client's aggregators. */
export type Registry<K> = Readonly<Record<string, K>>;
