import type { Consumer } from "kafkajs";
import type { Logger } from "../log.js";
import type { Metrics } from "../metrics/metrics.js";
import type { KafkaSourceConfig } from "./config.js";
import { kafkaClient } from "./kafka-client.js";
import {
  type BatchHandler,
  DEFAULT_STALL_TIMEOUT_SECS,
  type PartitionHooks,
  type Source,
  type SourceHealth,
  type SourceRecord,
} from "./source.js";

/** The position key of a partition: `topic/partition`. */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}/${partition}`;
}

const RESTART_BACKOFF_MS = [1000, 2000, 5000, 10_000, 30_000] as const;

/**
 * One line saying why a Kafka connection failed, with the cause kafkajs wraps (a refused
 * certificate, bad credentials) and the topic when it is the topic that is missing.
 */
export function describeKafkaError(error: unknown, topic: string): string {
  const e = error as { type?: string; message?: string; cause?: { message?: string; type?: string } } | null;
  if (e?.type === "UNKNOWN_TOPIC_OR_PARTITION" || e?.cause?.type === "UNKNOWN_TOPIC_OR_PARTITION")
    return `topic ${JSON.stringify(topic)} does not exist (yet); consuming starts when it does`;
  const message = e?.message ?? String(error);
  const cause = e?.cause?.message;
  const text = cause !== undefined && !message.includes(cause) ? `${message}: ${cause}` : message;
  return text.split("\n")[0];
}

/**
 * Consumes a topic in a consumer group with kafkajs, one batch at a time, committing offsets
 * only when told (after the checkpoint that includes them is durable).
 *
 * On joining the group each assigned partition is sought to the pipeline's position for it (the
 * checkpointed offset, or further), so a restart neither waits on Kafka's committed offset, which
 * may lag the checkpoint, nor starts at the latest offset and skips events. Records before the
 * current position of their partition are skipped, which covers redelivery after a seek, a
 * rebalance or a crash between checkpoint and commit.
 *
 * Health follows the connection, not the configuration: the source is up from joining the group
 * until a crash, and while fetches keep being answered (kafkajs long-polls at most 5 s, so a
 * silent topic still answers). A crash kafkajs does not restart from (a non-retriable error) is
 * restarted here with a new consumer after a capped backoff; the live positions make the new
 * consumer resume exactly where the state stands.
 */
export class KafkaSource implements Source {
  readonly finished = new Promise<void>(() => {});
  private consumer: Consumer | null = null;
  private draining = false;
  private stopped = false;
  private inFlight: Promise<void> | null = null;
  private handler: BatchHandler | null = null;
  private positions: Readonly<Record<string, number>> = {};
  private joined = false;
  private crashed: string | null = null;
  private lastFetch = 0;
  private restarts = 0;
  private restartTimer: NodeJS.Timeout | null = null;
  private readonly stallMs: number;

  constructor(
    readonly name: string,
    private readonly config: KafkaSourceConfig,
    private readonly resolvePath: (path: string) => string,
    private readonly log: Logger,
    private readonly metrics: Metrics,
    private readonly now: () => number = Date.now,
    private readonly hooks?: PartitionHooks,
  ) {
    this.stallMs = (config.stall_timeout_secs ?? DEFAULT_STALL_TIMEOUT_SECS) * 1000;
  }

  async start(handler: BatchHandler, positions: Readonly<Record<string, number>>): Promise<void> {
    this.handler = handler;
    this.positions = positions;
    this.lastFetch = this.now();
    // A cluster that cannot be reached, refuses the credentials or the certificate, or lacks the
    // topic yet does not stop the daemon: the source is down, says why, and tries again.
    await this.launch().catch((error: unknown) => this.launchFailed(error));
  }

  /** Records why connecting failed (one line, for the log and `/readyz`) and tries again later. */
  private launchFailed(error: unknown): void {
    const reason = describeKafkaError(error, this.config.topic);
    this.joined = false;
    this.crashed = reason;
    this.log.error("kafka source cannot consume", { error: reason, brokers: this.config.brokers.join(",") });
    this.scheduleRestart(this.consumer);
  }

  health(now: number): SourceHealth {
    if (this.crashed !== null) return { up: false, reason: this.crashed };
    if (!this.joined) return { up: false, reason: "not a member of the consumer group yet" };
    if (this.draining) return { up: true };
    const silent = now - this.lastFetch;
    if (silent > this.stallMs)
      return { up: false, reason: `no fetch answered by the brokers for ${Math.round(silent / 1000)} s` };
    return { up: true };
  }

  private async launch(): Promise<void> {
    const handler = this.handler as BatchHandler;
    const positions = this.positions;
    const kafka = kafkaClient(
      { ...this.config, resolvePath: this.resolvePath },
      this.config.client_id ?? "driftwatch",
      this.log,
    );
    const sessionTimeout = (this.config.session_timeout_secs ?? 30) * 1000;
    const consumer = kafka.consumer({
      groupId: this.config.group_id,
      allowAutoTopicCreation: false,
      sessionTimeout,
      heartbeatInterval: Math.min(3000, Math.floor(sessionTimeout / 3)),
    });
    this.consumer = consumer;
    this.joined = false;
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      const error = payload.error as Error;
      this.joined = false;
      this.crashed = `consumer crashed: ${describeKafkaError(error, this.config.topic)}`;
      this.log.error("kafka consumer crashed", { error: this.crashed, restart: payload.restart });
      // kafkajs restarts by itself from retriable errors; the rest would leave the source dead.
      if (!payload.restart) this.scheduleRestart(consumer);
    });
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      this.joined = true;
      this.crashed = null;
      this.lastFetch = this.now();
      this.log.info("joined consumer group", {
        group: payload.groupId,
        assignment: payload.memberAssignment,
      });
      // Before the seeks: partitions revoked lose their positions, new ones get theirs once ready.
      this.hooks?.assigned(this.config.topic, payload.memberAssignment[this.config.topic] ?? []);
      for (const [topic, partitions] of Object.entries(payload.memberAssignment)) {
        for (const partition of partitions) {
          const next = positions[partitionKey(topic, partition)];
          if (next !== undefined) consumer.seek({ topic, partition, offset: String(next) });
        }
      }
    });
    consumer.on(consumer.events.FETCH, () => {
      this.lastFetch = this.now();
    });
    consumer.on(consumer.events.REBALANCING, () => {
      this.lastFetch = this.now();
    });
    // A launch that a drain or stop overtook (a restart under way while the daemon stops) must
    // not go on to run a consumer no one will stop: it would keep the process alive.
    const overtaken = async (): Promise<boolean> => {
      if (!this.stopped && !this.draining && this.consumer === consumer) return false;
      await consumer.disconnect().catch(() => {});
      return true;
    };
    await consumer.connect();
    if (await overtaken()) return;
    await consumer.subscribe({
      topics: [this.config.topic],
      fromBeginning: this.config.from_beginning ?? true,
    });
    if (await overtaken()) return;
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch, heartbeat, isRunning, isStale }) => {
        if (this.draining || !isRunning() || isStale()) return;
        const work = (async () => {
          // A partition another instance owned waits until its state is taken over.
          if (this.hooks !== undefined && !(await this.hooks.ready(batch.topic, batch.partition))) return;
          const key = partitionKey(batch.topic, batch.partition);
          const records: SourceRecord[] = [];
          for (const message of batch.messages) {
            const offset = Number(message.offset);
            // Read the live position for every message: the handler advances it.
            if (offset < (positions[key] ?? 0)) continue;
            records.push({
              value: message.value ?? Buffer.alloc(0),
              position: { key, offset },
              kafka: {
                topic: batch.topic,
                partition: batch.partition,
                offset: message.offset,
                key: message.key,
              },
            });
          }
          if (records.length > 0) await handler(records);
          const last =
            batch.messages.length > 0
              ? Number(batch.messages[batch.messages.length - 1].offset)
              : Number(batch.highWatermark) - 1;
          this.metrics.consumerLag.set(
            { source: this.name, topic: batch.topic, partition: String(batch.partition) },
            Math.max(0, Number(batch.highWatermark) - last - 1),
          );
        })();
        this.inFlight = work;
        try {
          await work;
        } finally {
          if (this.inFlight === work) this.inFlight = null;
        }
        this.lastFetch = this.now();
        // Not once draining: a heartbeat racing the disconnect reopens a connection no one closes.
        if (!this.draining && !this.stopped) await heartbeat();
      },
    });
  }

  /** Replaces a consumer that kafkajs gave up on, after a backoff that grows with each restart. */
  private scheduleRestart(dead: Consumer | null): void {
    if (this.stopped || this.draining || this.restartTimer !== null) return;
    const delay = RESTART_BACKOFF_MS[Math.min(this.restarts, RESTART_BACKOFF_MS.length - 1)];
    this.restarts++;
    this.metrics.sourceRestartsTotal.inc({ source: this.name });
    this.log.warn("restarting the kafka consumer", { in_ms: delay, restarts: this.restarts });
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.stopped || this.draining) return;
      (dead?.disconnect() ?? Promise.resolve())
        .catch(() => {})
        .then(() => (this.stopped || this.draining ? undefined : this.launch()))
        .catch((error: unknown) => this.launchFailed(error));
    }, delay);
    this.restartTimer.unref();
  }

  async commit(positions: Readonly<Record<string, number>>): Promise<void> {
    if (this.consumer === null || !this.joined || this.hooks?.commitsOffsets === false) return;
    const offsets = Object.entries(positions).map(([key, next]) => {
      const slash = key.lastIndexOf("/");
      return { topic: key.slice(0, slash), partition: Number(key.slice(slash + 1)), offset: String(next) };
    });
    if (offsets.length > 0) await this.consumer.commitOffsets(offsets);
  }

  async drain(): Promise<void> {
    // Stop taking batches but keep the group membership, so the final checkpoint's offsets can
    // still be committed; kafkajs cannot commit once the consumer is stopped.
    this.draining = true;
    if (this.restartTimer !== null) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    try {
      this.consumer?.pause([{ topic: this.config.topic }]);
    } catch (error) {
      // A crashed consumer is not running and cannot be paused; it takes no batches either.
      this.log.debug("pause on drain failed", { error });
    }
    await this.inFlight?.catch(() => {});
  }

  async stop(): Promise<void> {
    await this.drain();
    this.stopped = true;
    const consumer = this.consumer;
    this.consumer = null;
    if (consumer === null) return;
    try {
      await consumer.stop();
      await consumer.disconnect();
    } catch (error) {
      this.log.warn("kafka consumer did not stop cleanly", { error });
    }
    this.joined = false;
  }
}
