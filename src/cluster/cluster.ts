import type { Kafka } from "kafkajs";
import type { Logger } from "../log.js";
import type { Metrics } from "../metrics/metrics.js";
import type { KafkaSourceConfig } from "../sources/config.js";
import type { DeadLetter, DeadLetterReceipt, DeadLetterSink } from "../sources/dead-letter.js";
import { kafkaClient } from "../sources/kafka-client.js";
import type { PartitionHooks } from "../sources/source.js";
import { Merger } from "./merger.js";
import { type ClusterMonitor, ClusterPartitions } from "./partitions.js";

/**
 * Default `cluster.record_bytes`: half of a broker's default `message.max.bytes` (1 MiB), leaving
 * room for a record batch's own bytes.
 */
export const DEFAULT_RECORD_BYTES = 512 * 1024;

/** The topics of a cluster source, from its `cluster` settings or their defaults. */
export function clusterTopics(config: KafkaSourceConfig): {
  stateTopic: string;
  resultsTopic: string;
  leaderTopic: string;
} {
  const cluster = config.cluster;
  const group = config.group_id;
  return {
    stateTopic: cluster?.state_topic ?? `${group}.driftwatch-state`,
    resultsTopic: cluster?.results_topic ?? `${group}.driftwatch-results`,
    leaderTopic: cluster?.leader_topic ?? `${group}.driftwatch-leader`,
  };
}

/**
 * A Kafka source read by several instances in its consumer group with one verdict per window:
 * this instance's partitions build and publish window partials ({@link ClusterPartitions}), and
 * whichever instance the leader group elects merges them ({@link Merger}). The pipeline routes
 * the source's valid events here instead of to its monitors, and its dead letters through the
 * partitions' transactions.
 */
export class ClusterSource {
  readonly partitions: ClusterPartitions;
  private readonly merger: Merger;
  private client: Kafka | null = null;

  constructor(
    name: string,
    private readonly config: KafkaSourceConfig,
    private readonly resolvePath: (path: string) => string,
    monitors: readonly ClusterMonitor[],
    /** The pipeline's live positions of the source. */
    positions: Record<string, number>,
    publish: (monitor: string, result: unknown) => void,
    private readonly log: Logger,
    metrics: Metrics,
    now: () => number = Date.now,
  ) {
    const topics = clusterTopics(config);
    const deadLetter = config.dead_letter;
    this.partitions = new ClusterPartitions(
      () => this.kafka(),
      {
        topic: config.topic,
        group: config.group_id,
        stateTopic: topics.stateTopic,
        recordBytes: config.cluster?.record_bytes ?? DEFAULT_RECORD_BYTES,
        deadLetterTopic: deadLetter !== undefined && "topic" in deadLetter ? deadLetter.topic : null,
      },
      monitors,
      positions,
      name,
      log,
      metrics,
      now,
    );
    this.merger = new Merger(
      () => this.kafka(),
      { topic: config.topic, group: config.group_id, ...topics },
      monitors,
      name,
      publish,
      log.child({ component: "merger" }),
      metrics,
      (config.session_timeout_secs ?? 30) * 1000,
      config.cluster?.lateness_secs ?? null,
      now,
    );
  }

  private kafka(): Kafka {
    this.client ??= kafkaClient(
      { ...this.config, resolvePath: this.resolvePath },
      this.config.client_id ?? "driftwatch",
      this.log,
      /Limiting retries for the idempotent producer|another concurrent operation on the same transaction|fenced|epoch|The group is rebalancing/i,
    );
    return this.client;
  }

  /** What the source calls on assignment and before each batch. */
  get hooks(): PartitionHooks {
    return {
      assigned: (topic, partitions) => {
        if (topic === this.config.topic) this.partitions.assigned(partitions);
      },
      ready: (topic, partition) =>
        topic === this.config.topic ? this.partitions.ready(partition) : Promise.resolve(true),
      commitsOffsets: false,
    };
  }

  /**
   * Creates the cluster's topics when missing (the state topic compacted), then joins the leader
   * group. Until the brokers answer it retries in the background, as a source does.
   */
  async start(): Promise<void> {
    const { stateTopic, resultsTopic, leaderTopic } = clusterTopics(this.config);
    const admin = this.kafka().admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const missing = [
        {
          topic: stateTopic,
          numPartitions: 1,
          configEntries: [{ name: "cleanup.policy", value: "compact" }],
        },
        { topic: resultsTopic, numPartitions: 1 },
        { topic: leaderTopic, numPartitions: 1 },
      ].filter((t) => !existing.has(t.topic));
      if (missing.length > 0) {
        await admin.createTopics({ topics: missing, waitForLeaders: true }).catch((error: unknown) => {
          // Another instance created them first.
          if ((error as { type?: string }).type !== "TOPIC_ALREADY_EXISTS") throw error;
        });
        this.log.info("created the cluster's topics", { topics: missing.map((t) => t.topic).join(",") });
      }
    } finally {
      await admin.disconnect().catch(() => {});
    }
    await this.merger.start();
  }

  /** The dead-letter destination of the source: its topic, written in its partitions' transactions. */
  deadLetter(topic: string): DeadLetterSink {
    const partitions = this.partitions;
    return {
      id: `kafka:${topic}`,
      restore: () => true,
      mark: () => undefined,
      async write(letters: readonly DeadLetter[]): Promise<DeadLetterReceipt> {
        const byPartition = new Map<number, DeadLetter[]>();
        for (const letter of letters) {
          const partition = letter.record.kafka?.partition ?? -1;
          byPartition.set(partition, [...(byPartition.get(partition) ?? []), letter]);
        }
        let written = 0;
        let skipped = 0;
        for (const [partition, some] of byPartition) {
          const receipt = await partitions.writeLetters(partition, some);
          written += receipt.written;
          skipped += receipt.skipped;
        }
        return { written, skipped, settle: () => {} };
      },
      close: async () => {},
    };
  }

  /** Whether this instance merges now. */
  get leading(): boolean {
    return this.merger.isLeader;
  }

  async stop(): Promise<void> {
    await this.merger.stop();
    await this.partitions.stop();
  }
}
