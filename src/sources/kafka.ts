import type { Consumer } from "kafkajs";
import type { KafkaSourceConfig } from "../config/types.js";
import type { Logger } from "../log.js";
import type { Metrics } from "../metrics/metrics.js";
import { kafkaClient } from "./kafka-client.js";
import type { BatchHandler, Source, SourceRecord } from "./source.js";

/** The position key of a partition: `topic/partition`. */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}/${partition}`;
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
 */
export class KafkaSource implements Source {
  readonly finished = new Promise<void>(() => {});
  private consumer: Consumer | null = null;
  private draining = false;
  private inFlight: Promise<void> | null = null;

  constructor(
    readonly name: string,
    private readonly config: KafkaSourceConfig,
    private readonly log: Logger,
    private readonly metrics: Metrics,
  ) {}

  async start(handler: BatchHandler, positions: Readonly<Record<string, number>>): Promise<void> {
    const kafka = kafkaClient(this.config.brokers, this.config.client_id ?? "driftwatch", this.log);
    const sessionTimeout = (this.config.session_timeout_secs ?? 30) * 1000;
    const consumer = kafka.consumer({
      groupId: this.config.group_id,
      allowAutoTopicCreation: false,
      sessionTimeout,
      heartbeatInterval: Math.min(3000, Math.floor(sessionTimeout / 3)),
    });
    this.consumer = consumer;
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.metrics.up.set({ source: this.name }, 0);
      this.log.error("kafka consumer crashed", { error: payload.error, restart: payload.restart });
    });
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      this.metrics.up.set({ source: this.name }, 1);
      this.log.info("joined consumer group", {
        group: payload.groupId,
        assignment: payload.memberAssignment,
      });
      for (const [topic, partitions] of Object.entries(payload.memberAssignment)) {
        for (const partition of partitions) {
          const next = positions[partitionKey(topic, partition)];
          if (next !== undefined) consumer.seek({ topic, partition, offset: String(next) });
        }
      }
    });
    await consumer.connect();
    await consumer.subscribe({
      topics: [this.config.topic],
      fromBeginning: this.config.from_beginning ?? true,
    });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch, heartbeat, isRunning, isStale }) => {
        if (this.draining || !isRunning() || isStale()) return;
        const work = (async () => {
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
        await heartbeat();
      },
    });
  }

  async commit(positions: Readonly<Record<string, number>>): Promise<void> {
    if (this.consumer === null) return;
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
    this.consumer?.pause([{ topic: this.config.topic }]);
    await this.inFlight?.catch(() => {});
  }

  async stop(): Promise<void> {
    await this.drain();
    const consumer = this.consumer;
    this.consumer = null;
    if (consumer === null) return;
    await consumer.stop();
    await consumer.disconnect();
    this.metrics.up.set({ source: this.name }, 0);
  }
}
