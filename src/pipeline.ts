import { createHash } from "node:crypto";
import { hostname } from "node:os";
import { isAbsolute, resolve } from "node:path";
import { schedule as cronSchedule, type ScheduledTask } from "node-cron";
import { Alerting, type AlertingState } from "./alerts/alerting.js";
import { ClusterSource } from "./cluster/cluster.js";
import type { ClusterMonitor } from "./cluster/partitions.js";
import type { LoadedConfig } from "./config/load.js";
import type { MonitorConfig, SourceConfig } from "./config/types.js";
import { type CompiledPointer, compilePointer, getAt } from "./decode/pointer.js";
import type { EventDecoder } from "./decode/validate.js";
import { showValue, UserError } from "./errors.js";
import { EndpointSecurity } from "./io/endpoint.js";
import type { Logger } from "./log.js";
import { Metrics } from "./metrics/metrics.js";
import { type AdminAnswer, MetricsServer } from "./metrics/server.js";
import { parseReferenceSource } from "./monitors/reference-source.js";
import { monitorKind, monitorKinds } from "./monitors/registry.js";
import type { AnyMonitorKind, Monitor, MonitorResult, ReferenceSource } from "./monitors/types.js";
import type { DeadLetter, DeadLetterReceipt, DeadLetterSink } from "./sources/dead-letter.js";
import { deadLetterDestination } from "./sources/dead-letter-sinks.js";
import { eventDecoderOf } from "./sources/decoding.js";
import { sourceKind } from "./sources/registry.js";
import {
  type BatchOutcome,
  DEFAULT_STALL_TIMEOUT_SECS,
  RejectedRecord,
  type Source,
  type SourceRecord,
} from "./sources/source.js";
import { type Checkpoint, CheckpointStore, type Positions } from "./state/checkpoint.js";
import { restoreCheckpoint } from "./state/restore.js";
import { isVector } from "./windows/sample.js";

/** Process-level settings of a pipeline (CLI flags, not config). */
export interface PipelineOptions {
  readonly log: Logger;
  /**
   * Called with every result of every monitor, with its kind (the CLI prints `kind.verdict`):
   * evaluated and closed windows, clock-driven evaluations, detectors that fire.
   */
  readonly onResult?: (result: MonitorResult) => void;
  /** The clock (ms); injected so tests can drive processing time. */
  readonly now?: () => number;
  /** Overrides `metrics.listen` (e.g. 127.0.0.1:0 in tests); null disables the server. */
  readonly metricsListen?: string | null;
  /** Overrides `state.dir`. */
  readonly stateDir?: string;
  /** Start with empty state when no checkpoint generation is usable, instead of refusing (`--reset-state`). */
  readonly resetState?: boolean;
  /** Tick for processing-time windows, ms (default 1000). */
  readonly tickMs?: number;
  /**
   * The metrics to export into; by default a new set. A reloading daemon passes the same set to
   * each pipeline, since the process-level collectors cannot be released.
   */
  readonly metrics?: Metrics;
}

interface SourceRuntime {
  readonly name: string;
  readonly config: SourceConfig;
  readonly source: Source;
  readonly decoder: EventDecoder;
  readonly features: readonly {
    name: string;
    pointer: CompiledPointer;
    numeric: boolean;
    dimension: number;
  }[];
  /** Reused for every event: monitors copy what they keep, so one object serves the whole stream. */
  readonly values: Record<string, unknown>;
  readonly monitors: Monitor[];
  /** The monitors among them that screen events (a suite's `dead_letter` expectations) before routing. */
  readonly screens: Monitor[];
  readonly deadLetter: DeadLetterSink;
  readonly eventTime: CompiledPointer | null;
  /** A cluster source's partitions and merger: its valid events go there, not to its monitors. */
  readonly cluster: ClusterSource | null;
}

/** A running monitor with its kind, and the hash of the identity its state was saved under. */
interface MonitorEntry {
  readonly monitor: Monitor;
  readonly kind: AnyMonitorKind;
  readonly hash: string;
}

/** A kind's place in the registry: a batch's results are published kind by kind in that order. */
function rankOf(kind: AnyMonitorKind): number {
  return Object.keys(monitorKinds).indexOf(kind.type);
}

/** How often sources' health is checked for `driftwatch_source_up` and `/readyz`. */
const HEALTH_INTERVAL_MS = 1000;

/** Default of `state.persist_timeout_secs`. */
const DEFAULT_PERSIST_TIMEOUT_SECS = 20;

/** Retry delay after `attempt` failures in a row: 250 ms doubling, at most 5 s. */
function backoffMs(attempt: number): number {
  return Math.min(5000, 250 * 2 ** Math.min(attempt - 1, 10));
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** An error's message, first line only (for `/readyz` and one-line errors). */
function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0];
}

/** The metrics endpoint's token and certificate, read now; a file gone since the config was checked is one line. */
function metricsSecurity(loaded: LoadedConfig): EndpointSecurity {
  try {
    return new EndpointSecurity(loaded.config.metrics ?? {}, loaded.resolvePath);
  } catch (error) {
    throw new UserError(`metrics: ${(error as Error).message}`);
  }
}

function hashOf(value: unknown): string {
  return createHash("sha256").update(JSON.stringify(value)).digest("hex").slice(0, 16);
}

/** Event time in ms from an RFC 3339 string or epoch milliseconds; null when absent or unreadable. */
function toMillis(value: unknown): number | null {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string") {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? null : ms;
  }
  return null;
}

/**
 * The daemon's graph: sources → decode and validate → features → monitors, with rejected events
 * to the dead-letter destinations, results to metrics, and state plus source positions
 * checkpointed together. The only module that knows the whole graph.
 *
 * Delivery: a record's position advances in the same synchronous step as the monitor state it
 * changes, and only after its dead-letter write (if rejected) was acknowledged; so at any moment
 * the positions describe exactly the events the state holds. A checkpoint saves both at once and
 * offsets are committed to Kafka only after it is durable; on start, records before the
 * checkpointed positions are skipped. Every event is counted once across kill -9 and restart.
 */
export class Pipeline {
  readonly metrics: Metrics;
  private readonly runtimes: SourceRuntime[] = [];
  private readonly monitors = new Map<string, MonitorEntry>();
  private readonly positions: Positions = {};
  private readonly store: CheckpointStore;
  private readonly server: MetricsServer | null;
  private readonly tasks: ScheduledTask[] = [];
  private timers: NodeJS.Timeout[] = [];
  private checkpointing: Promise<void> | null = null;
  /** Each monitor's late events as last counted in `driftwatch_window_late_events_total`. */
  private readonly lateSeen = new Map<string, number>();
  /** Per source: last known health, the start of the batch in flight, and a failure of the source. */
  private readonly health = new Map<
    string,
    { up: boolean; reason?: string; busySince: number | null; failed: string | null }
  >();
  private stopped = false;
  /** Aborted when {@link stop} begins: ends waits on outside services (a schema registry). */
  private readonly aborted = new AbortController();
  /** Dead-letter destinations by id: sources that name the same file share one. */
  private readonly deadLetters = new Map<string, DeadLetterSink>();
  /** Destinations no checkpoint has recorded a mark for yet (a new file): one is taken before their first letter. */
  private readonly unmarked = new Set<DeadLetterSink>();
  /** What cannot be persisted now (the checkpoint, a source's dead letters), each with why. */
  private readonly unpersisted = new Map<string, string>();
  /** Closed while checkpoints fail: batches wait here, which holds the sources back. */
  private gate: { readonly wait: Promise<void>; open(): void } | null = null;
  /** Checkpoints failed in a row, for the backoff of their retries. */
  private checkpointFailures = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  /** Fires when state has been unpersistable for `persist_timeout_secs`. */
  private stuckTimer: NodeJS.Timeout | null = null;
  private readonly stuck: Promise<never>;
  private markStuck!: (error: Error) => void;
  /** Resolves when {@link stop} begins, to wake batches waiting to retry. */
  private readonly stopping: Promise<void>;
  private signalStop!: () => void;
  /** Wall-clock time of the last durable checkpoint (restored or written), for messages. */
  private lastCheckpointAt: number | null = null;
  private alerting!: Alerting;
  /** Processing time of the last batch per source, for `source_silent` rules. */
  private readonly lastArrival: Record<string, number | null> = {};
  /** The reference label each monitor had when last observed. */
  private readonly references = new Map<string, string>();
  private readonly now: () => number;

  private constructor(
    private readonly loaded: LoadedConfig,
    private readonly options: PipelineOptions,
  ) {
    const { config, resolvePath } = loaded;
    this.metrics = options.metrics ?? new Metrics();
    this.now = options.now ?? Date.now;
    this.store = new CheckpointStore(options.stateDir ?? resolvePath(config.state?.dir ?? ".driftwatch"));
    const listen =
      options.metricsListen === undefined
        ? (config.metrics?.listen ?? "127.0.0.1:9464")
        : options.metricsListen;
    this.server = listen === null ? null : new MetricsServer(this.metrics, listen, metricsSecurity(loaded));
    this.stuck = new Promise<never>((_, reject) => {
      this.markStuck = reject;
    });
    // Only `--once` listens (through finished()); a daemon holds on and waits for room.
    this.stuck.catch(() => {});
    this.stopping = new Promise((resolve) => {
      this.signalStop = resolve;
    });
  }

  /** How long a replay waits, and shutdown retries its final checkpoint, while state cannot be written. */
  private get persistTimeoutMs(): number {
    return (this.loaded.config.state?.persist_timeout_secs ?? DEFAULT_PERSIST_TIMEOUT_SECS) * 1000;
  }

  /** Builds the pipeline: loads references and restores the last checkpoint. */
  static async create(loaded: LoadedConfig, options: PipelineOptions): Promise<Pipeline> {
    const pipeline = new Pipeline(loaded, options);
    await pipeline.build();
    return pipeline;
  }

  /** The metrics server's port (after start), for tests that listen on port 0. */
  get metricsPort(): number {
    return this.server?.port ?? 0;
  }

  /**
   * Holds `/readyz` at 503 for `reason` (one line, for operators) until {@link clearUnready} with
   * the same key: a source down, state that cannot be persisted.
   */
  setUnready(key: string, reason: string): void {
    this.server?.setUnready(key, reason);
  }

  /** Clears a condition set with {@link setUnready}. */
  clearUnready(key: string): void {
    this.server?.clearUnready(key);
  }

  /** Positions of all sources as processed so far (a copy). */
  get currentPositions(): Positions {
    return structuredClone(this.positions);
  }

  private async build(): Promise<void> {
    const { config, resolvePath } = this.loaded;
    const log = this.options.log;
    const checkpoint = restoreCheckpoint(this.store, {
      reset: this.options.resetState === true,
      log,
      metrics: this.metrics,
    });
    this.alerting = new Alerting(
      this.loaded.config,
      this.metrics,
      log,
      checkpoint?.alerts as AlertingState | undefined,
      this.now(),
    );
    this.metrics.checkpointsTotal.inc({ outcome: "failed" }, 0);
    if (checkpoint) Object.assign(this.positions, structuredClone(checkpoint.positions));
    const saved = (checkpoint?.monitors ?? {}) as Record<string, { hash: string; state: unknown }>;

    const context = {
      config,
      resolvePath,
      now: () => this.now(),
      log,
      metrics: this.metrics,
      emit: (result: unknown) => {
        throw new Error(`a monitor emitted a result while being built: ${JSON.stringify(result)}`);
      },
    };
    for (const [name, monitorConfig] of Object.entries(config.monitors) as [string, MonitorConfig][]) {
      const kind = monitorKind(monitorConfig.type);
      let hash = "";
      const restore = (identity: unknown): unknown => {
        hash = hashOf(identity);
        const previous = saved[name];
        if (previous?.hash === hash) return previous.state;
        if (previous) log.warn("monitor configuration changed; its state starts afresh", { monitor: name });
        return undefined;
      };
      // A result a monitor publishes mid-batch (a detector firing) goes out through its kind at once.
      const monitor = await kind.create(
        { ...context, emit: (result: unknown) => this.publish(kind, name, result) },
        name,
        monitorConfig,
        restore,
      );
      this.monitors.set(name, { monitor, kind, hash });
      // Late events a restored state counted were counted before the restart.
      this.lateSeen.set(name, monitor.lateEvents);
    }

    for (const [name, sourceConfig] of Object.entries(config.sources)) {
      const features = Object.entries(config.features)
        .filter(([, f]) => f.source === name)
        .map(([feature, f]) => ({
          name: feature,
          pointer: compilePointer(f.path),
          numeric: f.type === "numeric",
          dimension: f.type === "vector" ? (f.dimension as number) : 0,
        }));
      const monitors = [...this.monitors.values()]
        .map((m) => m.monitor)
        .filter((m) => m.sources.includes(name));
      const sourceLog = log.child({ source: name });
      const kind = sourceKind(sourceConfig);
      const cluster =
        sourceConfig.type === "kafka" && sourceConfig.cluster !== undefined
          ? this.clusterOf(name, sourceConfig, monitors, sourceLog)
          : null;
      const source = kind.create(name, sourceConfig, {
        resolvePath,
        log: sourceLog,
        metrics: this.metrics,
        clock: this.now,
        ...(cluster === null ? {} : { partitions: cluster.hooks }),
      });
      const dl = sourceConfig.dead_letter;
      const deadLetter =
        cluster !== null && dl !== undefined && "topic" in dl
          ? cluster.deadLetter(dl.topic)
          : this.deadLetterOf(name, sourceConfig, sourceLog);
      this.runtimes.push({
        name,
        config: sourceConfig,
        source,
        decoder: eventDecoderOf(name, sourceConfig, kind.decoder(sourceConfig), {
          resolvePath,
          log: sourceLog,
          metrics: this.metrics,
        }),
        features,
        values: Object.fromEntries(features.map((f) => [f.name, undefined])),
        monitors,
        screens: monitors.filter((m) => m.screen !== undefined),
        deadLetter,
        eventTime: sourceConfig.event_time === undefined ? null : compilePointer(sourceConfig.event_time),
        cluster,
      });
      this.positions[name] ??= {};
      this.lastArrival[name] = null;
      // Counters whose label values are known up front start at 0, so that `increase()` sees their
      // first event (a series that appears already at 1 has no increase).
      this.metrics.deadLetterTotal.inc({ source: name, outcome: "failed" }, 0);
      this.metrics.deadLetterTotal.inc({ source: name, outcome: "written" }, 0);
      this.metrics.deadLetterTotal.inc({ source: name, outcome: "skipped" }, 0);
      if (kind.commitsOffsets) this.metrics.offsetCommitsTotal.inc({ source: name, outcome: "failed" }, 0);
    }
    // A restored checkpoint's marks cut the dead-letter files back to what its positions cover.
    const marks = (checkpoint?.dead_letters ?? {}) as Readonly<Record<string, unknown>>;
    for (const sink of this.deadLetters.values()) {
      let marked: boolean;
      try {
        marked = sink.restore(marks[sink.id]);
      } catch (error) {
        throw new UserError(
          `${sink.id.replace(/^file:/, "")}: cannot restore the dead-letter file: ${firstLine(error)}`,
        );
      }
      if (!marked) this.unmarked.add(sink);
    }
    this.lastCheckpointAt = checkpoint?.written_at ?? null;
    if (checkpoint) {
      log.info("restored checkpoint", {
        path: this.store.path,
        written_at: new Date(checkpoint.written_at).toISOString(),
        positions: checkpoint.positions,
      });
    }
  }

  /**
   * The partitions and merger of a cluster source. Its positions live in Kafka (the group's
   * committed offsets, written in the partitions' transactions), not in the checkpoint: what a
   * checkpoint holds of them is dropped, and each partition resumes where its progress says.
   */
  private clusterOf(
    name: string,
    config: Extract<SourceConfig, { type: "kafka" }>,
    monitors: readonly Monitor[],
    log: Logger,
  ): ClusterSource {
    this.positions[name] = {};
    const members: ClusterMonitor[] = monitors.map((monitor) => {
      const entry = this.monitors.get(monitor.name) as MonitorEntry;
      if (monitor.cluster === undefined)
        throw new Error(`monitor ${monitor.name} reads cluster source ${name} but cannot run on a cluster`);
      return { name: monitor.name, identity: entry.hash, windows: monitor.cluster };
    });
    return new ClusterSource(
      name,
      config,
      this.loaded.resolvePath,
      members,
      this.positions[name],
      (monitor, result) => {
        const entry = this.monitors.get(monitor) as MonitorEntry;
        this.publish(entry.kind, monitor, result);
      },
      log,
      this.metrics,
      this.now,
    );
  }

  /**
   * The dead-letter destination of a source: a Kafka topic, a file, or by default
   * `STATE_DIR/dead-letter-SOURCE.jsonl` (rejected events are never dropped silently). Sources that
   * name the same file share one writer.
   */
  private deadLetterOf(name: string, config: SourceConfig, log: Logger): DeadLetterSink {
    const destination = deadLetterDestination(name, config, {
      stateDir: this.store.dir,
      resolvePath: this.loaded.resolvePath,
      // Stable across restarts of this instance (its host and state dir), distinct between instances.
      instance: hashOf({ host: hostname(), dir: resolve(this.store.dir) }),
      log,
      metrics: this.metrics,
    });
    let sink = this.deadLetters.get(destination.key);
    if (sink === undefined) {
      sink = destination.open();
      this.deadLetters.set(destination.key, sink);
    }
    return sink;
  }

  /** Starts the metrics server, the sources, the schedules and the checkpoint timer. */
  async start(): Promise<void> {
    const { config } = this.loaded;
    if (this.server) this.server.admin = { reference: (body) => this.adminReference(body) };
    await this.server?.start();
    for (const { monitor } of this.monitors.values()) this.observeReference(monitor);
    for (const runtime of this.runtimes) {
      // The live positions, not a copy: after a rebalance or a seek, sources skip whatever the
      // state already holds.
      this.health.set(runtime.name, { up: false, reason: "starting", busySince: null, failed: null });
      await runtime.cluster?.start();
      await runtime.source.start((records) => this.track(runtime, records), this.positions[runtime.name]);
      runtime.source.finished.then(
        () => this.options.log.info("source finished", { source: runtime.name }),
        (error: Error) => {
          this.options.log.error("source failed", { source: runtime.name, error });
          const health = this.health.get(runtime.name);
          if (health) health.failed = error.message.split("\n")[0];
        },
      );
    }
    this.checkHealth();
    const healthTimer = setInterval(() => this.checkHealth(), HEALTH_INTERVAL_MS);
    healthTimer.unref();
    this.timers.push(healthTimer);
    for (const { monitor, kind } of this.monitors.values()) {
      const schedule = monitor.schedule;
      if (schedule === undefined) continue;
      this.tasks.push(
        cronSchedule(
          schedule.cron,
          () => {
            for (const result of schedule.run()) this.publish(kind, monitor.name, result);
          },
          { name: `driftwatch-${monitor.name}` },
        ),
      );
    }
    if ([...this.monitors.values()].some(({ monitor }) => monitor.needsTick)) {
      const tick = setInterval(() => this.tick(), this.options.tickMs ?? 1000);
      tick.unref();
      this.timers.push(tick);
    }
    const alertTick = setInterval(
      () => this.alerting.tick(this.now(), this.lastArrival),
      (config.alerting?.evaluation_interval_secs ?? 15) * 1000,
    );
    alertTick.unref();
    this.timers.push(alertTick);
    const every = (config.state?.checkpoint_interval_secs ?? 5) * 1000;
    const timer = setInterval(() => {
      // While checkpoints fail, their retry (with backoff) runs instead.
      if (this.retryTimer === null) this.checkpoint().catch(() => {});
    }, every);
    timer.unref();
    this.timers.push(timer);
    if (this.server) this.server.ready = true;
    this.options.log.info("started", {
      sources: this.runtimes.map((r) => `${r.name}:${r.config.type}`).join(","),
      monitors: [...this.monitors.keys()].join(","),
      metrics: this.server ? `http://${this.server.host}:${this.server.port}/metrics` : "off",
      state: this.store.path,
    });
  }

  /** Hands a batch to {@link process}, remembering since when it is in flight (for stall detection). */
  private async track(runtime: SourceRuntime, records: readonly SourceRecord[]): Promise<BatchOutcome> {
    const health = this.health.get(runtime.name);
    if (health) health.busySince = this.now();
    try {
      return await this.process(runtime, records);
    } finally {
      if (health) health.busySince = null;
    }
  }

  /**
   * Sets `driftwatch_source_up` and the readiness of each source from what the source says of its
   * connection and from how long its current batch has been in flight (a batch held back by a
   * dead letter or state that cannot be written stalls the source). Logs each change once.
   */
  private checkHealth(): void {
    const now = this.now();
    for (const runtime of this.runtimes) {
      const health = this.health.get(runtime.name);
      if (health === undefined) continue;
      const stallMs = (runtime.config.stall_timeout_secs ?? DEFAULT_STALL_TIMEOUT_SECS) * 1000;
      let { up, reason } = runtime.source.health?.(now) ?? { up: true, reason: undefined };
      if (health.failed !== null) [up, reason] = [false, `failed: ${health.failed}`];
      else if (up && health.busySince !== null && now - health.busySince > stallMs)
        [up, reason] = [
          false,
          `a batch has been in processing for ${Math.round((now - health.busySince) / 1000)} s`,
        ];
      this.metrics.up.set({ source: runtime.name }, up ? 1 : 0);
      const key = `source ${runtime.name}`;
      if (up) this.clearUnready(key);
      else this.setUnready(key, reason ?? "down");
      if (up !== health.up || (!up && reason !== health.reason && health.reason === "starting")) {
        if (up) this.options.log.info("source up", { source: runtime.name });
        else this.options.log.warn("source down", { source: runtime.name, reason });
      }
      health.up = up;
      health.reason = reason;
    }
  }

  /**
   * Resolves when every finite source (file replay) has delivered all its events; rejects when one
   * fails, or when state could not be persisted for `state.persist_timeout_secs` (a replay does
   * not wait for someone to free the disk).
   */
  finished(): Promise<void> {
    const finite = this.runtimes.filter((r) => sourceKind(r.config).finite);
    return Promise.race([
      Promise.all(finite.map((r) => r.source.finished)).then(() => undefined),
      this.stuck,
    ]);
  }

  /** Decodes, validates and routes one batch; rejected events go to the dead letter first. */
  private async process(runtime: SourceRuntime, records: readonly SourceRecord[]): Promise<BatchOutcome> {
    // While checkpoints fail, batches wait: the sources are held back rather than run ahead of
    // what a restart could restore.
    if (this.gate !== null) await this.gate.wait;
    // Schemas the batch names are fetched first; while the registry is down the batch waits here.
    const raws: (Buffer | string)[] = [];
    for (const record of records) if (record.parsed === undefined) raws.push(record.value);
    if (raws.length > 0) await runtime.decoder.prepare(raws, this.aborted.signal);
    const decoded = records.map((record) => {
      if (record.parsed instanceof RejectedRecord)
        return { ok: false as const, reason: record.parsed.reason, detail: record.parsed.detail };
      return record.parsed !== undefined
        ? runtime.decoder.check(record.parsed)
        : runtime.decoder.decode(record.value);
    });
    const letters: DeadLetter[] = [];
    // Events a screening monitor rejects (a suite's `dead_letter` expectation): valid, seen by the
    // screening monitors (their windows count them), kept from every other monitor, and written to
    // the dead letter first.
    let quarantined: Set<number> | null = null;
    for (const [i, result] of decoded.entries()) {
      if (!result.ok) {
        letters.push({
          source: runtime.name,
          reason: result.reason,
          detail: result.detail,
          record: records[i],
        });
        continue;
      }
      for (const monitor of runtime.screens) {
        const rejection = monitor.screen?.(result.event) ?? null;
        if (rejection === null) continue;
        quarantined ??= new Set();
        quarantined.add(i);
        letters.push({
          source: runtime.name,
          reason: rejection.reason,
          detail: rejection.detail,
          record: records[i],
        });
        break;
      }
    }
    // Written before these records' positions can advance, and settled when they do.
    const receipt = letters.length > 0 ? await this.writeDeadLetters(runtime, letters) : null;
    // From here on everything is synchronous: state and positions change together.
    const positions = this.positions[runtime.name];
    const now = this.now();
    this.lastArrival[runtime.name] = now;
    const results: { kind: AnyMonitorKind; monitor: string; result: unknown }[] = [];
    let accepted = 0;
    for (const [i, result] of decoded.entries()) {
      const record = records[i];
      if (result.ok) {
        // An event a `dead_letter` expectation set aside reaches the screening monitors only.
        const held = quarantined?.has(i) === true;
        if (held) this.metrics.eventsInvalidTotal.inc({ source: runtime.name, reason: "expectation" });
        else accepted++;
        const values = runtime.values;
        const features = held ? [] : runtime.features;
        for (let k = 0; k < features.length; k++) {
          const feature = features[k];
          const value = getAt(result.event, feature.pointer);
          values[feature.name] = value;
          if (value === undefined || value === null) {
            this.metrics.featureMissingTotal.inc({ source: runtime.name, feature: feature.name });
          } else if (
            feature.numeric
              ? typeof value !== "number" || !Number.isFinite(value)
              : feature.dimension > 0
                ? !isVector(value, feature.dimension)
                : typeof value === "object"
          ) {
            this.metrics.featureInvalidTotal.inc({ source: runtime.name, feature: feature.name });
          }
        }
        const eventTime =
          runtime.eventTime === null ? null : toMillis(getAt(result.event, runtime.eventTime));
        const input = {
          source: runtime.name,
          event: result.event,
          values,
          now,
          eventTime,
          position: record.position,
        };
        if (runtime.cluster !== null && record.kafka !== undefined) {
          runtime.cluster.partitions.add(
            record.kafka.partition,
            Number(record.kafka.offset),
            values,
            now,
            eventTime,
            result.event,
          );
          if (record.position) positions[record.position.key] = record.position.offset + 1;
          continue;
        }
        for (const monitor of held ? runtime.screens : runtime.monitors) {
          const late = monitor.lateEvents;
          const produced = monitor.add(input);
          if (produced.length > 0) {
            const kind = this.kindOf(monitor);
            for (const r of produced) results.push({ kind, monitor: monitor.name, result: r });
          }
          if (monitor.lateEvents > late) this.countLate(monitor);
        }
      } else {
        this.metrics.eventsInvalidTotal.inc({ source: runtime.name, reason: result.reason });
      }
      if (record.position) positions[record.position.key] = record.position.offset + 1;
    }
    receipt?.settle();
    for (const monitor of runtime.monitors) monitor.endBatch?.();
    if (accepted > 0) this.metrics.eventsTotal.inc({ source: runtime.name, outcome: "valid" }, accepted);
    if (letters.length > 0)
      this.metrics.eventsTotal.inc({ source: runtime.name, outcome: "invalid" }, letters.length);
    for (const monitor of runtime.monitors) {
      this.metrics.referenceEvents.set({ monitor: monitor.name }, monitor.referenceEvents);
      monitor.observe?.(this.metrics);
    }
    // Kind by kind in the registry's order (a stable sort keeps each monitor's own order).
    results.sort((a, b) => rankOf(a.kind) - rankOf(b.kind));
    for (const { kind, monitor, result } of results) this.publish(kind, monitor, result);
    // After the results: a window that became the reference was first compared with the old one.
    for (const monitor of runtime.monitors) this.observeReference(monitor);
    // A cluster source's closed windows are published, with the partition's progress, before the
    // source reads on: a batch comes from one partition.
    const partition = records[0]?.kafka?.partition;
    if (runtime.cluster !== null && partition !== undefined)
      await runtime.cluster.partitions.publish(partition);
    return { accepted, rejected: letters.length };
  }

  /**
   * Counts a monitor's late events since it was last looked at. A monitor that applies events later
   * (scoring on a worker thread) can apply several at once, in a tick or while its state is read
   * for a checkpoint: what it counted is the truth, not the calls that happened to see it.
   */
  private countLate(monitor: Monitor): void {
    const seen = this.lateSeen.get(monitor.name) ?? 0;
    if (monitor.lateEvents > seen)
      this.metrics.lateEventsTotal.inc({ monitor: monitor.name }, monitor.lateEvents - seen);
    this.lateSeen.set(monitor.name, monitor.lateEvents);
  }

  /**
   * Applies and publishes what monitors deferred (events scored on a worker thread whose results
   * are not in yet), kind by kind in the registry's order: before the final checkpoint, so that a
   * stop publishes every window its events closed.
   */
  settle(): void {
    const entries = [...this.monitors.values()].sort((a, b) => rankOf(a.kind) - rankOf(b.kind));
    for (const { monitor, kind } of entries) {
      if (monitor.settle === undefined) continue;
      for (const result of monitor.settle()) this.publish(kind, monitor.name, result);
      this.countLate(monitor);
      monitor.observe?.(this.metrics);
      this.observeReference(monitor);
    }
  }

  /**
   * Closes every monitor's open window as it stands and publishes the results, kind by kind in the
   * registry's order: the end of a replay (`driftwatch report --config`), whose last windows would
   * otherwise stay open. Call it after {@link finished}.
   */
  flush(): void {
    const now = this.now();
    const entries = [...this.monitors.values()].sort((a, b) => rankOf(a.kind) - rankOf(b.kind));
    for (const { monitor, kind } of entries) {
      for (const result of monitor.flush(now)) this.publish(kind, monitor.name, result);
      this.countLate(monitor);
      monitor.observe?.(this.metrics);
      this.observeReference(monitor);
    }
  }

  private tick(): void {
    const now = this.now();
    for (const { monitor, kind } of this.monitors.values()) {
      if (!monitor.needsTick) continue;
      for (const result of monitor.tick(now)) this.publish(kind, monitor.name, result);
      this.countLate(monitor);
      monitor.observe?.(this.metrics);
      this.observeReference(monitor);
    }
  }

  /**
   * Exports which reference a monitor compares with (`driftwatch_reference_info`), and logs and
   * counts each change of it after the first.
   */
  private observeReference(monitor: Monitor): void {
    const label = monitor.reference;
    if (label === undefined) return;
    const before = this.references.get(monitor.name);
    if (before === label) return;
    this.references.set(monitor.name, label);
    if (before !== undefined) {
      this.metrics.referenceInfo.remove({ monitor: monitor.name, reference: before });
      this.metrics.referenceChangesTotal.inc({ monitor: monitor.name });
      this.options.log.info("reference changed", {
        monitor: monitor.name,
        from: before,
        to: label,
        events: monitor.referenceEvents,
      });
    } else this.metrics.referenceChangesTotal.inc({ monitor: monitor.name }, 0);
    this.metrics.referenceInfo.set({ monitor: monitor.name, reference: label }, 1);
  }

  /**
   * Replaces a monitor's reference while running (`POST /admin/reference`, `driftwatch reference
   * set`): applied between batches, so the window in flight is compared with the new reference
   * when it closes, then checkpointed before it is reported done. A `window:N` reference takes
   * effect when that window closes. Rejects with a `UserError` for a request that cannot be met.
   */
  async setReference(name: string, from: ReferenceSource): Promise<{ reference: string; pending: boolean }> {
    const entry = this.monitors.get(name);
    if (entry === undefined)
      throw new UserError(
        `no monitor named ${showValue(name)}; monitors: ${[...this.monitors.keys()].join(", ")}`,
      );
    const { monitor, kind } = entry;
    if (this.runtimes.some((r) => r.cluster !== null && r.monitors.includes(monitor)))
      throw new UserError(
        `monitor ${showValue(name)} reads a cluster source: every instance must compare with the same reference, so change its reference file and restart the instances`,
      );
    if (monitor.setReference === undefined)
      throw new UserError(
        `monitor ${showValue(name)} (${kind.type}) has no reference that can be set while it runs`,
      );
    const outcome = await monitor.setReference(from);
    this.metrics.referenceEvents.set({ monitor: name }, monitor.referenceEvents);
    this.observeReference(monitor);
    if (outcome.pending)
      this.options.log.info("reference will change when its window closes", {
        monitor: name,
        to: outcome.reference,
      });
    await this.checkpoint();
    return outcome;
  }

  /** The `POST /admin/reference` handler: `{ monitor, from }`, `from` as `reference set --from` takes it. */
  private async adminReference(body: unknown): Promise<AdminAnswer> {
    const request = body as { monitor?: unknown; from?: unknown } | null;
    if (typeof request?.monitor !== "string" || typeof request.from !== "string")
      return {
        status: 400,
        body: 'give { "monitor": NAME, "from": "window:N" | "file:PATH" | "profile:PATH" }',
      };
    try {
      const from = parseReferenceSource(request.from, (path: string) => path);
      if (from.type !== "window" && !isAbsolute(from.path))
        return { status: 400, body: `the daemon reads files by absolute path (got ${showValue(from.path)})` };
      const outcome = await this.setReference(request.monitor, from);
      return { status: 200, body: JSON.stringify({ monitor: request.monitor, ...outcome }) };
    } catch (error) {
      if (error instanceof UserError) return { status: 400, body: error.message };
      this.options.log.error("reference not set", {
        monitor: String(request.monitor),
        error: error as Error,
      });
      return { status: 500, body: (error as Error).message.split("\n")[0] };
    }
  }

  /** The kind a running monitor was built by. */
  private kindOf(monitor: Monitor): AnyMonitorKind {
    return (this.monitors.get(monitor.name) as MonitorEntry).kind;
  }

  /** Exports a result as metrics, hands it to the alert rules and to `onResult`, through its kind. */
  private publish(kind: AnyMonitorKind, monitor: string, result: unknown): void {
    kind.publish(result, this.metrics);
    this.alerting.onResult(kind, monitor, result, this.now());
    this.options.onResult?.({ kind, monitor, result });
  }

  /**
   * Saves every monitor's state with the positions it includes, durably, then commits those
   * positions to the sources. Concurrent calls share one run.
   */
  checkpoint(): Promise<void> {
    if (this.checkpointing) return this.checkpointing;
    this.checkpointing = this.doCheckpoint().finally(() => {
      this.checkpointing = null;
    });
    return this.checkpointing;
  }

  private async doCheckpoint(): Promise<void> {
    const started = process.hrtime.bigint();
    let checkpoint: Checkpoint;
    try {
      // Snapshot synchronously: no batch can interleave between state, positions and the
      // dead-letter marks (each mark is made durable as it is taken).
      const deadLetters: Record<string, unknown> = {};
      for (const sink of this.deadLetters.values()) {
        const mark = sink.mark();
        if (mark !== undefined) deadLetters[sink.id] = mark;
      }
      const monitors: Record<string, unknown> = {};
      // The type says which shape check the state must pass when it is read back.
      for (const [name, { monitor, hash }] of this.monitors)
        monitors[name] = { hash, type: this.loaded.config.monitors[name].type, state: monitor.state };
      checkpoint = {
        format: "driftwatch-checkpoint",
        version: 2,
        written_at: Date.now(),
        config_hash: hashOf(this.loaded.config.monitors),
        positions: structuredClone(this.positions),
        monitors,
        alerts: this.alerting.state,
        dead_letters: deadLetters,
      };
      const bytes = this.store.save(checkpoint);
      this.metrics.checkpointsTotal.inc({ outcome: "ok" });
      this.metrics.checkpointLastSuccess.set(Date.now() / 1000);
      this.metrics.checkpointBytes.set(bytes);
      this.options.log.debug("checkpoint written", {
        bytes,
        ms: Number(process.hrtime.bigint() - started) / 1e6,
      });
    } catch (error) {
      this.metrics.checkpointsTotal.inc({ outcome: "failed" });
      this.checkpointFailed(error);
      throw error;
    }
    this.lastCheckpointAt = checkpoint.written_at;
    this.unmarked.clear();
    this.checkpointFailures = 0;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const gate = this.gate;
    this.gate = null;
    gate?.open();
    this.persisted("checkpoint");
    for (const runtime of this.runtimes) {
      try {
        await runtime.source.commit(checkpoint.positions[runtime.name] ?? {});
        // A cluster source's offsets are committed in its partitions' transactions instead.
        if (sourceKind(runtime.config).commitsOffsets && runtime.cluster === null)
          this.metrics.offsetCommitsTotal.inc({ source: runtime.name, outcome: "ok" });
      } catch (error) {
        // Not fatal: the checkpoint holds the positions, and the next commit catches up.
        this.metrics.offsetCommitsTotal.inc({ source: runtime.name, outcome: "failed" });
        this.options.log.warn("offset commit failed", { source: runtime.name, error });
      }
    }
  }

  /**
   * A checkpoint failed (a full disk, a read-only state dir): batches wait at the gate until one
   * succeeds, retried with capped exponential backoff, so that consumption never runs ahead of
   * what a restart could restore.
   */
  private checkpointFailed(error: unknown): void {
    this.checkpointFailures++;
    this.unpersistable("checkpoint", `cannot write a checkpoint in ${this.store.dir}: ${firstLine(error)}`);
    if (this.stopped) return;
    if (this.gate === null) {
      let open!: () => void;
      const wait = new Promise<void>((resolve) => {
        open = resolve;
      });
      this.gate = { wait, open };
    }
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.checkpoint().catch(() => {});
    }, backoffMs(this.checkpointFailures));
  }

  /**
   * Writes a batch's dead letters, retrying with capped exponential backoff while the destination
   * refuses them (a full disk, a broker away): the batch, and so its source, waits, and its events
   * are neither counted nor skipped. On stop, a batch still waiting is given up: its positions do
   * not advance, so a restart reads it again.
   */
  private async writeDeadLetters(
    runtime: SourceRuntime,
    letters: readonly DeadLetter[],
  ): Promise<DeadLetterReceipt> {
    const what = `dead letters of ${runtime.name}`;
    // A file no checkpoint knows yet gets its mark first, so that a crash before the next regular
    // checkpoint cannot leave letters a restart would write again. (Any moment is a consistent
    // snapshot: this batch has changed nothing yet.) A failing checkpoint holds the batch here.
    for (let attempt = 1; this.unmarked.has(runtime.deadLetter); attempt++) {
      if (this.stopped)
        throw new Error(
          `dead letters of source ${runtime.name} wait for a checkpoint; the batch will be read again on restart`,
        );
      await this.checkpoint().catch(() => Promise.race([sleep(backoffMs(attempt)), this.stopping]));
    }
    for (let attempt = 1; ; attempt++) {
      try {
        const receipt = await runtime.deadLetter.write(letters);
        if (receipt.written > 0)
          this.metrics.deadLetterTotal.inc({ source: runtime.name, outcome: "written" }, receipt.written);
        if (receipt.skipped > 0)
          this.metrics.deadLetterTotal.inc({ source: runtime.name, outcome: "skipped" }, receipt.skipped);
        this.persisted(what);
        return receipt;
      } catch (error) {
        this.metrics.deadLetterTotal.inc({ source: runtime.name, outcome: "failed" }, letters.length);
        const reason = `cannot write dead letters of source ${runtime.name} to ${runtime.deadLetter.id}: ${firstLine(error)}`;
        this.unpersistable(what, reason);
        if (this.stopped)
          throw new Error(`${reason}; the batch will be read again on restart`, { cause: error });
        this.options.log.debug("dead-letter write failed; retrying", {
          source: runtime.name,
          attempt,
          error,
        });
        await Promise.race([sleep(backoffMs(attempt)), this.stopping]);
      }
    }
  }

  /**
   * Notes that `what` cannot be persisted: `/readyz` answers 503 with the reasons, one warning is
   * logged when `what` starts failing (not per retry), and after `persist_timeout_secs` of failing
   * without a break a replay (`--once`) gives up.
   */
  private unpersistable(what: string, reason: string): void {
    if (!this.unpersisted.has(what))
      this.options.log.warn("state cannot be persisted; holding consumption", { what, reason });
    this.unpersisted.set(what, reason);
    this.setUnready("state", [...this.unpersisted.values()].join("; "));
    if (this.stuckTimer === null) {
      this.stuckTimer = setTimeout(() => {
        const reasons = [...this.unpersisted.values()].join("; ");
        this.markStuck(
          new UserError(
            `state could not be persisted for ${this.persistTimeoutMs / 1000} s: ${reasons}; ${this.rereadNote()}`,
          ),
        );
      }, this.persistTimeoutMs);
      this.stuckTimer.unref();
    }
  }

  /** Notes that `what` was persisted again; readiness returns once nothing is failing. */
  private persisted(what: string): void {
    if (!this.unpersisted.delete(what)) return;
    this.options.log.info("state persisted again; consumption resumes", { what });
    if (this.unpersisted.size > 0) {
      this.setUnready("state", [...this.unpersisted.values()].join("; "));
      return;
    }
    this.clearUnready("state");
    if (this.stuckTimer !== null) clearTimeout(this.stuckTimer);
    this.stuckTimer = null;
  }

  /** What a restart will do about the events since the last durable checkpoint. */
  private rereadNote(): string {
    const since = this.lastCheckpointAt === null ? "" : ` (${new Date(this.lastCheckpointAt).toISOString()})`;
    return `the events since the last good checkpoint${since} will be read again on restart`;
  }

  /**
   * The checkpoint at shutdown, retried with backoff for at most `persist_timeout_secs`; then a
   * one-line error naming the state dir and why.
   */
  private async finalCheckpoint(): Promise<void> {
    const deadline = Date.now() + this.persistTimeoutMs;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.checkpoint();
        return;
      } catch (error) {
        const left = deadline - Date.now();
        if (left <= 0)
          throw new UserError(
            `cannot write the final checkpoint in ${this.store.dir} after ${this.persistTimeoutMs / 1000} s: ${firstLine(error)}; ${this.rereadNote()}`,
          );
        await sleep(Math.min(backoffMs(attempt), left));
      }
    }
  }

  /**
   * Stops the sources (waiting for batches in flight), writes a final checkpoint, closes
   * everything. When the final checkpoint cannot be written within `persist_timeout_secs`,
   * everything is still closed, then a {@link UserError} says so.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.signalStop();
    this.aborted.abort(new Error("stopping"));
    if (this.server) this.server.ready = false;
    for (const task of this.tasks) task.stop();
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (this.stuckTimer !== null) clearTimeout(this.stuckTimer);
    this.stuckTimer = null;
    // Batches held by failing checkpoints go on: the final checkpoint takes them, or a restart
    // reads them again.
    const gate = this.gate;
    this.gate = null;
    gate?.open();
    // Drain first and stop after the final checkpoint, so that its offsets can still be committed.
    for (const runtime of this.runtimes) await runtime.source.drain();
    this.settle();
    await this.checkpointing?.catch(() => {});
    let failure: unknown = null;
    try {
      await this.finalCheckpoint();
    } catch (error) {
      failure = error;
    }
    for (const runtime of this.runtimes) await runtime.source.stop();
    for (const runtime of this.runtimes) await runtime.cluster?.stop();
    for (const sink of this.deadLetters.values()) {
      await sink.close().catch((error: unknown) => {
        this.options.log.warn("closing a dead-letter destination failed", { destination: sink.id, error });
      });
    }
    await this.alerting.close();
    await this.server?.stop();
    if (failure !== null) throw failure;
    this.options.log.info("stopped", { state: this.store.path });
  }
}
