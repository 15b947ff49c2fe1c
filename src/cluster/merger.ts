import { randomUUID } from "node:crypto";
import type { Consumer, Kafka, Producer } from "kafkajs";
import type { Logger } from "../log.js";
import type { Metrics } from "../metrics/metrics.js";
import { mergePanes } from "../windows/window.js";
import { MergeBook, type ReadyWindow, type Rejection } from "./book.js";
import type { ClusterMonitor } from "./partitions.js";
import { BARRIER_KEY, decodeStateRecord, type MergeMark, mergedKey } from "./records.js";

/** Where the merger reads and writes. */
export interface MergerTopics {
  /** The source's topic (its partition count is the number of partials a window needs) and group. */
  readonly topic: string;
  readonly group: string;
  readonly stateTopic: string;
  readonly resultsTopic: string;
  /** The one-partition topic whose partition 0's owner, in the group `GROUP.driftwatch-leader`, merges. */
  readonly leaderTopic: string;
}

/** A global result as the results topic carries it. */
export interface ClusterResult {
  readonly format: "driftwatch-result";
  readonly version: 1;
  readonly monitor: string;
  readonly window: number;
  readonly result: unknown;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Merges a cluster source's windows: one instance at a time, the one the group
 * `GROUP.driftwatch-leader` assigns partition 0 of the leader topic, so that Kafka's own group
 * protocol elects it and moves the role when that instance dies or leaves. The merger reads the
 * state topic (read-committed), and once every partition's partial of a monitor's next window is
 * in, merges them in partition order, judges the window with the monitor's own code, and in one
 * transaction writes the result to the results topic, the merge mark, and tombstones for the
 * partials; then exports the result (metrics, alerts, verdict line).
 *
 * Taking over: the merger's transactional id is the same on every instance, so a new merger
 * fences the old one; it then writes a barrier and reads the state topic up to it before it
 * merges, so that it knows every mark written before: no window is merged twice.
 */
export class Merger {
  private leaderConsumer: Consumer | null = null;
  /** Bumped on every change of leadership: work of an older term stops. */
  private term = 0;
  private leading: { term: number; producer: Producer; reader: Consumer } | null = null;
  private book: MergeBook | null = null;
  private readonly logged = new Set<string>();
  private readonly monitors: Map<string, ClusterMonitor>;
  private caughtUp = false;
  private stopped = false;
  private merging: Promise<void> = Promise.resolve();
  /** Whether the leader group gave this instance partition 0 (the role), as its last assignment said. */
  private holdsLead = false;
  /** Clients of ended terms being closed. */
  private closing: Promise<void> = Promise.resolve();

  constructor(
    private readonly kafka: () => Kafka,
    private readonly topics: MergerTopics,
    monitors: readonly ClusterMonitor[],
    private readonly source: string,
    private readonly publish: (monitor: string, result: unknown) => void,
    private readonly log: Logger,
    private readonly metrics: Metrics,
    private readonly sessionTimeoutMs: number,
    /** `cluster.lateness_secs`: how far past a time window another partition may be before it closes without a silent one. */
    private readonly latenessSecs: number | null,
    private readonly now: () => number = Date.now,
  ) {
    this.monitors = new Map(monitors.map((m) => [m.name, m]));
    metrics.clusterLeader.set({ source }, 0);
    for (const reason of ["undecodable", "stale_config", "late", "unknown_monitor"])
      metrics.clusterPartialsRejectedTotal.inc({ source, reason }, 0);
    for (const monitor of monitors)
      for (const outcome of ["evaluated", "lateness", "skipped"])
        metrics.clusterWindowsTotal.inc({ monitor: monitor.name, outcome }, 0);
  }

  /** Whether this instance merges now. */
  get isLeader(): boolean {
    return this.leading !== null;
  }

  /** Joins the leader group; leadership comes and goes with its assignment. */
  async start(): Promise<void> {
    const consumer = this.kafka().consumer({
      groupId: `${this.topics.group}.driftwatch-leader`,
      sessionTimeout: this.sessionTimeoutMs,
      heartbeatInterval: Math.min(3000, Math.floor(this.sessionTimeoutMs / 3)),
      allowAutoTopicCreation: false,
    });
    this.leaderConsumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      const leader = (payload.memberAssignment[this.topics.leaderTopic] ?? []).includes(0);
      this.holdsLead = leader;
      if (leader && this.leading === null) this.takeLead();
      else if (!leader) this.resign("partition 0 of the leader topic moved");
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.holdsLead = false;
      this.resign(`the leader group's consumer crashed: ${payload.error.message}`);
      // kafkajs rejoins by itself after a retriable error; after any other the consumer is dead.
      if (!payload.restart && !this.stopped)
        setTimeout(() => {
          if (this.stopped || this.leaderConsumer !== consumer) return;
          void consumer
            .disconnect()
            .catch(() => {})
            .then(() => (this.stopped ? undefined : this.start()))
            .catch((error: unknown) =>
              this.log.warn("cannot join the leader group", { error: String(error) }),
            );
        }, 5000).unref();
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [this.topics.leaderTopic], fromBeginning: false });
    await consumer.run({ eachMessage: async () => {} });
  }

  /** Becomes the merger: fences the previous one, reads the state topic to a barrier of its own, then merges. */
  private takeLead(): void {
    const term = ++this.term;
    const attempt = async (): Promise<void> => {
      for (let tries = 1; term === this.term && !this.stopped; tries++) {
        try {
          await this.lead(term);
          return;
        } catch (error) {
          this.log.warn("cannot take the merger's role yet; retrying", {
            attempt: tries,
            error: (error as Error).message.split("\n")[0],
          });
          await this.dropLead();
          await sleep(Math.min(5000, 250 * 2 ** Math.min(tries - 1, 5)));
        }
      }
    };
    void attempt();
  }

  private async lead(term: number): Promise<void> {
    const kafka = this.kafka();
    const producer = kafka.producer({
      transactionalId: `driftwatch-${this.topics.group}-merger`,
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: 30_000,
      retry: { retries: 8, initialRetryTime: 20, maxRetryTime: 2000 },
    });
    await producer.connect();
    const admin = kafka.admin();
    let reader: Consumer | null = null;
    try {
      const init = await producer.transaction();
      await init.abort();
      await admin.connect();
      const metadata = await admin.fetchTopicMetadata({ topics: [this.topics.topic] });
      const partitions = metadata.topics[0]?.partitions.length ?? 0;
      if (partitions === 0) throw new Error(`topic ${this.topics.topic} has no partitions`);
      const nonce = randomUUID();
      const barrier = await producer.transaction();
      try {
        await barrier.send({
          topic: this.topics.stateTopic,
          acks: -1,
          messages: [
            { key: BARRIER_KEY, value: JSON.stringify({ format: "driftwatch-barrier", version: 1, nonce }) },
          ],
        });
        await barrier.commit();
      } catch (error) {
        await barrier.abort().catch(() => {});
        throw error;
      }
      if (term !== this.term || this.stopped) {
        await producer.disconnect().catch(() => {});
        return;
      }
      const book = new MergeBook(
        new Map(
          [...this.monitors.values()].map((m) => {
            const w = m.windows.window;
            const lateness =
              "duration_secs" in w ? Math.ceil((this.latenessSecs ?? 0) / w.duration_secs) : null;
            return [m.name, { identity: m.identity, lateness }];
          }),
        ),
        partitions,
      );
      this.book = book;
      this.caughtUp = false;
      reader = kafka.consumer({
        groupId: `${this.topics.group}.driftwatch-merger-${nonce}`,
        readUncommitted: false,
        allowAutoTopicCreation: false,
      });
      const consumer = reader;
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        if (payload.restart || this.term !== term) return;
        // The state topic's reader is dead: take the role again, from the marks, while it is ours.
        this.resign(`the state topic's reader crashed: ${payload.error.message}`);
        setTimeout(() => {
          if (this.holdsLead && this.leading === null && !this.stopped) this.takeLead();
        }, 1000).unref();
      });
      if (this.leading !== null) void this.dropLead();
      this.leading = { term, producer, reader: consumer };
      await consumer.connect();
      await consumer.subscribe({ topics: [this.topics.stateTopic], fromBeginning: true });
      await consumer.run({
        eachBatch: async ({ batch, isRunning, isStale }) => {
          for (const message of batch.messages) {
            if (!isRunning() || isStale() || this.term !== term) return;
            const record = decodeStateRecord(message.key?.toString("utf8") ?? "", message.value);
            if (record.type === "barrier" && record.barrier.nonce === nonce && !this.caughtUp) {
              this.caughtUp = true;
              this.log.info("merging the cluster's windows", {
                partitions,
                next: Object.fromEntries([...this.monitors.keys()].map((m) => [m, book.next(m)])),
              });
            }
            const rejection = book.apply(record);
            if (rejection !== null) this.reject(rejection);
          }
          if (this.caughtUp) await this.mergeReady(term);
        },
      });
      this.metrics.clusterLeader.set({ source: this.source }, 1);
      this.log.info("leading the cluster's merges", { source: this.source });
    } catch (error) {
      await reader?.disconnect().catch(() => {});
      throw error;
    } finally {
      await admin.disconnect().catch(() => {});
    }
  }

  /** Counts a record the merger cannot use, and logs it once per monitor, window and reason. */
  private reject({ reason, monitor, window, why, key }: Rejection): void {
    this.metrics.clusterPartialsRejectedTotal.inc({ source: this.source, reason });
    const once = `${reason}/${monitor}/${window}`;
    if (this.logged.has(once)) return;
    this.logged.add(once);
    this.log.warn("cluster partial not used", { monitor, window, reason, why, ...(key ? { key } : {}) });
  }

  /** Merges every monitor's windows whose partials are all in, in window order; one monitor never waits on another. */
  private mergeReady(term: number): Promise<void> {
    this.merging = this.merging.then(async () => {
      const book = this.book;
      if (book === null) return;
      for (const monitor of this.monitors.values()) {
        while (this.term === term && this.leading !== null) {
          const ready = book.ready(monitor.name);
          if (ready === null) break;
          if (!(await this.mergeWindow(term, book, monitor, ready))) break;
        }
        const waiting = book.waiting(monitor.name);
        this.metrics.clusterWindowsWaiting.set({ monitor: monitor.name }, waiting.windows);
        this.metrics.clusterPartitionsWaiting.set({ monitor: monitor.name }, waiting.partitions);
      }
    });
    return this.merging;
  }

  /** Judges a ready window (or skips it) and commits the outcome; false when the term ended instead. */
  private async mergeWindow(
    term: number,
    book: MergeBook,
    monitor: ClusterMonitor,
    ready: ReadyWindow,
  ): Promise<boolean> {
    const { window } = ready;
    const results: unknown[] = [];
    let lastPublished = 0;
    if (ready.outcome === "evaluated") {
      for (const partial of ready.partials) lastPublished = Math.max(lastPublished, partial.published_at);
      const merged = mergePanes(
        ready.partials.map((p) => p.pane),
        monitor.windows.specs as Record<string, never>,
      );
      results.push(...monitor.windows.judge({ index: window, ...merged }));
      if (ready.missing.length > 0)
        this.log.warn("cluster window closed by the lateness bound", {
          monitor: monitor.name,
          window,
          without_partitions: ready.missing.join(","),
        });
    } else {
      for (const rejection of ready.stale) this.reject(rejection);
      this.log.warn("cluster window skipped", { monitor: monitor.name, window, why: ready.why });
    }
    const mark: MergeMark = {
      format: "driftwatch-merged",
      version: 1,
      monitor: monitor.name,
      window,
      outcome: ready.outcome,
    };
    const leading = this.leading;
    if (leading === null || leading.term !== term || this.term !== term) return false;
    const transaction = await leading.producer.transaction();
    try {
      await transaction.send({
        topic: this.topics.stateTopic,
        acks: -1,
        messages: [
          { key: mergedKey(monitor.name), value: JSON.stringify(mark) },
          ...book.keysOf(monitor.name, window).map((key) => ({ key, value: null })),
        ],
      });
      if (results.length > 0)
        await transaction.send({
          topic: this.topics.resultsTopic,
          acks: -1,
          messages: results.map((result) => ({
            key: `${monitor.name}/${window}`,
            value: JSON.stringify({
              format: "driftwatch-result",
              version: 1,
              monitor: monitor.name,
              window,
              result,
            } satisfies ClusterResult),
          })),
        });
      await transaction.commit();
    } catch (error) {
      await transaction.abort().catch(() => {});
      // Fenced by a newer merger, or the brokers away: either way this term ends; if this instance
      // still holds partition 0 it takes the role again, reading where the marks stand.
      this.resign(`a merge transaction failed: ${(error as Error).message.split("\n")[0]}`);
      setTimeout(() => {
        if (this.holdsLead && this.leading === null && !this.stopped) this.takeLead();
      }, 1000).unref();
      return false;
    }
    book.apply({ type: "merged", mark });
    this.metrics.clusterWindowsTotal.inc({
      monitor: monitor.name,
      outcome: ready.outcome === "evaluated" && ready.missing.length > 0 ? "lateness" : mark.outcome,
    });
    if (lastPublished > 0)
      this.metrics.clusterMergeLagSeconds.set(
        { monitor: monitor.name },
        Math.max(0, this.now() - lastPublished) / 1000,
      );
    for (const result of results) this.publish(monitor.name, result);
    return true;
  }

  /**
   * Ends the current term at once (loops of the term stop) and closes its clients in the
   * background: a term may end from within its own reader's batch, which a disconnect would wait on.
   */
  private dropLead(): Promise<void> {
    const leading = this.leading;
    this.leading = null;
    this.metrics.clusterLeader.set({ source: this.source }, 0);
    if (leading === null) return Promise.resolve();
    const closing = (async () => {
      await leading.reader.disconnect().catch(() => {});
      await leading.producer.disconnect().catch(() => {});
    })();
    this.closing = this.closing.then(() => closing);
    return closing;
  }

  /** Stops merging (another instance holds the role now, or will). */
  private resign(why: string): void {
    this.term++;
    if (this.leading === null) return;
    this.log.info("no longer merging the cluster's windows", { why });
    void this.dropLead();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.term++;
    void this.dropLead();
    await this.closing;
    await this.leaderConsumer?.disconnect().catch(() => {});
    this.leaderConsumer = null;
  }
}
