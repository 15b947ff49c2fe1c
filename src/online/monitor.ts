import { expectArray, expectCount, expectObject, expectOneOf } from "../shape.js";
import { calibrate, type OnlineCalibration } from "../stats/online/calibrate.js";
import { type CvmOnlineState, cvmOnline } from "../stats/online/cvm.js";
import { type FetOnlineState, fetOnline } from "../stats/online/fet.js";
import type { OnlineDetector, OnlineUpdate } from "../stats/online/types.js";
import type { OnlineMonitorConfig } from "./config.js";

/** Where in its source an event sits, for the detection's context. */
export interface OnlinePosition {
  readonly key: string;
  readonly offset: number;
}

/** What every online result carries. */
interface OnlineCommon {
  readonly monitor: string;
  readonly feature: string;
  readonly detector: "cvm" | "fet";
  /** Events tested so far (valid values after the reference), this one included. */
  readonly events: number;
}

/** The detector found drift at one event. */
export interface OnlineDetection extends OnlineCommon {
  readonly kind: "detection";
  /** Events since the start or the previous detection: the run length. */
  readonly t: number;
  readonly window_sizes: readonly number[];
  /** Each window's statistic and threshold at this event (null while a window is not full). */
  readonly statistics: readonly (number | null)[];
  readonly thresholds: readonly (number | null)[];
  readonly ert: number;
  /** Detections so far, this one included. */
  readonly detections: number;
  readonly event_time: number | null;
  readonly position: OnlinePosition | null;
}

/** Every window has refilled since the last detection without another one. */
export interface OnlineRecovery extends OnlineCommon {
  readonly kind: "recovered";
  /** Events since that detection. */
  readonly t: number;
}

/** The end of a replay: how many events were tested and how many detections they gave. */
export interface OnlineSummary extends OnlineCommon {
  readonly kind: "summary";
  readonly detections: number;
  readonly ert: number;
  /** What a stationary stream of this length would give on average: events / ert. */
  readonly expected_false_alarms: number;
  readonly missing: number;
  readonly invalid: number;
  /** Values in the reference (so far, while a `first` reference fills). */
  readonly reference_events: number;
  /** False when a `first` reference never filled: nothing was tested. */
  readonly reference_complete: boolean;
}

/** What an online drift monitor produces. */
export type OnlineResult = OnlineDetection | OnlineRecovery | OnlineSummary;

/** Checkpointed state of an online drift monitor. */
export interface OnlineMonitorState {
  /** A `first` reference's values, collected from the stream (kept once complete); null for a file. */
  readonly collecting: { values: number[] } | null;
  /** The detector's own state (its windows and run length); null until the reference is complete. */
  readonly detector: CvmOnlineState | FetOnlineState | null;
  readonly events: number;
  readonly detections: number;
  /** True after a detection until every window has refilled without another. */
  readonly alarmed: boolean;
  readonly missing: number;
  readonly invalid: number;
}

/** Checks an online monitor's state read back from a checkpoint (throws a `StateShapeError`). */
export function checkOnlineMonitorState(value: unknown, path: string): void {
  const state = expectObject(value, path);
  if (state.collecting !== null) {
    const collecting = expectObject(state.collecting, `${path}/collecting`);
    expectArray(collecting.values, `${path}/collecting/values`);
  }
  if (state.detector !== null) {
    const detector = expectObject(state.detector, `${path}/detector`);
    expectCount(detector.t, `${path}/detector/t`);
    expectArray(detector.values, `${path}/detector/values`);
  }
  for (const key of ["events", "detections", "missing", "invalid"]) expectCount(state[key], `${path}/${key}`);
  expectOneOf(state.alarmed, [true, false], `${path}/alarmed`);
}

/**
 * The value an event gives a detector: a finite number for cvm; 0 or 1 for fet (the `positive`
 * value is 1 and any other 0; without `positive`, true and 1 are 1, false and 0 are 0). `null` for
 * a missing value, `undefined` for one the detector cannot take.
 */
export function valueFor(
  detector: "cvm" | "fet",
  positive: string | number | boolean | undefined,
  value: unknown,
): number | null | undefined {
  if (value === undefined || value === null) return null;
  if (detector === "cvm") return typeof value === "number" && Number.isFinite(value) ? value : undefined;
  if (positive !== undefined) {
    if (typeof value === "object") return undefined;
    return value === positive || String(value) === String(positive) ? 1 : 0;
  }
  if (value === true || value === 1) return 1;
  if (value === false || value === 0) return 0;
  return undefined;
}

/**
 * An online drift monitor: one feature's values tested event by event against a reference, by an
 * online detector whose thresholds were simulated, when the reference became complete, for the
 * configured expected run time. It reports each detection at once, a recovery once every window
 * has refilled without another, and a summary at the end of a replay.
 */
export class OnlineMonitor {
  private collecting: { values: number[] } | null;
  private detector: OnlineDetector<CvmOnlineState | FetOnlineState, number> | null = null;
  private calibration: OnlineCalibration | null = null;
  private restoredDetector: CvmOnlineState | FetOnlineState | null;
  private events: number;
  private detections: number;
  private alarmed: boolean;
  private missing: number;
  private invalid: number;
  private last: OnlineUpdate | null = null;
  /** What had been seen at the last `flush`, which sums a replay up once. */
  private flushedAt: number | null = null;
  private readonly kind: "cvm" | "fet";
  private readonly maxWindow: number;

  constructor(
    readonly name: string,
    readonly config: OnlineMonitorConfig,
    kind: "cvm" | "fet",
    /** The reference's values from a file; null for a `first` reference. */
    private reference: number[] | null,
    state?: OnlineMonitorState,
  ) {
    this.kind = kind;
    this.maxWindow = Math.max(...config.window_sizes);
    this.collecting = state?.collecting ?? (reference === null ? { values: [] } : null);
    if (this.complete()) this.reference = this.reference ?? (this.collecting as { values: number[] }).values;
    this.restoredDetector = state?.detector ?? null;
    this.events = state?.events ?? 0;
    this.detections = state?.detections ?? 0;
    this.alarmed = state?.alarmed ?? false;
    this.missing = state?.missing ?? 0;
    this.invalid = state?.invalid ?? 0;
  }

  /** True once a `first` reference has all its values (always for a file reference). */
  private complete(): boolean {
    const ref = this.config.reference;
    return this.collecting === null || (ref.type === "first" && this.collecting.values.length >= ref.events);
  }

  /** The monitor's state as plain data, for checkpoints. */
  get state(): OnlineMonitorState {
    return {
      collecting: this.collecting,
      detector: this.detector?.state ?? this.restoredDetector,
      events: this.events,
      detections: this.detections,
      alarmed: this.alarmed,
      missing: this.missing,
      invalid: this.invalid,
    };
  }

  /** The reference's label (`first:N`, `file:NAME`). */
  get referenceLabel(): string {
    const ref = this.config.reference;
    return ref.type === "first" ? `first:${ref.events}` : `file:${ref.path.split("/").pop()}`;
  }

  /** Values in the reference so far. */
  get referenceEvents(): number {
    return this.reference?.length ?? this.collecting?.values.length ?? 0;
  }

  /** The last event's statistics and thresholds, and the calibration, for the gauges. */
  get current(): { readonly update: OnlineUpdate | null; readonly calibration: OnlineCalibration | null } {
    return { update: this.last, calibration: this.calibration };
  }

  /** The detector, calibrated on first use once the reference is complete. */
  private ready(): OnlineDetector<CvmOnlineState | FetOnlineState, number> {
    if (this.detector !== null) return this.detector;
    const reference = this.reference as number[];
    const common = {
      ert: this.config.ert,
      window_sizes: this.config.window_sizes,
      n_bootstraps: this.config.n_bootstraps,
    };
    const seed = this.config.seed ?? 0;
    if (this.kind === "cvm") {
      const calibration = calibrate(reference, { type: "cvm", ...common, ties: this.config.ties }, seed);
      this.calibration = calibration;
      this.detector = cvmOnline(
        reference,
        calibration,
        (this.restoredDetector as CvmOnlineState | null) ?? undefined,
      );
    } else {
      const calibration = calibrate(
        reference,
        {
          type: "fet",
          ...common,
          alternative: this.config.alternative,
          lam: this.config.lam,
          simulation: this.config.simulation,
          t_max: this.config.t_max,
        },
        seed,
      );
      this.calibration = calibration;
      this.detector = fetOnline(
        reference,
        calibration,
        (this.restoredDetector as FetOnlineState | null) ?? undefined,
      ) as OnlineDetector<CvmOnlineState | FetOnlineState, number>;
    }
    this.restoredDetector = null;
    return this.detector;
  }

  /** Tests one event's value; returns a detection or a recovery when this event gave one. */
  add(value: unknown, eventTime: number | null, position: OnlinePosition | null): OnlineResult[] {
    const x = valueFor(this.kind, this.config.positive, value);
    if (x === null || x === undefined) {
      if (x === null) this.missing++;
      else this.invalid++;
      return [];
    }
    if (this.reference === null) {
      const collecting = this.collecting as { values: number[] };
      collecting.values.push(x);
      if (this.complete()) this.reference = collecting.values;
      return [];
    }
    const update = this.ready().update(x);
    this.last = update;
    this.events++;
    const common = {
      monitor: this.name,
      feature: this.config.feature,
      detector: this.kind,
      events: this.events,
    };
    if (update.drift) {
      this.detections++;
      this.alarmed = true;
      return [
        {
          ...common,
          kind: "detection",
          t: update.t,
          window_sizes: this.config.window_sizes,
          statistics: update.statistics,
          thresholds: update.thresholds,
          ert: this.config.ert,
          detections: this.detections,
          event_time: eventTime,
          position,
        },
      ];
    }
    if (this.alarmed && update.t >= this.maxWindow) {
      this.alarmed = false;
      return [{ ...common, kind: "recovered", t: update.t }];
    }
    return [];
  }

  /** The end of a replay: what the stream gave (once; again only after more events). */
  flush(): OnlineResult[] {
    const seen = this.events + this.missing + this.invalid + this.referenceEvents;
    if (this.flushedAt === seen) return [];
    this.flushedAt = seen;
    return [
      {
        kind: "summary",
        monitor: this.name,
        feature: this.config.feature,
        detector: this.kind,
        events: this.events,
        detections: this.detections,
        ert: this.config.ert,
        expected_false_alarms: this.events / this.config.ert,
        missing: this.missing,
        invalid: this.invalid,
        reference_events: this.referenceEvents,
        reference_complete: this.reference !== null,
      },
    ];
  }
}
