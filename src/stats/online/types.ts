/**
 * Shared shapes of the online drift detectors calibrated to an expected run time (ERT): detectors
 * that test every event against a fixed reference, with thresholds simulated once so that on a
 * stationary stream the expected number of events between false alarms is the configured `ert`
 * (Ross & Adams 2012, "Two nonparametric control charts for detecting arbitrary distribution
 * changes", J. Quality Technology 44(2); Cobb, Van Looveren & Klaise 2022, "Sequential multivariate
 * change detection with calibrated and memoryless false detection rates", AISTATS; alibi-detect's
 * `CVMDriftOnline` and `FETDriftOnline`).
 *
 * Shaped like River's detectors: one verb (`update`) and one noun (`state`), the state plain JSON
 * so it can be checkpointed and handed back to the factory. Calibration is separate because it is
 * the expensive part: its result is plain JSON too, cached beside the reference it was made for.
 */

/** What every online detector is configured with. */
export interface OnlineOptionsCommon {
  /**
   * Expected run time: the mean number of events between false alarms on a stationary stream,
   * counted from the first event at which the smallest window is full (as alibi-detect counts it).
   * The false positive rate per event is 1 / ert. Greater than 1.
   */
  readonly ert: number;
  /**
   * Sizes of the sliding windows of the last events, each tested against the reference. Small
   * windows react quickly to large changes, large windows see small ones. Positive integers.
   */
  readonly window_sizes: readonly number[];
  /**
   * Simulated streams used to set the thresholds (alibi-detect's default 10000). Ideally at least
   * ten times `ert`; it must be large enough that the (1 − 1/ert) quantile is defined among the
   * streams that have not yet raised a false alarm.
   */
  readonly n_bootstraps?: number;
}

/** What the calibration of every online detector records, beside its kind's own fields. */
export interface OnlineCalibrationCommon {
  readonly ert: number;
  readonly window_sizes: readonly number[];
  readonly n_bootstraps: number;
  /** The seed of the simulation, recorded so that the same call reproduces it bit for bit. */
  readonly seed: number;
  /** Size of the reference the thresholds were simulated for; a detector checks its reference against it. */
  readonly n_reference: number;
  /** Length of the simulated streams; after `t_max` events the last threshold is used for ever. */
  readonly t_max: number;
  /**
   * `thresholds[t − 1]` is the threshold at event t (t = 1 … t_max), shared by all full windows:
   * it is the conditional (1 − 1/ert) quantile of the largest statistic over the windows among the
   * simulated streams without an earlier false alarm. null before the smallest window is full.
   */
  readonly thresholds: readonly (number | null)[];
}

/** The outcome of one event. */
export interface OnlineUpdate {
  /** Events seen since the start or the last detection, this one included (alibi-detect's `time`). */
  readonly t: number;
  /** The statistic of each window, in the order of `window_sizes`; null while that window is not full. */
  readonly statistics: readonly (number | null)[];
  /**
   * The threshold each window's statistic is compared with, in the order of `window_sizes`: the
   * same value for every full window (the threshold is calibrated on their maximum), null for a
   * window that is not full yet.
   */
  readonly thresholds: readonly (number | null)[];
  /**
   * Whether any window's statistic exceeds its threshold at this event. After a detection the
   * detector starts over (t = 0, empty windows), as alibi-detect's `reset_state()`; thresholds stay.
   */
  readonly drift: boolean;
}

/** An online detector over one feature: feed it events one at a time (V: what an event is). */
export interface OnlineDetector<S, V = number> {
  /**
   * Tests one event. Throws a RangeError for a value the detector cannot take (non-finite; for
   * FET anything but 0, 1, false and true), leaving the state unchanged.
   */
  update(value: V): OnlineUpdate;
  /** Plain JSON: pass it back to the detector's factory to resume exactly where it stopped. */
  readonly state: S;
  /** Starts over at t = 0 with empty windows, keeping the calibration (alibi-detect's `reset_state`). */
  reset(): void;
}
