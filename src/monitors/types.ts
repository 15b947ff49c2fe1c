import type { AlertRuleKind } from "../alerts/types.js";
import type { Config } from "../config/types.js";
import type { ConfigProblem } from "../errors.js";
import type { Logger } from "../log.js";
import type { Metrics } from "../metrics/metrics.js";
import type { FeatureSpec } from "../windows/feature-state.js";
import type { ClosedWindow } from "../windows/window.js";

/** What a kind's factory may use while it builds a monitor: what the pipeline's `build` had. */
export interface MonitorContext {
  /** The whole loaded config (features, other monitors for `same_as` windows). */
  readonly config: Config;
  /** Resolves a path of the config (relative to the config file). */
  resolvePath(path: string): string;
  /** The clock (ms), injected so that tests drive processing time. */
  now(): number;
  /** The pipeline's log. */
  readonly log: Logger;
  /** The metrics to export into: a kind starts its known series at 0 and observes per event. */
  readonly metrics: Metrics;
  /**
   * Publishes a result at once, in the middle of a batch (a concept-drift detector that fires on
   * one event is counted and alerted on then, not at window close).
   */
  emit(result: unknown): void;
}

/**
 * Hands back the checkpointed state saved under the same identity, or undefined. The identity is
 * whatever makes a state meaningful (the monitor's config, its features, a suite's expectations):
 * when it changed, the monitor starts afresh.
 */
export type RestoreState<S> = (identity: unknown) => S | undefined;

/** One event as it reaches the monitors of its source. */
export interface MonitorInput {
  /** The source the event came from. */
  readonly source: string;
  /** The decoded, valid event. */
  readonly event: unknown;
  /** The source's feature values of this event (one object reused for every event: copy what you keep). */
  readonly values: Readonly<Record<string, unknown>>;
  /** Processing time (ms). */
  readonly now: number;
  /** The event's own time (ms), when the source has `event_time` and the event carries it. */
  readonly eventTime: number | null;
  /** Where the event sits in its source. */
  readonly position?: { readonly key: string; readonly offset: number };
}

/** Why an event is set aside as a dead letter before any monitor counts it. */
export interface Rejection {
  /** The `reason` of the dead letter (e.g. `expectation:expect_column_values_to_not_be_null`). */
  readonly reason: string;
  /** One line for people. */
  readonly detail: string;
}

/** Where a reference set while the daemon runs comes from (`driftwatch reference set --from`). */
export type ReferenceSource =
  /** A data file (columns named like the features) or a profile written by `driftwatch profile`. */
  | { readonly type: "file" | "profile"; readonly path: string }
  /** The window of that index, once it closes (windows are not kept, so it must be still to come). */
  | { readonly type: "window"; readonly index: number };

/** A running monitor: one verb for events, one for the clock, and its state for the checkpoint. */
export interface Monitor<S = unknown, R = unknown> {
  /** Its name in the config. */
  readonly name: string;
  /** The sources whose events it reads. */
  readonly sources: readonly string[];
  /** Adds one event; returns the results it produced (windows it closed). */
  add(input: MonitorInput): readonly R[];
  /**
   * Called after each batch's events are added: work the monitor queued while adding (blocks of
   * events to score on a worker thread) can start now, while the next batch is read.
   */
  endBatch?(): void;
  /**
   * Applies what the monitor deferred (events queued for a worker thread) and returns the results
   * that gives: the pipeline calls it before it stops, and a benchmark before it stops its clock.
   */
  settle?(): readonly R[];
  /** Closes what is due at `now` (processing-time windows, expired joins). */
  tick(now: number): readonly R[];
  /**
   * Closes the open window as it stands, whatever its size or time, and returns its result (none
   * when it holds no event): the end of a replay (`driftwatch report --config`), whose last window
   * would otherwise stay open.
   */
  flush(now: number): readonly R[];
  /** The state to checkpoint: plain JSON data. */
  readonly state: S;
  /** True when it needs {@link tick} (processing-time windows). */
  readonly needsTick: boolean;
  /** Events that arrived after their window closed, so far. */
  readonly lateEvents: number;
  /** Events its reference holds. */
  readonly referenceEvents: number;
  /**
   * What its results are compared with, as a short label: `first:1000`, `file:reference.csv`,
   * `window:12`, `rolling:5`. The pipeline exports it (`driftwatch_reference_info`) and logs and
   * counts every change. Absent for a kind without a reference.
   */
  readonly reference?: string;
  /**
   * Replaces the reference while the daemon runs, without losing the window in flight: a file or
   * profile at once, a window when it closes. Resolves to the new label (a pending window's
   * label once it takes effect); rejects with a `UserError` saying why it cannot.
   */
  setReference?(from: ReferenceSource): Promise<{ readonly reference: string; readonly pending: boolean }>;
  /** Exports gauges of its live state (buffers, fitted thresholds), after each batch and tick. */
  observe?(metrics: Metrics): void;
  /** A cron schedule that evaluates the open window. */
  readonly schedule?: { readonly cron: string; run(): readonly R[] };
  /**
   * Judges an event before it is routed: a rejection sends it to the dead letter, and only the
   * monitors that screen see it.
   */
  screen?(event: unknown): Rejection | null;
  /**
   * How it runs on a cluster source (several instances in one consumer group, one verdict per
   * window): absent for a monitor that cannot, whose config the loader then refuses there.
   */
  readonly cluster?: ClusterWindows<R>;
}

/**
 * A monitor's windows on a cluster source: each partition's events fill windows of their own,
 * built with these specs by whichever instance owns the partition; the window merged from every
 * partition's of the same index is judged once, by the instance that merges.
 */
export interface ClusterWindows<R> {
  /** What a window keeps of each feature (mergeable states). */
  readonly specs: Readonly<Record<string, FeatureSpec>>;
  /**
   * Each partition's windows: tumbling, by count (`events` of the partition's events: the cluster's
   * window holds this × partitions) or by event time (the cluster's window is every partition's
   * pane of the same span).
   */
  readonly window:
    | { readonly type: "tumbling"; readonly events: number }
    | { readonly type: "tumbling"; readonly duration_secs: number; readonly time: "event" };
  /** The event's id for a window's samples, or null. */
  idOf(event: unknown): string | null;
  /** Judges the window merged from every partition's: the results a single instance would give. */
  judge(window: ClosedWindow): readonly R[];
}

/**
 * A kind of monitor, registered under its config `type`: how it is built from config and restored
 * state, how its state is checked when read back, and where its results go (metrics, alerting,
 * the verdict line of `driftwatch run`).
 */
export interface MonitorKind<C = never, S = unknown, R = unknown> {
  /** The config's `type` of this kind. */
  readonly type: string;
  /**
   * The JSON Schema of its config entry: one branch of the `monitors` map, with `type` a `const`
   * (the built-in kinds' are in their `config.ts`). `config/schema.ts` composes the map from the
   * registered kinds' branches; a kind registered as an extension must give one.
   */
  readonly schema?: Readonly<Record<string, unknown>>;
  /** A small valid config, for docs and the conformance test (feature names as in {@link exampleFeatures}). */
  readonly example: C;
  /** The features {@link example} refers to, as the config's `features` map has them. */
  readonly exampleFeatures: Readonly<Record<string, unknown>>;
  /** The sources its monitors read, from the config alone (before any is built). */
  sources(config: C, all: Config): readonly string[];
  /**
   * Cross-checks its config entry beyond the schema (names that must exist in the config's other
   * sections, files on disk, windows that fit their source), each problem with its JSON path. The
   * loader runs them after the schema, also on a config the schema refused: read defensively.
   */
  problems?(config: C, context: ProblemContext): readonly ConfigProblem[];
  /**
   * Present when its monitors can read a cluster source (`cluster` on a kafka source): what in a
   * config entry keeps one from merging across partitions, each problem with its JSON path
   * (prefixed with `path`). The monitor it builds then has `cluster`.
   */
  clusterProblems?(config: C, path: string): readonly ConfigProblem[];
  /** Builds a running monitor, from the state saved under the same identity when there is one. */
  create(context: MonitorContext, name: string, config: C, restore: RestoreState<S>): Promise<Monitor<S, R>>;
  /** Checks a checkpointed state's shape; throws a `StateShapeError` naming the JSON path. */
  checkState(state: unknown, path: string): void;
  /** Exports a result as metrics. */
  publish(result: R, metrics: Metrics): void;
  /**
   * The alert rule types its monitors accept under `alerts` besides `source_silent` (each with
   * its schema and how it reads a result). None: only `source_silent`.
   */
  readonly alertRules?: readonly AlertRuleKind<R, AnyRuleConfig>[];
  /**
   * The line `driftwatch run` prints for a result; null for none. One line, except where one
   * result stands for several events at once (detectors that fire on the same pair: a line each).
   */
  verdict(result: R): string | null;
  /**
   * For results that repeat every tick: a key of what the verdict says; the line is printed only
   * when the key changes for the monitor. Undefined prints every result.
   */
  repeatKey?(result: R): string | undefined;
}

/** What a kind's `problems` reads besides its own entry. */
export interface ProblemContext {
  /** The whole config, as the loader read it (not yet trusted). */
  readonly config: Config;
  /** Resolves a path of the config (relative to the config file). */
  resolvePath(path: string): string;
  /** The JSON path of the monitor's entry (`/monitors/NAME`), the prefix of every problem's. */
  readonly path: string;
}

/** A rule config of any of a kind's rule types: each type reads its own shape. */
// biome-ignore lint/suspicious/noExplicitAny: each rule type reads its own config shape, checked by its schema.
type AnyRuleConfig = any;

/** A kind of any config, state and result type, as the registry holds them. */
// biome-ignore lint/suspicious/noExplicitAny: the registry holds kinds of different types; each is used with its own.
export type AnyMonitorKind = MonitorKind<any, any, any>;

/** A result with the kind and monitor that produced it, so that sinks can dispatch. */
export interface MonitorResult {
  /** The kind that produced it (its verdict, its metrics). */
  readonly kind: AnyMonitorKind;
  /** The monitor's name. */
  readonly monitor: string;
  /** The kind's own result. */
  readonly result: unknown;
}
