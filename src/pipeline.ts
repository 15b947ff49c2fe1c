import { createHash } from "node:crypto";
import { join } from "node:path";
import { schedule as cronSchedule, type ScheduledTask } from "node-cron";
import { Alerting, type AlertingState } from "./alerts/alerting.js";
import { expectationFeature } from "./alerts/rules.js";
import { ChecksMonitor, type ChecksMonitorState, type ChecksResult } from "./checks/monitor.js";
import { readReferenceFields } from "./checks/reference.js";
import { loadSuite } from "./checks/suite.js";
import type { LoadedConfig } from "./config/load.js";
import type { FeatureConfig, MonitorConfig, SourceConfig, WindowConfig } from "./config/types.js";
import { DEFAULT_MAX_DEPTH, DEFAULT_MAX_EVENT_BYTES } from "./decode/limits.js";
import { type CompiledPointer, compilePointer, getAt } from "./decode/pointer.js";
import { EventDecoder } from "./decode/validate.js";
import { DriftMonitor, type DriftMonitorState, type DriftResult } from "./drift/monitor.js";
import { loadReference } from "./drift/reference.js";
import { readNumericRows } from "./io/rows.js";
import type { Logger } from "./log.js";
import { Metrics } from "./metrics/metrics.js";
import { MetricsServer } from "./metrics/server.js";
import { OutlierMonitor, type OutlierMonitorState, type OutlierResult } from "./outliers/monitor.js";
import {
  type DetectorStatus,
  PerformanceMonitor,
  type PerformanceMonitorState,
  type PerformanceResult,
} from "./performance/monitor.js";
import {
  type DeadLetter,
  type DeadLetterSink,
  FileDeadLetter,
  KafkaDeadLetter,
} from "./sources/dead-letter.js";
import { FileSource } from "./sources/file.js";
import { HttpSource } from "./sources/http.js";
import { DEFAULT_STALL_TIMEOUT_SECS, KafkaSource } from "./sources/kafka.js";
import { type BatchOutcome, RejectedRecord, type Source, type SourceRecord } from "./sources/source.js";
import { type Checkpoint, CheckpointStore, type Positions } from "./state/checkpoint.js";
import { restoreCheckpoint } from "./state/restore.js";

/** Process-level settings of a pipeline (CLI flags, not config). */
export interface PipelineOptions {
  readonly log: Logger;
  /** Called with every evaluated window (the CLI prints a verdict line). */
  readonly onResult?: (result: DriftResult) => void;
  /** Called with every closed outlier window. */
  readonly onOutliers?: (result: OutlierResult) => void;
  /** Called with every evaluated window (and clock-driven evaluation) of a checks monitor. */
  readonly onChecks?: (result: ChecksResult) => void;
  /** Called with every closed window of a performance monitor. */
  readonly onPerformance?: (result: PerformanceResult) => void;
  /** Called when a concept-drift detector fires or enters or leaves its warning zone. */
  readonly onDetection?: (monitor: string, status: DetectorStatus) => void;
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
  readonly features: readonly { name: string; pointer: CompiledPointer; numeric: boolean }[];
  /** Reused for every event: monitors copy what they keep, so one object serves the whole stream. */
  readonly values: Record<string, unknown>;
  readonly monitors: AnyMonitor[];
  /** The checks monitors among them (their `dead_letter` expectations judge events first). */
  readonly checks: ChecksMonitor[];
  readonly deadLetter: DeadLetterSink;
  readonly eventTime: CompiledPointer | null;
}

/** A monitor of any type the pipeline runs. */
type AnyMonitor = DriftMonitor | OutlierMonitor | PerformanceMonitor | ChecksMonitor;

/** How often sources' health is checked for `driftwatch_source_up` and `/readyz`. */
const HEALTH_INTERVAL_MS = 1000;

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
  private readonly monitors = new Map<string, { monitor: AnyMonitor; hash: string }>();
  private readonly positions: Positions = {};
  private readonly store: CheckpointStore;
  private readonly server: MetricsServer | null;
  private readonly tasks: ScheduledTask[] = [];
  private timers: NodeJS.Timeout[] = [];
  private checkpointing: Promise<void> | null = null;
  /** Per source: last known health, the start of the batch in flight, and a failure of the source. */
  private readonly health = new Map<
    string,
    { up: boolean; reason?: string; busySince: number | null; failed: string | null }
  >();
  private stopped = false;
  private alerting!: Alerting;
  /** Processing time of the last batch per source, for `source_silent` rules. */
  private readonly lastArrival: Record<string, number | null> = {};
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
    this.server = listen === null ? null : new MetricsServer(this.metrics, listen);
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

    for (const [name, monitorConfig] of Object.entries(config.monitors) as [string, MonitorConfig][]) {
      const used = "features" in monitorConfig ? monitorConfig.features : [];
      if (monitorConfig.type === "checks") {
        const suite = loadSuite(resolvePath(monitorConfig.suite));
        // The suite's expectations are part of the state's shape: an edited suite starts afresh.
        const hash = hashOf({
          monitor: monitorConfig,
          features: config.features,
          suite: suite.expectations.map((e) => e.config),
        });
        const previous = saved[name];
        if (previous && previous.hash !== hash)
          log.warn("monitor configuration changed; its state starts afresh", { monitor: name });
        const window =
          "same_as" in monitorConfig.window
            ? (config.monitors[monitorConfig.window.same_as] as { window: WindowConfig }).window
            : monitorConfig.window;
        const features: Record<string, string> = {};
        for (const [feature, f] of Object.entries(config.features))
          if (f.source === monitorConfig.source) features[feature] = f.path;
        const reference = monitorConfig.reference
          ? readReferenceFields(resolvePath(monitorConfig.reference.path))
          : null;
        const monitor = new ChecksMonitor(
          name,
          monitorConfig,
          suite,
          window,
          features,
          reference,
          previous?.hash === hash ? (previous.state as ChecksMonitorState) : undefined,
          this.now(),
        );
        this.monitors.set(name, { monitor, hash });
        this.metrics.lateEventsTotal.inc({ monitor: name }, 0);
        for (const e of suite.expectations)
          this.metrics.expectationUnexpectedTotal.inc(
            { monitor: name, suite: suite.name, expectation: e.type, feature: e.feature },
            0,
          );
        continue;
      }
      const kinds: Record<string, "numeric" | "categorical"> = {};
      for (const feature of used) kinds[feature] = (config.features[feature] as FeatureConfig).type;
      const hash = hashOf({ monitor: monitorConfig, features: used.map((f) => config.features[f]) });
      const previous = saved[name];
      let state: unknown;
      if (previous?.hash === hash) state = previous.state;
      else if (previous)
        log.warn("monitor configuration changed; its state starts afresh", { monitor: name });
      let monitor: AnyMonitor;
      if (monitorConfig.type === "performance") {
        monitor = new PerformanceMonitor(
          name,
          monitorConfig,
          state as PerformanceMonitorState | undefined,
          this.now,
        );
        this.monitors.set(name, { monitor, hash });
        for (const entry of monitorConfig.detectors ?? [])
          this.metrics.conceptDriftTotal.inc({ monitor: name, detector: entry.type }, 0);
        continue;
      }
      const ref = monitorConfig.reference;
      if (monitorConfig.type === "outliers") {
        const rows =
          ref.type === "file" ? await readNumericRows(resolvePath(ref.path), monitorConfig.features) : null;
        monitor = new OutlierMonitor(name, monitorConfig, rows, state as OutlierMonitorState | undefined);
        for (const { scorer, threshold } of monitor.thresholds)
          this.metrics.outlierThreshold.set({ monitor: name, scorer }, threshold);
      } else {
        const reference =
          ref.type === "first"
            ? null
            : (await loadReference(ref.type, resolvePath(ref.path), kinds)).features;
        monitor = new DriftMonitor(
          name,
          monitorConfig,
          kinds,
          reference,
          state as DriftMonitorState | undefined,
        );
      }
      this.monitors.set(name, { monitor, hash });
      this.metrics.referenceEvents.set({ monitor: name }, monitor.referenceEvents);
      this.metrics.lateEventsTotal.inc({ monitor: name }, 0);
    }

    for (const [name, sourceConfig] of Object.entries(config.sources)) {
      const features = Object.entries(config.features)
        .filter(([, f]) => f.source === name)
        .map(([feature, f]) => ({
          name: feature,
          pointer: compilePointer(f.path),
          numeric: f.type === "numeric",
        }));
      const monitors = [...this.monitors.values()]
        .map((m) => m.monitor)
        .filter((m) =>
          m instanceof PerformanceMonitor
            ? m.sources.includes(name)
            : m instanceof ChecksMonitor
              ? m.config.source === name
              : m.config.features.some((f) => config.features[f]?.source === name),
        );
      const sourceLog = log.child({ source: name });
      let source: Source;
      switch (sourceConfig.type) {
        case "kafka":
          source = new KafkaSource(name, sourceConfig, sourceLog, this.metrics, this.now);
          break;
        case "file":
          source = new FileSource(name, { ...sourceConfig, path: resolvePath(sourceConfig.path) });
          break;
        case "http":
          source = new HttpSource(name, sourceConfig, this.metrics, sourceLog);
          break;
      }
      // Without a configured destination, rejected events go to a file in the state dir: they are
      // never dropped silently.
      const dl = sourceConfig.dead_letter;
      const deadLetter: DeadLetterSink =
        dl === undefined
          ? new FileDeadLetter(join(this.store.dir, `dead-letter-${name}.jsonl`))
          : "topic" in dl
            ? new KafkaDeadLetter(
                sourceConfig.type === "kafka" ? sourceConfig.brokers : [],
                dl.topic,
                sourceLog,
              )
            : new FileDeadLetter(resolvePath(dl.path));
      this.runtimes.push({
        name,
        config: sourceConfig,
        source,
        decoder: new EventDecoder(
          sourceConfig.schema === undefined ? undefined : resolvePath(sourceConfig.schema),
          {
            maxBytes: sourceConfig.max_event_bytes ?? DEFAULT_MAX_EVENT_BYTES,
            maxDepth: sourceConfig.max_depth ?? DEFAULT_MAX_DEPTH,
          },
        ),
        features,
        values: Object.fromEntries(features.map((f) => [f.name, undefined])),
        monitors,
        checks: monitors.filter((m): m is ChecksMonitor => m instanceof ChecksMonitor),
        deadLetter,
        eventTime: sourceConfig.event_time === undefined ? null : compilePointer(sourceConfig.event_time),
      });
      this.positions[name] ??= {};
      this.lastArrival[name] = null;
      // Counters whose label values are known up front start at 0, so that `increase()` sees their
      // first event (a series that appears already at 1 has no increase).
      this.metrics.deadLetterTotal.inc({ source: name, outcome: "failed" }, 0);
      this.metrics.deadLetterTotal.inc({ source: name, outcome: "written" }, 0);
      if (sourceConfig.type === "kafka")
        this.metrics.offsetCommitsTotal.inc({ source: name, outcome: "failed" }, 0);
    }
    if (checkpoint) {
      log.info("restored checkpoint", {
        path: this.store.path,
        written_at: new Date(checkpoint.written_at).toISOString(),
        positions: checkpoint.positions,
      });
    }
  }

  /** Starts the metrics server, the sources, the schedules and the checkpoint timer. */
  async start(): Promise<void> {
    const { config } = this.loaded;
    await this.server?.start();
    for (const runtime of this.runtimes) {
      // The live positions, not a copy: after a rebalance or a seek, sources skip whatever the
      // state already holds.
      this.health.set(runtime.name, { up: false, reason: "starting", busySince: null, failed: null });
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
    for (const { monitor } of this.monitors.values()) {
      if (monitor instanceof DriftMonitor && monitor.config.schedule !== undefined) {
        this.tasks.push(
          cronSchedule(monitor.config.schedule, () => this.evaluateOpen(monitor), {
            name: `driftwatch-${monitor.name}`,
          }),
        );
      }
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
      this.checkpoint().catch(() => {});
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

  /** Resolves when every finite source (file replay) has delivered all its events. */
  finished(): Promise<void> {
    const finite = this.runtimes.filter((r) => r.config.type === "file");
    return Promise.all(finite.map((r) => r.source.finished)).then(() => undefined);
  }

  /** Decodes, validates and routes one batch; rejected events go to the dead letter first. */
  private async process(runtime: SourceRuntime, records: readonly SourceRecord[]): Promise<BatchOutcome> {
    const decoded = records.map((record) => {
      if (record.parsed instanceof RejectedRecord)
        return { ok: false as const, reason: record.parsed.reason, detail: record.parsed.detail };
      return record.parsed !== undefined
        ? runtime.decoder.check(record.parsed)
        : runtime.decoder.decode(record.value);
    });
    const letters: DeadLetter[] = [];
    // Events failing a `dead_letter` expectation: valid, seen by the checks monitors (their
    // windows count them), kept from every other monitor, and written to the dead letter first.
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
      for (const monitor of runtime.checks) {
        const failed = monitor.rejects(result.event);
        if (failed.length === 0) continue;
        quarantined ??= new Set();
        quarantined.add(i);
        letters.push({
          source: runtime.name,
          reason: `expectation:${failed[0]}`,
          detail: `suite ${monitor.suite.name}: failed ${failed.join(", ")}`,
          record: records[i],
        });
        break;
      }
    }
    if (letters.length > 0) {
      // Written (and acknowledged) before these records' positions can be checkpointed.
      for (let attempt = 1; ; attempt++) {
        try {
          await runtime.deadLetter.write(letters);
          this.metrics.deadLetterTotal.inc({ source: runtime.name, outcome: "written" }, letters.length);
          break;
        } catch (error) {
          this.metrics.deadLetterTotal.inc({ source: runtime.name, outcome: "failed" }, letters.length);
          this.options.log.warn("dead-letter write failed; retrying", { attempt, error });
          if (this.stopped) throw error;
          await new Promise((resolve) => setTimeout(resolve, Math.min(30_000, 200 * 2 ** attempt)));
        }
      }
    }
    // From here on everything is synchronous: state and positions change together.
    const positions = this.positions[runtime.name];
    const now = this.now();
    this.lastArrival[runtime.name] = now;
    const results: DriftResult[] = [];
    const outlierResults: OutlierResult[] = [];
    const performanceResults: PerformanceResult[] = [];
    const checksResults: ChecksResult[] = [];
    let accepted = 0;
    for (const [i, result] of decoded.entries()) {
      const record = records[i];
      if (result.ok) {
        // An event a `dead_letter` expectation set aside reaches the checks monitors only.
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
            feature.numeric ? typeof value !== "number" || !Number.isFinite(value) : typeof value === "object"
          ) {
            this.metrics.featureInvalidTotal.inc({ source: runtime.name, feature: feature.name });
          }
        }
        const eventTime =
          runtime.eventTime === null ? null : toMillis(getAt(result.event, runtime.eventTime));
        for (const monitor of held ? runtime.checks : runtime.monitors) {
          const late = monitor.lateEvents;
          if (monitor instanceof ChecksMonitor) {
            checksResults.push(
              ...monitor.add(result.event, now, eventTime, {
                position: record.position,
                id: monitor.idOf(result.event),
              }),
            );
          } else if (monitor instanceof DriftMonitor) {
            results.push(
              ...monitor.add(values, now, eventTime, {
                position: record.position,
                id: monitor.idOf(result.event),
              }),
            );
          } else if (monitor instanceof PerformanceMonitor) {
            const { detections, closed } = monitor.add(runtime.name, result.event, values);
            for (const detection of detections) this.publishDetection(monitor.name, detection);
            if (detections.length > 0) this.alerting.onDetections(monitor.name, detections, now);
            performanceResults.push(...closed);
          } else {
            const { scores, closed } = monitor.add(values, now, eventTime, monitor.idOf(result.event));
            for (const score of scores) {
              this.metrics.outlierScore.observe({ monitor: monitor.name, scorer: score.scorer }, score.score);
              if (score.outlier)
                this.metrics.outlierEventsTotal.inc({ monitor: monitor.name, scorer: score.scorer });
            }
            outlierResults.push(...closed);
          }
          if (monitor.lateEvents > late) this.metrics.lateEventsTotal.inc({ monitor: monitor.name });
        }
      } else {
        this.metrics.eventsInvalidTotal.inc({ source: runtime.name, reason: result.reason });
      }
      if (record.position) positions[record.position.key] = record.position.offset + 1;
    }
    if (accepted > 0) this.metrics.eventsTotal.inc({ source: runtime.name, outcome: "valid" }, accepted);
    if (letters.length > 0)
      this.metrics.eventsTotal.inc({ source: runtime.name, outcome: "invalid" }, letters.length);
    for (const result of checksResults) this.publishChecks(result);
    for (const monitor of runtime.monitors) {
      this.metrics.referenceEvents.set({ monitor: monitor.name }, monitor.referenceEvents);
      if (monitor instanceof PerformanceMonitor) this.publishJoin(monitor);
      // A `first` reference fits the scorers mid-batch: export their thresholds as they appear.
      if (monitor instanceof OutlierMonitor) {
        for (const { scorer, threshold } of monitor.thresholds)
          this.metrics.outlierThreshold.set({ monitor: monitor.name, scorer }, threshold);
      }
    }
    for (const result of results) this.publish(result);
    for (const result of outlierResults) this.publishOutliers(result);
    for (const result of performanceResults) this.publishPerformance(result);
    return { accepted, rejected: letters.length };
  }

  private tick(): void {
    const now = this.now();
    for (const { monitor } of this.monitors.values()) {
      if (!monitor.needsTick) continue;
      if (monitor instanceof DriftMonitor) for (const result of monitor.tick(now)) this.publish(result);
      else if (monitor instanceof ChecksMonitor)
        for (const result of monitor.tick(now)) this.publishChecks(result);
      else if (monitor instanceof PerformanceMonitor) {
        for (const result of monitor.tick(now)) this.publishPerformance(result);
        this.publishJoin(monitor);
      } else for (const result of monitor.tick(now)) this.publishOutliers(result);
    }
  }

  private evaluateOpen(monitor: DriftMonitor): void {
    const result = monitor.evaluateOpen();
    if (result) this.publish(result);
  }

  /** A detector fired or entered/left its warning zone: counted at once, not at window close. */
  private publishDetection(monitor: string, status: DetectorStatus): void {
    if (status.drift) this.metrics.conceptDriftTotal.inc({ monitor, detector: status.detector });
    this.metrics.conceptDriftWarning.set({ monitor, detector: status.detector }, status.warning ? 1 : 0);
    if (status.estimate !== null)
      this.metrics.conceptDriftEstimate.set({ monitor, detector: status.detector }, status.estimate);
    this.options.onDetection?.(monitor, status);
  }

  /** The join's buffers and outcomes (counters follow the monitor's cumulative counts). */
  private publishJoin(monitor: PerformanceMonitor): void {
    const m = this.metrics;
    const { predictions, labels } = monitor.pending;
    m.joinPending.set({ monitor: monitor.name, side: "predictions" }, predictions);
    m.joinPending.set({ monitor: monitor.name, side: "labels" }, labels);
    for (const [outcome, count] of Object.entries(monitor.joinCounts))
      m.joinEvents.set({ monitor: monitor.name, outcome }, count);
  }

  /** Exports a closed window of model metrics (window and cumulative, overall and per slice). */
  private publishPerformance(result: PerformanceResult): void {
    const m = this.metrics;
    const monitor = result.monitor;
    const scopes = [
      ["window", result.window_metrics],
      ["cumulative", result.cumulative_metrics],
    ] as const;
    for (const [scope, metrics] of scopes) {
      for (const [slice, values] of [["all", metrics.all] as const, ...Object.entries(metrics.slices)]) {
        for (const [metric, estimate] of Object.entries(values)) {
          if (estimate === null || typeof estimate !== "object" || !("value" in estimate)) continue;
          const labels = { monitor, metric, slice, scope };
          if (estimate.value === null) {
            m.performance.remove(labels);
            continue;
          }
          m.performance.set(labels, estimate.value);
          if (estimate.interval) {
            m.performanceLower.set(labels, estimate.interval.low);
            m.performanceUpper.set(labels, estimate.interval.high);
          }
        }
        m.performanceCount.set({ monitor, slice, scope }, values.count);
      }
    }
    for (const status of result.detectors) {
      m.conceptDriftWarning.set({ monitor, detector: status.detector }, status.warning ? 1 : 0);
      if (status.estimate !== null)
        m.conceptDriftEstimate.set({ monitor, detector: status.detector }, status.estimate);
    }
    m.windowEvents.set({ monitor }, result.window.events);
    m.windowsTotal.inc({ monitor, trigger: "window_close" });
    this.alerting.onPerformance(result, this.now());
    this.options.onPerformance?.(result);
  }

  /** Exports a suite's results (per expectation: success, unexpected count, observed value, bounds). */
  private publishChecks(result: ChecksResult): void {
    const m = this.metrics;
    const monitor = result.monitor;
    const suite = result.suite;
    for (const r of result.validation.results) {
      const labels = {
        monitor,
        suite,
        expectation: r.expectation_config.type,
        feature: expectationFeature(r.expectation_config.kwargs),
      };
      const body = r.result;
      const details = (body.details ?? {}) as Record<string, unknown>;
      const warming = details.warming_up === true;
      m.expectationWarmingUp.set(labels, warming ? 1 : 0);
      if (warming) m.expectationSuccess.remove(labels);
      else m.expectationSuccess.set(labels, r.success ? 1 : 0);
      if (result.trigger === "window_close" && body.unexpected_count !== undefined)
        m.expectationUnexpectedTotal.inc(labels, body.unexpected_count);
      if (typeof body.observed_value === "number" && Number.isFinite(body.observed_value))
        m.expectationObservedValue.set(labels, body.observed_value);
      for (const bound of ["lower", "upper"] as const) {
        const value = details[bound];
        if (typeof value === "number") m.expectationBound.set({ ...labels, bound }, value);
      }
    }
    if (result.trigger === "window_close") {
      m.suiteSuccess.set({ monitor, suite }, result.validation.success ? 1 : 0);
      m.windowEvents.set({ monitor }, result.window.events);
      m.windowsTotal.inc({ monitor, trigger: result.trigger });
      m.evaluationDuration.observe({ monitor }, result.duration_secs);
    }
    this.alerting.onChecks(result, this.now());
    this.options.onChecks?.(result);
  }

  /** Exports a closed outlier window as metrics and hands it to the CLI. */
  private publishOutliers(result: OutlierResult): void {
    const monitor = result.monitor;
    for (const scorer of result.scorers) {
      this.metrics.outlierRatio.set({ monitor, scorer: scorer.scorer }, scorer.ratio);
      this.metrics.outlierThreshold.set({ monitor, scorer: scorer.scorer }, scorer.threshold);
    }
    this.metrics.windowEvents.set({ monitor }, result.window.events);
    this.metrics.windowsTotal.inc({ monitor, trigger: "window_close" });
    this.alerting.onOutliers(result, this.now());
    this.options.onOutliers?.(result);
  }

  /** Exports an evaluation as metrics and hands it to the CLI. */
  private publish(result: DriftResult): void {
    const m = this.metrics;
    const monitor = result.monitor;
    const { evaluation } = result;
    for (const column of evaluation.columns) {
      m.driftStatistic.set({ monitor, feature: column.name, test: column.test }, column.statistic);
      const p = column.p_value_adjusted ?? column.p_value;
      if (p !== null) m.driftPValue.set({ monitor, feature: column.name, test: column.test }, p);
      m.driftDetected.set({ monitor, feature: column.name }, column.drift ? 1 : 0);
    }
    for (const [feature, quality] of Object.entries(result.quality)) {
      m.missingRatio.set({ monitor, feature }, quality.missing_ratio);
      if (quality.unseen_category_ratio !== null)
        m.unseenCategoryRatio.set({ monitor, feature }, quality.unseen_category_ratio);
    }
    m.datasetDrift.set({ monitor }, evaluation.dataset.drift ? 1 : 0);
    m.driftedShare.set({ monitor }, evaluation.dataset.share);
    m.windowEvents.set({ monitor }, result.window.events);
    m.windowsTotal.inc({ monitor, trigger: result.trigger });
    m.evaluationDuration.observe({ monitor }, result.duration_secs);
    this.alerting.onDrift(result, this.now());
    this.options.onResult?.(result);
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
    // Dead letters must be durable before the positions that skip them are.
    for (const runtime of this.runtimes) await runtime.deadLetter?.flush();
    // Snapshot synchronously: no batch can interleave between state and positions.
    const monitors: Record<string, unknown> = {};
    // The type says which shape check the state must pass when it is read back.
    for (const [name, { monitor, hash }] of this.monitors)
      monitors[name] = { hash, type: this.loaded.config.monitors[name].type, state: monitor.state };
    const checkpoint: Checkpoint = {
      format: "driftwatch-checkpoint",
      version: 2,
      written_at: Date.now(),
      config_hash: hashOf(this.loaded.config.monitors),
      positions: structuredClone(this.positions),
      monitors,
      alerts: this.alerting.state,
    };
    const started = process.hrtime.bigint();
    try {
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
      this.options.log.error("checkpoint failed", { path: this.store.path, error });
      throw error;
    }
    for (const runtime of this.runtimes) {
      try {
        await runtime.source.commit(checkpoint.positions[runtime.name] ?? {});
        if (runtime.config.type === "kafka")
          this.metrics.offsetCommitsTotal.inc({ source: runtime.name, outcome: "ok" });
      } catch (error) {
        // Not fatal: the checkpoint holds the positions, and the next commit catches up.
        this.metrics.offsetCommitsTotal.inc({ source: runtime.name, outcome: "failed" });
        this.options.log.warn("offset commit failed", { source: runtime.name, error });
      }
    }
  }

  /** Stops the sources (waiting for batches in flight), writes a final checkpoint, closes everything. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.server) this.server.ready = false;
    for (const task of this.tasks) task.stop();
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    // Drain first and stop after the final checkpoint, so that its offsets can still be committed.
    for (const runtime of this.runtimes) await runtime.source.drain();
    await this.checkpointing?.catch(() => {});
    await this.checkpoint();
    for (const runtime of this.runtimes) await runtime.source.stop();
    for (const runtime of this.runtimes) await runtime.deadLetter?.close();
    await this.alerting.close();
    await this.server?.stop();
    this.options.log.info("stopped", { state: this.store.path });
  }
}
