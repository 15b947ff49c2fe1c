import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import type { Producer } from "kafkajs";
import type { Logger } from "../log.js";
import { kafkaClient } from "./kafka-client.js";
import type { SourceRecord } from "./source.js";

/** A rejected event with its reason, as written to the dead-letter destination. */
export interface DeadLetter {
  readonly source: string;
  readonly reason: string;
  readonly detail: string;
  readonly record: SourceRecord;
}

/** Where rejected events go. `flush` makes everything written so far durable. */
export interface DeadLetterSink {
  write(letters: readonly DeadLetter[]): Promise<void>;
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** Appends one JSON line per rejected event: source, reason, detail, original value, position. */
export class FileDeadLetter implements DeadLetterSink {
  private fd: number;
  private dirty = false;

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, "a");
  }

  async write(letters: readonly DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    const lines = letters.map((l) =>
      JSON.stringify({
        time: new Date().toISOString(),
        source: l.source,
        reason: l.reason,
        detail: l.detail,
        position: l.record.position ?? null,
        kafka: l.record.kafka
          ? {
              topic: l.record.kafka.topic,
              partition: l.record.kafka.partition,
              offset: l.record.kafka.offset,
            }
          : undefined,
        value: typeof l.record.value === "string" ? l.record.value : l.record.value.toString("utf8"),
      }),
    );
    writeSync(this.fd, `${lines.join("\n")}\n`);
    this.dirty = true;
  }

  async flush(): Promise<void> {
    if (this.dirty) fsyncSync(this.fd);
    this.dirty = false;
  }

  async close(): Promise<void> {
    await this.flush();
    closeSync(this.fd);
  }
}

/**
 * Produces rejected events to a Kafka topic with their original bytes and key; the reason travels
 * in headers (`driftwatch-reason`, `driftwatch-detail`, `driftwatch-source`, and the original
 * topic, partition and offset). Sends are awaited with acks from all in-sync replicas before the
 * batch's offsets can be checkpointed: at-least-once.
 */
export class KafkaDeadLetter implements DeadLetterSink {
  private producer: Producer | null = null;

  constructor(
    private readonly brokers: readonly string[],
    private readonly topic: string,
    private readonly log: Logger,
  ) {}

  private async connected(): Promise<Producer> {
    if (this.producer === null) {
      const producer = kafkaClient(this.brokers, "driftwatch-dead-letter", this.log).producer({
        allowAutoTopicCreation: true,
      });
      await producer.connect();
      this.producer = producer;
    }
    return this.producer;
  }

  async write(letters: readonly DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    const producer = await this.connected();
    await producer.send({
      topic: this.topic,
      acks: -1,
      messages: letters.map((l) => ({
        key: l.record.kafka?.key ?? null,
        value: typeof l.record.value === "string" ? Buffer.from(l.record.value) : l.record.value,
        headers: {
          "driftwatch-source": l.source,
          "driftwatch-reason": l.reason,
          "driftwatch-detail": l.detail,
          ...(l.record.kafka
            ? {
                "driftwatch-topic": l.record.kafka.topic,
                "driftwatch-partition": String(l.record.kafka.partition),
                "driftwatch-offset": l.record.kafka.offset,
              }
            : {}),
        },
      })),
    });
  }

  async flush(): Promise<void> {
    // Every send was acknowledged before write() returned.
  }

  async close(): Promise<void> {
    await this.producer?.disconnect();
    this.producer = null;
  }
}
