import { randomUUID } from "node:crypto";
import type { RejectReason } from "../decode/decoder.js";
import type { EventDecoder } from "../decode/validate.js";
import { UserError } from "../errors.js";
import type { Logger } from "../log.js";
import { describeKafkaError } from "./kafka.js";
import { kafkaClient } from "./kafka-client.js";
import type { KafkaConnection } from "./kafka-security.js";

// A bounded range of a topic, read once for `driftwatch report`: from given offsets or a time to
// other offsets or a time (end exclusive), every partition, decoded with the source's decoder and
// JSON Schema. kafkajs consumes only within a group, so the range is read by a throwaway group
// (`driftwatch-report-<uuid>`) that commits nothing; nothing else is written to the cluster.

/** Where a range starts or ends: the earliest or latest offsets, a time, or offsets per partition. */
export type RangeBound =
  | { readonly kind: "earliest" }
  | { readonly kind: "latest" }
  | { readonly kind: "time"; readonly ms: number }
  | {
      readonly kind: "offsets";
      readonly all?: number;
      readonly partitions: Readonly<Record<number, number>>;
    };

/** Parses `from` / `to`: `earliest`, `latest`, an RFC 3339 time, `N` (every partition) or `P:N,P:N`. */
export function parseBound(text: string, what: string): RangeBound {
  if (text === "earliest" || text === "latest") return { kind: text };
  if (/^\d+$/.test(text)) return { kind: "offsets", all: Number(text), partitions: {} };
  if (/^\d+:\d+(,\d+:\d+)*$/.test(text)) {
    const partitions: Record<number, number> = {};
    for (const pair of text.split(",")) {
      const [p, o] = pair.split(":").map(Number);
      partitions[p] = o;
    }
    return { kind: "offsets", partitions };
  }
  const ms = Date.parse(text);
  if (/^\d{4}-\d{2}-\d{2}/.test(text) && Number.isFinite(ms)) return { kind: "time", ms };
  throw new UserError(
    `${what}: ${JSON.stringify(text)} is not earliest, latest, an RFC 3339 time, an offset or PARTITION:OFFSET,...`,
  );
}

/** A topic range to read. */
export interface TopicRange {
  readonly connection: KafkaConnection;
  readonly topic: string;
  readonly from: RangeBound;
  readonly to: RangeBound;
  /** The source's decoding (format, registry, JSON Schema). */
  readonly decoder: EventDecoder;
  /** For messages; the URL or source it stands for. */
  readonly label: string;
}

/** What reading a range found. */
export interface RangeOutcome {
  readonly messages: number;
  readonly events: number;
  readonly rejected: Readonly<Partial<Record<RejectReason, number>>>;
}

/**
 * Reads the range and hands each decoded, valid event to `onEvent`; reports progress as messages
 * read out of the range's total. Rejected records are counted by reason, not handed on.
 */
export async function readTopicRange(
  range: TopicRange,
  log: Logger,
  onEvent: (event: Record<string, unknown>) => void,
  onProgress?: (done: number, total: number) => void,
): Promise<RangeOutcome> {
  const kafka = kafkaClient(range.connection, "driftwatch-report", log);
  const admin = kafka.admin();
  const fail = (error: unknown): never => {
    throw new UserError(`${range.label}: ${describeKafkaError(error, range.topic)}`);
  };
  await admin.connect().catch(fail);
  let start: Map<number, number>;
  let end: Map<number, number>;
  try {
    const offsets = await admin.fetchTopicOffsets(range.topic).catch(fail);
    const low = new Map(offsets.map((o) => [o.partition, Number(o.low)]));
    const high = new Map(offsets.map((o) => [o.partition, Number(o.high)]));
    const resolve = async (
      bound: RangeBound,
      fallback: Map<number, number>,
    ): Promise<Map<number, number>> => {
      if (bound.kind === "earliest") return new Map(low);
      if (bound.kind === "latest") return new Map(high);
      if (bound.kind === "offsets") {
        const out = new Map<number, number>();
        for (const p of low.keys()) {
          const o = bound.partitions[p] ?? bound.all ?? fallback.get(p) ?? 0;
          out.set(p, Math.min(Math.max(o, low.get(p) ?? 0), high.get(p) ?? 0));
        }
        return out;
      }
      // The first offset at or after the time; -1 (none) is the end of the partition.
      const byTime = await admin.fetchTopicOffsetsByTimestamp(range.topic, bound.ms).catch(fail);
      return new Map(
        byTime.map((o) => [
          o.partition,
          Number(o.offset) < 0 ? (high.get(o.partition) ?? 0) : Number(o.offset),
        ]),
      );
    };
    start = await resolve(range.from, low);
    end = await resolve(range.to, high);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  const pending = new Set([...start.keys()].filter((p) => (start.get(p) ?? 0) < (end.get(p) ?? 0)));
  const total = [...pending].reduce((n, p) => n + ((end.get(p) ?? 0) - (start.get(p) ?? 0)), 0);
  const rejected: Partial<Record<RejectReason, number>> = {};
  let messages = 0;
  let events = 0;
  if (pending.size === 0) return { messages, events, rejected };
  const consumer = kafka.consumer({
    groupId: `driftwatch-report-${randomUUID()}`,
    allowAutoTopicCreation: false,
  });
  const signal = new AbortController();
  let finish!: () => void;
  let failed!: (error: unknown) => void;
  const done = new Promise<void>((resolve, reject) => {
    finish = resolve;
    failed = reject;
  });
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    for (const partition of payload.memberAssignment[range.topic] ?? [])
      if (pending.has(partition))
        consumer.seek({ topic: range.topic, partition, offset: String(start.get(partition)) });
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => failed(payload.error));
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [range.topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const p = batch.partition;
        if (!pending.has(p)) return;
        const from = start.get(p) ?? 0;
        const until = end.get(p) ?? 0;
        const inRange = batch.messages.filter((m) => Number(m.offset) >= from && Number(m.offset) < until);
        const raws = inRange.map((m) => m.value ?? Buffer.alloc(0));
        await range.decoder.prepare(raws, signal.signal);
        for (const raw of raws) {
          const decoded = range.decoder.decode(raw);
          if (decoded.ok) {
            events++;
            onEvent(decoded.event);
          } else rejected[decoded.reason] = (rejected[decoded.reason] ?? 0) + 1;
        }
        messages += inRange.length;
        onProgress?.(messages, total);
        // The batch's last offset counts control records and compacted gaps too.
        if (Number(batch.lastOffset()) >= until - 1) {
          pending.delete(p);
          consumer.pause([{ topic: range.topic, partitions: [p] }]);
          if (pending.size === 0) finish();
        }
      },
    });
    await done;
  } catch (error) {
    fail(error);
  } finally {
    signal.abort(new Error("done"));
    await consumer.disconnect().catch(() => undefined);
  }
  return { messages, events, rejected };
}
