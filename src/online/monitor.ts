import { type RowShape, rowAssembler } from "../multivariate/reference.js";
import { expectArray, expectCount, expectObject, expectOneOf } from "../shape.js";
import { calibrate, type OnlineCalibration } from "../stats/online/calibrate.js";
import { type CvmOnlineState, cvmOnline } from "../stats/online/cvm.js";
import { type FetOnlineState, fetOnline } from "../stats/online/fet.js";
import {
  calibrateMmd,
  MMD_DEFAULT_N_BOOTSTRAPS,
  type MmdOnlineCalibration,
  type MmdOnlineState,
  mmdOnline,
} from "../stats/online/mmd.js";
import type { OnlineDetector, OnlineUpdate } from "../stats/online/types.js";
import {
  checkSample,
  emptySample,
  isVector,
  type SampleState,
  sampleRows,
  updateSample,
} from "../windows/sample.js";
import type { OnlineMonitorConfig } from "./config.js";

/** The detectors of an online drift monitor. */
export type OnlineDetectorName = "cvm" | "fet" | "mmd";

/** Reference rows kept for the mmd detector when the config names none (its kernel is n × n). */
export const DEFAULT_MMD_SAMPLE = 1000;

/** What a monitor tests, from its config and the features it names. */
export interface OnlineSubject {
  readonly detector: OnlineDetectorName;
  /** Its name in results and metric labels: the feature, or a set's features joined by "+". */
  readonly name: string;
  /** mmd: how an event's features make a row (a vector feature, or a set of numeric features). */
  readonly shape: RowShape | null;
}

/** Where in its source an event sits, for the detection's context. */
export interface OnlinePosition {
  readonly key: string;
  readonly offset: number;
}

/** What every online result carries. */
interface OnlineCommon {
  readonly monitor: string;
  readonly feature: string;
  readonly detector: OnlineDetectorName;
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

/**
 * A `first` reference the detector could not be calibrated on (a binary feature with one value
 * only, too few rows for the window): said once, and the next events collect a new one.
 */
export interface OnlineReferenceFailure extends OnlineCommon {
  readonly kind: "reference_failed";
  readonly reason: string;
  /** Events the failed reference held. */
  readonly reference_events: number;
}

/** What an online drift monitor produces. */
export type OnlineResult = OnlineDetection | OnlineRecovery | OnlineSummary | OnlineReferenceFailure;

/** Checkpointed state of an online drift monitor. */
export interface OnlineMonitorState {
  /**
   * A `first` reference collected from the stream (kept once complete); null for a file: the
   * values (cvm, fet), or a bounded sample of rows (mmd).
   */
  readonly collecting: { values: number[] } | { sample: SampleState } | null;
  /** The detector's own state (its windows and run length); null until the reference is complete. */
  readonly detector: CvmOnlineState | FetOnlineState | MmdOnlineState | null;
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
    if ("sample" in collecting) checkSample(collecting.sample, `${path}/collecting/sample`);
    else expectArray(collecting.values, `${path}/collecting/values`);
  }
  if (state.detector !== null) {
    // The detector's own restore checks its values against its windows and its calibration.
    const detector = expectObject(state.detector, `${path}/detector`);
    expectCount(detector.t, `${path}/detector/t`);
    expectArray("rows" in detector ? detector.rows : detector.values, `${path}/detector/values`);
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

/** A detector of any kind, as the monitor drives it. */
type AnyDetector = OnlineDetector<
  CvmOnlineState | FetOnlineState | MmdOnlineState,
  number & ArrayLike<number>
>;

/**
 * An online drift monitor: one feature's values (or a vector's, or a set's rows) tested event by
 * event against a reference, by an online detector whose thresholds were simulated, when the
 * reference became complete, for the configured expected run time. It reports each detection at
 * once, a recovery once every window has refilled without another, and a summary at the end of a
 * replay.
 */
export class OnlineMonitor {
  private collecting: OnlineMonitorState["collecting"];
  private detector: AnyDetector | null = null;
  private calibration: OnlineCalibration | MmdOnlineCalibration | null = null;
  private restoredDetector: OnlineMonitorState["detector"];
  private events: number;
  private detections: number;
  private alarmed: boolean;
  private missing: number;
  private invalid: number;
  private last: OnlineUpdate | null = null;
  /** What had been seen at the last `flush`, which sums a replay up once. */
  private flushedAt: number | null = null;
  private readonly kind: OnlineDetectorName;
  private readonly maxWindow: number;
  private readonly read: (values: Readonly<Record<string, unknown>>) => unknown;

  constructor(
    readonly name: string,
    readonly config: OnlineMonitorConfig,
    private readonly subject: OnlineSubject,
    /** The reference from a file: values (cvm, fet) or a sample of rows (mmd); null for a `first` reference. */
    private reference: number[] | SampleState | null,
    state?: OnlineMonitorState,
  ) {
    this.kind = subject.detector;
    this.maxWindow = Math.max(...config.window_sizes);
    this.read = subject.shape === null ? (values) => values[subject.name] : rowAssembler(subject.shape);
    const dim =
      subject.shape === null
        ? 0
        : subject.shape.kind === "vector"
          ? subject.shape.dim
          : subject.shape.features.length;
    this.collecting =
      state?.collecting ??
      (reference !== null
        ? null
        : this.kind === "mmd"
          ? { sample: emptySample(dim, config.sample ?? DEFAULT_MMD_SAMPLE, config.seed ?? 0) }
          : { values: [] });
    if (this.reference === null && this.complete()) this.reference = this.collected();
    this.restoredDetector = state?.detector ?? null;
    this.events = state?.events ?? 0;
    this.detections = state?.detections ?? 0;
    this.alarmed = state?.alarmed ?? false;
    this.missing = state?.missing ?? 0;
    this.invalid = state?.invalid ?? 0;
  }

  /** What a `first` reference has collected: values, or the sample of rows. */
  private collected(): number[] | SampleState {
    const collecting = this.collecting as NonNullable<OnlineMonitorState["collecting"]>;
    return "sample" in collecting ? collecting.sample : collecting.values;
  }

  /** Events a `first` reference has taken so far. */
  private collectedEvents(): number {
    const collected = this.collected();
    return Array.isArray(collected) ? collected.length : collected.seen;
  }

  /** True once a `first` reference has all its values (always for a file reference). */
  private complete(): boolean {
    const ref = this.config.reference;
    return this.collecting === null || (ref.type === "first" && this.collectedEvents() >= ref.events);
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

  /** Values (or rows) in the reference so far. */
  get referenceEvents(): number {
    const reference = this.reference;
    if (reference === null) return this.collecting === null ? 0 : this.collectedEvents();
    return Array.isArray(reference) ? reference.length : reference.seen;
  }

  /** The last event's statistics and thresholds, and the calibration, for the gauges. */
  get current(): {
    readonly update: OnlineUpdate | null;
    readonly calibration: OnlineCalibration | MmdOnlineCalibration | null;
  } {
    return { update: this.last, calibration: this.calibration };
  }

  /**
   * Calibrates the detector now, when its reference is complete (a file, or a restored `first`
   * one), rather than at the next event, and restores the checkpointed detector state against it;
   * throws a RangeError saying why when the reference or that state cannot be used.
   */
  prepare(): void {
    if (this.reference !== null) this.ready();
  }

  /** The detector, calibrated on first use once the reference is complete. */
  private ready(): AnyDetector {
    if (this.detector !== null) return this.detector;
    const seed = this.config.seed ?? 0;
    const restored = this.restoredDetector ?? undefined;
    if (this.kind === "mmd") {
      const rows = sampleRows(this.reference as SampleState);
      const calibration = calibrateMmd(
        rows,
        {
          ert: this.config.ert,
          window_size: this.config.window_sizes[0],
          n_bootstraps: this.config.n_bootstraps ?? MMD_DEFAULT_N_BOOTSTRAPS,
          bandwidth: this.config.bandwidth,
        },
        seed,
      );
      this.calibration = calibration;
      this.detector = mmdOnline(rows, calibration, restored as MmdOnlineState | undefined) as AnyDetector;
    } else {
      const reference = this.reference as number[];
      const common = {
        ert: this.config.ert,
        window_sizes: this.config.window_sizes,
        n_bootstraps: this.config.n_bootstraps,
      };
      if (this.kind === "cvm") {
        const calibration = calibrate(reference, { type: "cvm", ...common, ties: this.config.ties }, seed);
        this.calibration = calibration;
        this.detector = cvmOnline(
          reference,
          calibration,
          restored as CvmOnlineState | undefined,
        ) as AnyDetector;
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
          restored as FetOnlineState | undefined,
        ) as AnyDetector;
      }
    }
    this.restoredDetector = null;
    return this.detector;
  }

  /** The value the detector takes from an event's feature values: null when missing, undefined when invalid. */
  private valueOf(values: Readonly<Record<string, unknown>>): number | number[] | null | undefined {
    const raw = this.read(values);
    if (this.kind !== "mmd") return valueFor(this.kind, this.config.positive, raw);
    if (raw === null || raw === undefined) return null;
    const shape = this.subject.shape as RowShape;
    const dim = shape.kind === "vector" ? shape.dim : shape.features.length;
    return isVector(raw, dim) ? raw : undefined;
  }

  /** Tests one event's feature values; returns a detection or a recovery when this event gave one. */
  add(
    values: Readonly<Record<string, unknown>>,
    eventTime: number | null,
    position: OnlinePosition | null,
  ): OnlineResult[] {
    const x = this.valueOf(values);
    if (x === null || x === undefined) {
      if (x === null) this.missing++;
      else this.invalid++;
      return [];
    }
    if (this.reference === null) {
      const collected = this.collected();
      if (Array.isArray(collected)) collected.push(x as number);
      else updateSample(collected, x);
      if (!this.complete()) return [];
      this.reference = collected;
      try {
        this.ready();
      } catch (error) {
        if (!(error instanceof RangeError)) throw error;
        // Not a reference this detector can be calibrated on: said, and collected anew.
        const failed = this.referenceEvents;
        this.reference = null;
        this.collecting = Array.isArray(collected)
          ? { values: [] }
          : { sample: emptySample(collected.dim, collected.size, collected.seed) };
        return [
          {
            monitor: this.name,
            feature: this.subject.name,
            detector: this.kind,
            events: this.events,
            kind: "reference_failed",
            reason: error.message,
            reference_events: failed,
          },
        ];
      }
      return [];
    }
    const update = this.ready().update(x as number & ArrayLike<number>);
    this.last = update;
    this.events++;
    const common = {
      monitor: this.name,
      feature: this.subject.name,
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
        feature: this.subject.name,
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
