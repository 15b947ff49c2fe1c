import { basename } from "node:path";
import { expectObject } from "../shape.js";
import { type MultivariateTestName, multivariateTest } from "../stats/multivariate/registry.js";
import type { MultivariateTest, Rows, RunContext } from "../stats/multivariate/types.js";
import {
  checkSample,
  emptySample,
  type SampleState,
  sampled,
  sampleRows,
  updateSample,
} from "../windows/sample.js";
import {
  type ClosedWindow,
  checkWindowState,
  type EventMeta,
  Windower,
  type WindowState,
} from "../windows/window.js";
import { DEFAULT_SAMPLE, type MultivariateMonitorConfig } from "./config.js";
import { columnNames, dimOf, type RowShape, rowAssembler } from "./reference.js";

/** What triggered an evaluation. */
export type Trigger = "window_close";

/** One side of a comparison as the test saw it. */
export interface SideCounts {
  /** Complete rows seen. */
  readonly rows: number;
  /** Rows the test ran on: all of them, or the sample. */
  readonly sampled_rows: number;
  /** Rows with a feature absent or null. */
  readonly missing: number;
  /** Rows with a value of the wrong shape (not a number, a vector of another length). */
  readonly invalid: number;
}

/** One evaluated window of a multivariate monitor. */
export interface MultivariateResult {
  readonly monitor: string;
  readonly trigger: Trigger;
  /** The reference the window was compared with (`first:1000`, `file:reference.jsonl`). */
  readonly reference: string;
  readonly window: Omit<ClosedWindow, "features">;
  /** The test's registry name. */
  readonly test: MultivariateTestName;
  /** The features taken together, in the config's order. */
  readonly features: readonly string[];
  /** Numbers per row. */
  readonly dimension: number;
  /** The test's statistic; null when the window was skipped. */
  readonly statistic: number | null;
  readonly p_value: number | null;
  /** What the statistic or p-value was compared with (alpha, or the upper threshold). */
  readonly threshold: number | null;
  readonly drift: boolean;
  /** The test's own details (bandwidth, components, the features that separate the samples, …). */
  readonly details: Readonly<Record<string, unknown>>;
  readonly reference_rows: SideCounts;
  readonly current_rows: SideCounts;
  /** True when either side held more rows than it kept: the test ran on samples. */
  readonly sampled: boolean;
  /** The seed of the sample and of every random draw of the test. */
  readonly seed: number;
  /** Why the window could not be compared (too few complete rows), when it could not. */
  readonly skipped: string | null;
  /** Wall time the evaluation took, in seconds. */
  readonly duration_secs: number;
}

/** Checkpointed state of a multivariate monitor. */
export interface MultivariateMonitorState {
  /** The reference being collected from the stream (`first`), or null when loaded from a file. */
  readonly collecting: { sample: SampleState; events: number } | null;
  readonly window: WindowState;
}

/** Checks a multivariate monitor's state read back from a checkpoint (throws a `StateShapeError`). */
export function checkMultivariateMonitorState(value: unknown, path: string): void {
  const state = expectObject(value, path);
  if (state.collecting !== null) {
    const collecting = expectObject(state.collecting, `${path}/collecting`);
    checkSample(collecting.sample, `${path}/collecting/sample`);
  }
  checkWindowState(state.window, `${path}/window`);
}

/** The name under which a window keeps its rows. */
const ROWS = "rows";

function countsOf(sample: SampleState): SideCounts {
  return {
    rows: sample.seen,
    sampled_rows: sample.priorities.length,
    missing: sample.missing,
    invalid: sample.invalid,
  };
}

/**
 * A multivariate monitor: a bounded sample of the reference's rows, windows of sampled rows, and a
 * registered multivariate test on each closed window. What the test learns from the reference (a
 * PCA, a bandwidth, thresholds) is fitted once, when the reference is complete, and again only if
 * it changes. Its state is plain data, restored through the constructor.
 */
export class MultivariateMonitor {
  private readonly windower: Windower;
  private readonly test: MultivariateTest<unknown, unknown>;
  private readonly options: unknown;
  private readonly assemble: (values: Readonly<Record<string, unknown>>) => unknown;
  private readonly context: RunContext;
  private readonly size: number;
  private readonly seed: number;
  private readonly dim: number;
  private readonly input: Record<string, unknown> = { [ROWS]: null };
  /** The complete reference; null while a `first` reference is collected. */
  private current: SampleState | null;
  private collecting: MultivariateMonitorState["collecting"];
  private fitted: { rows: Rows; model: unknown } | null = null;

  constructor(
    readonly name: string,
    readonly config: MultivariateMonitorConfig,
    shape: RowShape,
    /** The reference read from a file (a sample, seeded with `seed`); null for a `first` reference. */
    reference: SampleState | null,
    state?: MultivariateMonitorState,
  ) {
    this.size = config.sample ?? DEFAULT_SAMPLE;
    this.seed = config.seed ?? 0;
    this.dim = dimOf(shape);
    this.test = multivariateTest(config.test);
    this.options = this.test.options((config.options ?? {}) as Record<string, unknown>);
    this.context = { alpha: config.alpha ?? 0.05, seed: this.seed, names: columnNames(shape) };
    this.assemble = rowAssembler(shape);
    this.current = reference;
    this.collecting = state?.collecting ?? null;
    if (reference === null && this.collecting === null)
      this.collecting = { sample: emptySample(this.dim, this.size, this.seed), events: 0 };
    if (this.collecting !== null && this.referenceComplete(this.collecting.events))
      this.current = this.collecting.sample;
    // The windows' rows are sampled with another seed than the reference's, so that a row seen in
    // both is not kept or dropped on both sides together.
    this.windower = new Windower(
      config.window,
      { [ROWS]: { kind: "sample", dim: this.dim, size: this.size, seed: (this.seed + 1) >>> 0 } },
      state?.window,
    );
  }

  private referenceComplete(events: number): boolean {
    return this.config.reference.type === "first" && events >= this.config.reference.events;
  }

  /** The monitor's state as plain data, for checkpoints. */
  get state(): MultivariateMonitorState {
    return { collecting: this.collecting, window: this.windower.state };
  }

  /** The reference's label (`first:N`, `file:NAME`). */
  get reference(): string {
    const ref = this.config.reference;
    return ref.type === "first" ? `first:${ref.events}` : `${ref.type}:${basename(ref.path)}`;
  }

  /** Events in the reference so far. */
  get referenceEvents(): number {
    if (this.collecting !== null) return this.collecting.events;
    const ref = this.current as SampleState;
    return ref.seen + ref.missing + ref.invalid;
  }

  /** Events that arrived after their time window closed. */
  get lateEvents(): number {
    return this.windower.state.late;
  }

  /** True when the window follows processing time and needs `tick`. */
  get needsTick(): boolean {
    return this.windower.processingTime;
  }

  /**
   * Adds one event's feature values: to the reference while a `first` reference fills, afterwards
   * to the window. Returns the evaluations of windows this event closed.
   */
  add(
    values: Readonly<Record<string, unknown>>,
    now: number,
    eventTime: number | null,
    meta: EventMeta = {},
  ) {
    const row = this.assemble(values);
    if (this.current === null) {
      const collecting = this.collecting as NonNullable<MultivariateMonitorState["collecting"]>;
      collecting.events++;
      updateSample(collecting.sample, row);
      if (this.referenceComplete(collecting.events)) this.current = collecting.sample;
      return [];
    }
    this.input[ROWS] = row;
    const time = this.windower.processingTime ? now : (eventTime ?? now);
    return this.closed(this.windower.add(this.input, time, eventTime, meta));
  }

  /** Closes processing-time windows that ended by `now`. */
  tick(now: number): MultivariateResult[] {
    if (this.current === null) return [];
    return this.closed(this.windower.tick(now));
  }

  /** Closes the open window as it stands (the end of a replay). */
  flush(_now: number): MultivariateResult[] {
    if (this.current === null) return [];
    const window = this.windower.flush();
    return window === null ? [] : this.closed([window]);
  }

  private closed(windows: readonly ClosedWindow[]): MultivariateResult[] {
    return windows.map((window) => this.evaluate(window));
  }

  /** The reference's rows and what the test learnt from them, fitted on first use. */
  private fit(): { rows: Rows; model: unknown } {
    if (this.fitted === null) {
      const rows = sampleRows(this.current as SampleState);
      this.fitted = { rows, model: this.test.fit(rows, this.options, this.context) };
    }
    return this.fitted;
  }

  private evaluate(window: ClosedWindow): MultivariateResult {
    const started = performance.now();
    const reference = this.current as SampleState;
    const current = window.features[ROWS] as SampleState;
    const { features: _features, ...bounds } = window;
    const base = {
      monitor: this.name,
      trigger: "window_close" as const,
      reference: this.reference,
      window: bounds,
      test: this.config.test,
      features: this.config.features,
      dimension: this.dim,
      reference_rows: countsOf(reference),
      current_rows: countsOf(current),
      sampled: sampled(reference) || sampled(current),
      seed: this.seed,
    };
    const few =
      reference.priorities.length < 2 ? "reference" : current.priorities.length < 2 ? "window" : null;
    if (few !== null) {
      return {
        ...base,
        statistic: null,
        p_value: null,
        threshold: null,
        drift: false,
        details: {},
        skipped: `fewer than 2 complete rows in the ${few}`,
        duration_secs: (performance.now() - started) / 1000,
      };
    }
    const { rows, model } = this.fit();
    const result = this.test.run(model, rows, sampleRows(current), this.options, this.context);
    return {
      ...base,
      statistic: result.statistic,
      p_value: result.pValue,
      threshold: result.threshold,
      drift: result.drift,
      details: result.details,
      skipped: null,
      duration_secs: (performance.now() - started) / 1000,
    };
  }
}
