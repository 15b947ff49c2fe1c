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
 * only when told (after the checkpoint that includes them is durable). Messages before a resume
 * position are skipped: they are already counted in the restored state, even when Kafka's
 * committed offset lags behind the checkpoint (a crash between checkpoint and commit).
 */
export class KafkaSource implements Source {
  readonly finished = new Promise<void>(() => {});
  private consumer: Consumer | null = null;

  constructor(
    readonly name: string,
    private readonly config: KafkaSourceConfig,
    private readonly log: Logger,
    private readonly metrics: Metrics,
  ) {}

  async start(handler: BatchHandler, resume: Readonly<Record<string, number>>): Promise<void> {
    const kafka = kafkaClient(this.config.brokers, this.config.client_id ?? "driftwatch", this.log);
    const consumer = kafka.consumer({ groupId: this.config.group_id, allowAutoTopicCreation: false });
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
        if (!isRunning() || isStale()) return;
        const key = partitionKey(batch.topic, batch.partition);
        const from = resume[key] ?? 0;
        const records: SourceRecord[] = [];
        for (const message of batch.messages) {
          const offset = Number(message.offset);
          if (offset < from) continue;
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

  async stop(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = null;
    if (consumer === null) return;
    // stop() waits for the batch in flight, so the final checkpoint sees a settled state.
    await consumer.stop();
    await consumer.disconnect();
    this.metrics.up.set({ source: this.name }, 0);
  }
}
