import { isUtf8 } from "node:buffer";
import {
  closeSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readSync,
  writeSync,
} from "node:fs";
import { dirname } from "node:path";
import type { Producer } from "kafkajs";
import type { Logger } from "../log.js";
import { kafkaClient } from "./kafka-client.js";
import type { KafkaConnection } from "./kafka-security.js";
import type { SourceRecord } from "./source.js";

/** A rejected event with its reason, as written to the dead-letter destination. */
export interface DeadLetter {
  readonly source: string;
  readonly reason: string;
  readonly detail: string;
  readonly record: SourceRecord;
}

/** What a write did: how many letters it wrote, how many were already there, and how to settle it. */
export interface DeadLetterReceipt {
  /** Letters written now. */
  readonly written: number;
  /** Letters skipped because a run before a restart had already written them. */
  readonly skipped: number;
  /**
   * To be called in the same synchronous step that advances the letters' positions: from then on
   * a checkpoint's mark includes them. Until then the destination is held for this batch.
   */
  settle(): void;
}

/**
 * Where rejected events go, exactly once with the checkpoint: what a run wrote for events beyond
 * the checkpoint it restarts from is never written twice.
 */
export interface DeadLetterSink {
  /** The destination's key in a checkpoint's `dead_letters`, e.g. `file:/var/lib/dl.jsonl`. */
  readonly id: string;
  /** Writes letters (durably for Kafka, to the OS for a file) before their positions may advance. */
  write(letters: readonly DeadLetter[]): Promise<DeadLetterReceipt>;
  /**
   * Where the destination ends as of the last settled write, made durable, for the checkpoint;
   * undefined when the destination keeps its own account (Kafka). Synchronous, because it is
   * taken in the same step as the checkpoint's state and positions; throws when it cannot be
   * made durable.
   */
  mark(): unknown;
  /**
   * Drops what the destination holds beyond `mark`, the mark of the checkpoint the pipeline
   * restored: those letters belong to events that will be read again. Returns false when the
   * destination has no mark and needs a checkpoint to record one before letters are written.
   */
  restore(mark: unknown): boolean;
  close(): Promise<void>;
}

/** Counts what a restore found, for `driftwatch_dead_letter_restores_total`. */
export type DeadLetterRestoreOutcome = "rolled_back" | "short" | "torn";

const NEWLINE = 0x0a;

/**
 * One dead-letter line. `value` holds the event as text when its bytes are valid UTF-8 (so the
 * file stays readable), otherwise `value_base64` holds the bytes exactly: either way the original
 * bytes can be recovered.
 */
function letterLine(l: DeadLetter, time: string): string {
  const value = l.record.value;
  const text = typeof value === "string" ? value : isUtf8(value) ? value.toString("utf8") : null;
  return JSON.stringify({
    time,
    source: l.source,
    reason: l.reason,
    detail: l.detail,
    position: l.record.position ?? null,
    kafka: l.record.kafka
      ? { topic: l.record.kafka.topic, partition: l.record.kafka.partition, offset: l.record.kafka.offset }
      : undefined,
    ...(text !== null ? { value: text } : { value_base64: (value as Buffer).toString("base64") }),
  });
}

function isMark(value: unknown): value is { bytes: number } {
  const bytes = (value as { bytes?: unknown } | null)?.bytes;
  return typeof bytes === "number" && Number.isSafeInteger(bytes) && bytes >= 0;
}

/**
 * Appends one JSON line per rejected event: source, reason, detail, position, Kafka origin and the
 * original value. Exactly once with the checkpoint:
 *
 * - A batch is appended whole or not at all: the file's length is remembered before the write,
 *   and a failed or short write (a full disk) is truncated back to it, so no torn line is left
 *   and a retry writes each letter once.
 * - The checkpoint records the file's length as of the last batch whose positions advanced
 *   ({@link mark}); on restore the file is cut back to it ({@link restore}), since the lines
 *   after it belong to events that will be read and rejected again. Lines of events that cannot
 *   be read again (HTTP, no position) are kept.
 *
 * Sources that name the same file share one instance, which takes one batch at a time from its
 * write to its settle, so that its mark never covers a batch whose positions have not advanced.
 *
 * @example
 *   const sink = new FileDeadLetter("rejected.jsonl", log);
 *   sink.restore(checkpoint?.dead_letters?.[sink.id]);
 *   const receipt = await sink.write(letters);
 *   advancePositions();
 *   receipt.settle();
 */
export class FileDeadLetter implements DeadLetterSink {
  readonly id: string;
  private readonly fd: number;
  /** Bytes of whole lines in the file. */
  private size: number;
  /** Bytes known to be on disk. */
  private synced: number;
  /** Bytes whose events' positions have advanced: what a checkpoint may record. */
  private settled: number;
  /** A length the file must be cut back to before the next write (a failed truncate). */
  private pendingTruncate: number | null = null;
  /** The batch holding the file between its write and its settle resolves this when it settles. */
  private turn: Promise<void> = Promise.resolve();

  constructor(
    readonly path: string,
    private readonly log?: Logger,
    private readonly onRestore?: (outcome: DeadLetterRestoreOutcome) => void,
  ) {
    this.id = `file:${path}`;
    mkdirSync(dirname(path), { recursive: true });
    // Append mode: every write lands at the end, also after a truncate.
    this.fd = openSync(path, "a+");
    this.size = fstatSync(this.fd).size;
    this.synced = this.size;
    this.settled = this.size;
  }

  restore(mark: unknown): boolean {
    const size = fstatSync(this.fd).size;
    if (mark !== undefined && !isMark(mark))
      this.log?.warn("dead-letter mark in the checkpoint is not a byte count; keeping the file as it is", {
        path: this.path,
        mark,
      });
    if (!isMark(mark)) {
      // No checkpoint covers this file yet: keep it, without a torn last line.
      const whole = this.wholeLines(0, size);
      if (whole < size) {
        this.log?.warn("dead-letter file ends in a torn line; cutting it off", {
          path: this.path,
          bytes: size - whole,
        });
        ftruncateSync(this.fd, whole);
        fsyncSync(this.fd);
        this.onRestore?.("torn");
      }
      this.size = this.synced = this.settled = whole;
      return false;
    }
    if (size < mark.bytes) {
      this.log?.warn(
        "dead-letter file is shorter than the checkpoint recorded: damaged or rotated; appending to it",
        {
          path: this.path,
          bytes: size,
          recorded: mark.bytes,
        },
      );
      this.onRestore?.("short");
      const whole = this.wholeLines(0, size);
      if (whole < size) ftruncateSync(this.fd, whole);
      this.size = this.synced = this.settled = whole;
      return true;
    }
    if (size > mark.bytes) {
      // Lines past the mark are of events beyond the checkpoint, which will be rejected again;
      // keep only those whose event cannot be read again (no position: HTTP).
      const tail = Buffer.alloc(size - mark.bytes);
      let read = 0;
      while (read < tail.length) {
        const n = readSync(this.fd, tail, read, tail.length - read, mark.bytes + read);
        if (n === 0) break;
        read += n;
      }
      const kept: string[] = [];
      let dropped = 0;
      let start = 0;
      for (let end = tail.indexOf(NEWLINE); end !== -1; end = tail.indexOf(NEWLINE, start)) {
        const line = tail.subarray(start, end).toString("utf8");
        start = end + 1;
        let position: unknown;
        try {
          position = (JSON.parse(line) as { position?: unknown }).position;
        } catch {
          position = undefined;
        }
        if (position === null) kept.push(line);
        else dropped++;
      }
      ftruncateSync(this.fd, mark.bytes);
      this.size = mark.bytes;
      if (kept.length > 0) this.append(Buffer.from(`${kept.join("\n")}\n`));
      fsyncSync(this.fd);
      this.log?.info("dead-letter file cut back to the checkpoint: its events will be read again", {
        path: this.path,
        dropped,
        kept: kept.length,
        torn: start < tail.length ? tail.length - start : undefined,
      });
      this.onRestore?.("rolled_back");
    }
    this.size = this.synced = this.settled = fstatSync(this.fd).size;
    return true;
  }

  /** The end of the last whole line in [from, to): a torn tail is not counted. */
  private wholeLines(from: number, to: number): number {
    if (to === from) return to;
    // Read backwards in blocks until a newline: only a torn tail is read.
    const block = Buffer.alloc(Math.min(65536, to - from));
    for (let end = to; end > from; ) {
      const start = Math.max(from, end - block.length);
      const n = readSync(this.fd, block, 0, end - start, start);
      const at = block.subarray(0, n).lastIndexOf(NEWLINE);
      if (at !== -1) return start + at + 1;
      end = start;
    }
    return from;
  }

  /** Appends `bytes` whole or throws with the file cut back to its length before. */
  private append(bytes: Buffer): void {
    const before = this.size;
    try {
      let written = 0;
      while (written < bytes.length) written += writeSync(this.fd, bytes, written);
    } catch (error) {
      try {
        ftruncateSync(this.fd, before);
      } catch {
        this.pendingTruncate = before;
      }
      throw error;
    }
    this.size = before + bytes.length;
  }

  async write(letters: readonly DeadLetter[]): Promise<DeadLetterReceipt> {
    if (letters.length === 0) return { written: 0, skipped: 0, settle: () => {} };
    const previous = this.turn;
    let release!: () => void;
    this.turn = new Promise((resolve) => {
      release = resolve;
    });
    await previous;
    try {
      if (this.pendingTruncate !== null) {
        ftruncateSync(this.fd, this.pendingTruncate);
        this.pendingTruncate = null;
      }
      const time = new Date().toISOString();
      let text = "";
      for (const letter of letters) text += `${letterLine(letter, time)}\n`;
      this.append(Buffer.from(text));
    } catch (error) {
      release();
      throw error;
    }
    let settled = false;
    return {
      written: letters.length,
      skipped: 0,
      settle: () => {
        if (settled) return;
        settled = true;
        this.settled = this.size;
        release();
      },
    };
  }

  mark(): { bytes: number } {
    if (this.synced < this.settled) {
      fsyncSync(this.fd);
      this.synced = this.size;
    }
    return { bytes: this.settled };
  }

  async close(): Promise<void> {
    try {
      if (this.synced < this.size) fsyncSync(this.fd);
    } catch {
      // Nothing beyond the last checkpoint's mark needs to survive: a restore cuts it off.
    }
    closeSync(this.fd);
  }
}

/**
 * A letter as a Kafka message: the event's original bytes and key, the reason in headers
 * (`driftwatch-reason`, `driftwatch-detail`, `driftwatch-source`, and the original topic,
 * partition and offset).
 */
export function letterMessage(l: DeadLetter): {
  key: Buffer | null;
  value: Buffer;
  headers: Record<string, string>;
} {
  return {
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
  };
}

/** How a Kafka dead letter keeps its letters exactly once across restarts. */
export interface KafkaDeadLetterOptions {
  /** Stable for one instance (state dir and host), distinct between instances. */
  readonly transactionalId: string;
  /** The group whose committed offsets say, per source partition, up to where letters were written. */
  readonly progressGroup: string;
  /** The source's topics, whose progress is read at connect. */
  readonly sourceTopics: readonly string[];
}

/**
 * kafkajs log lines that are not news here: its warning that bounded retries may break an
 * idempotent producer's ordering (a failed transaction is aborted and the producer made anew), and
 * the broker's "concurrent operation" answer when a transaction starts while the previous one's
 * markers are still being written (retried at once; a real failure surfaces as the write's error).
 */
const EXPECTED_KAFKAJS_LINES =
  /Limiting retries for the idempotent producer|another concurrent operation on the same transaction/;

/**
 * Produces rejected events to a Kafka topic with their original bytes and key; the reason travels
 * in headers (`driftwatch-reason`, `driftwatch-detail`, `driftwatch-source`, and the original
 * topic, partition and offset).
 *
 * Exactly once, for events read from Kafka: each batch of letters is produced in a transaction
 * that also commits, to a group of its own (`progressGroup`), the offset after the last letter of
 * each source partition. Letters and progress become visible together or not at all, so after a
 * crash anywhere (even between the transaction's commit and the checkpoint's save) the progress
 * says which events already have their letter, and letters for those events are skipped when the
 * events are read again. Initialising the stable transactional id fences the previous incarnation
 * and settles its last transaction before the progress is read. Consumers of the topic must read
 * with `isolation.level=read_committed` (kafkajs's default) to see each letter once.
 */
export class KafkaDeadLetter implements DeadLetterSink {
  readonly id: string;
  private producer: Producer | null = null;
  /** The connection under way, shared by every caller. */
  private connecting: Promise<Producer> | null = null;
  /** Set by {@link close}: a connection that completes afterwards is closed at once. */
  private closed = false;
  /** Per `topic/partition` of the source: every letter for an event before this offset is written. */
  private progress = new Map<string, number>();

  constructor(
    private readonly connection: KafkaConnection,
    private readonly topic: string,
    private readonly options: KafkaDeadLetterOptions,
    private readonly log: Logger,
  ) {
    this.id = `kafka:${topic}`;
  }

  restore(): boolean {
    // The progress lives in Kafka, read when the producer connects: start now, so that the first
    // batch with a rejected event does not wait for it (a failure here is retried by that write).
    this.connected().catch(() => {});
    return true;
  }

  mark(): undefined {
    return undefined;
  }

  private connected(): Promise<Producer> {
    if (this.producer !== null) return Promise.resolve(this.producer);
    this.connecting ??= this.connect().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private async connect(): Promise<Producer> {
    const kafka = kafkaClient(this.connection, "driftwatch-dead-letter", this.log, EXPECTED_KAFKAJS_LINES);
    const producer = kafka.producer({
      transactionalId: this.options.transactionalId,
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: true,
      transactionTimeout: 15_000,
      // Bounded, so that an outage fails the write and the pipeline holds and says so; a failed
      // transaction is aborted and the producer made anew, so ordering cannot break. Quick at
      // first: a transaction begun while the last one's markers are written is refused briefly.
      retry: { retries: 8, initialRetryTime: 20, maxRetryTime: 2000 },
    });
    try {
      await producer.connect();
      // An empty transaction initialises the transactional id: the previous incarnation's open
      // transaction is aborted, or completed if it was committing, before the progress is read.
      const init = await producer.transaction();
      await init.abort();
      const progress = new Map<string, number>();
      if (this.options.sourceTopics.length > 0) {
        const admin = kafka.admin();
        await admin.connect();
        try {
          const groupId = this.options.progressGroup;
          for (const { topic, partitions } of await admin.fetchOffsets({
            groupId,
            topics: [...this.options.sourceTopics],
          }))
            for (const { partition, offset } of partitions)
              if (Number(offset) >= 0) progress.set(`${topic}/${partition}`, Number(offset));
        } finally {
          await admin.disconnect();
        }
      }
      this.progress = progress;
    } catch (error) {
      await producer.disconnect().catch(() => {});
      throw error;
    }
    if (this.closed) {
      await producer.disconnect().catch(() => {});
      throw new Error(`dead-letter topic ${this.topic}: closed`);
    }
    this.producer = producer;
    return producer;
  }

  async write(letters: readonly DeadLetter[]): Promise<DeadLetterReceipt> {
    if (letters.length === 0) return { written: 0, skipped: 0, settle: () => {} };
    const producer = await this.connected();
    const fresh = letters.filter((l) => {
      const kafka = l.record.kafka;
      return (
        kafka === undefined ||
        Number(kafka.offset) >= (this.progress.get(`${kafka.topic}/${kafka.partition}`) ?? 0)
      );
    });
    const skipped = letters.length - fresh.length;
    if (fresh.length === 0) return { written: 0, skipped, settle: () => {} };
    const next = new Map<string, { topic: string; partition: number; offset: number }>();
    for (const l of fresh) {
      const kafka = l.record.kafka;
      if (kafka === undefined) continue;
      const key = `${kafka.topic}/${kafka.partition}`;
      const offset = Number(kafka.offset) + 1;
      if (offset > (next.get(key)?.offset ?? 0))
        next.set(key, { topic: kafka.topic, partition: kafka.partition, offset });
    }
    const transaction = await producer.transaction();
    try {
      await transaction.send({ topic: this.topic, acks: -1, messages: fresh.map(letterMessage) });
      if (next.size > 0) {
        const topics = new Map<string, { partition: number; offset: string }[]>();
        for (const { topic, partition, offset } of next.values())
          topics.set(topic, [...(topics.get(topic) ?? []), { partition, offset: String(offset) }]);
        await transaction.sendOffsets({
          consumerGroupId: this.options.progressGroup,
          topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })),
        });
      }
      await transaction.commit();
    } catch (error) {
      // Whether a failed commit took effect is unknown here: a new producer's initialisation
      // settles it, and the progress read then says which letters to skip on the retry.
      await transaction.abort().catch(() => {});
      await this.reset();
      throw error;
    }
    for (const [key, { offset }] of next) this.progress.set(key, offset);
    return { written: fresh.length, skipped, settle: () => {} };
  }

  /** Drops the producer; the next write makes a new one. */
  private async reset(): Promise<void> {
    const producer = this.producer;
    this.producer = null;
    await producer?.disconnect().catch(() => {});
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.reset();
  }
}
