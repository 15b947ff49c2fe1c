import { randomUUID } from "node:crypto";
import type { Admin, Kafka, Producer } from "kafkajs";
import type { Logger } from "../log.js";
import type { Metrics } from "../metrics/metrics.js";
import type { ClusterWindows } from "../monitors/types.js";
import { type DeadLetter, letterMessage } from "../sources/dead-letter.js";
import { Windower } from "../windows/window.js";
import { decodeProgress, encodeProgress, type Partial, type Progress, partialRecords } from "./records.js";

/** A monitor of a cluster source, with the hash of its identity (partials of another config are not merged). */
export interface ClusterMonitor {
  readonly name: string;
  readonly identity: string;
  readonly windows: ClusterWindows<unknown>;
}

/** Where a cluster source's partitions publish. */
export interface PartitionTopics {
  /** The source's topic and consumer group: the group's committed offsets carry each partition's progress. */
  readonly topic: string;
  readonly group: string;
  /** The compacted topic of window partials. */
  readonly stateTopic: string;
  /** The largest state-topic record: a larger partial is cut into records of this size. */
  readonly recordBytes: number;
  /** The dead-letter topic, when the source has one. */
  readonly deadLetterTopic: string | null;
}

/** One monitor's windows over one partition. */
interface PartitionWindow {
  readonly windower: Windower;
  /** Events before this offset are in windows already published. */
  skipBefore: number;
  /** The next window's index and the offset it starts at, as published so far (pending included). */
  next: number;
  resume: number;
}

/** A partition this instance owns: its transactional producer, its windows, what waits to be published. */
interface Owned {
  readonly partition: number;
  readonly key: string;
  producer: Producer | null;
  /** Resolves once the producer has fenced the previous owner and the progress is read. */
  ready: Promise<void>;
  windows: Map<string, PartitionWindow>;
  /** Closed windows not yet in a committed transaction, in order. */
  pending: Partial[];
  /** The progress of the last committed transaction. */
  committed: Progress;
  revoked: boolean;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The partitions of a cluster source this instance owns, each with windows of its own per monitor.
 *
 * Exactly once without any state on disk (read-process-write): a partition's closed windows are
 * published to the state topic in a Kafka transaction that also commits, to the source's consumer
 * group, the offset where the partition's oldest open window starts, with the progress (each
 * monitor's next window and where it starts; where dead letters are written up to) in the
 * offset's metadata. A partition's transactional id is the same on every instance, so whichever
 * instance takes a partition over fences the one before (its unfinished transaction is aborted,
 * a later one refused) before it reads the progress, and then rebuilds the open windows by reading
 * the partition again from the committed offset. Window boundaries depend only on the partition's
 * events, so every owner cuts the same windows; nothing is lost or counted twice.
 */
export class ClusterPartitions {
  private readonly owned = new Map<number, Owned>();
  private admin: Admin | null = null;
  private stopping = false;

  constructor(
    private readonly kafka: () => Kafka,
    private readonly topics: PartitionTopics,
    private readonly monitors: readonly ClusterMonitor[],
    /** The pipeline's live positions of the source: set where each partition resumes. */
    private readonly positions: Record<string, number>,
    private readonly source: string,
    private readonly log: Logger,
    private readonly metrics: Metrics,
    private readonly now: () => number = Date.now,
  ) {
    for (const monitor of monitors) metrics.clusterPartialsPublishedTotal.inc({ monitor: monitor.name }, 0);
    metrics.clusterTransactionsTotal.inc({ source, outcome: "failed" }, 0);
  }

  /**
   * The group gave this instance `partitions`: those it no longer has are dropped (their open
   * windows go with them: the new owner reads them again); new ones start fencing and reading
   * their progress, which {@link ready} waits for.
   */
  assigned(partitions: readonly number[]): void {
    const now = new Set(partitions);
    for (const [partition, owned] of this.owned) {
      if (now.has(partition)) continue;
      owned.revoked = true;
      this.owned.delete(partition);
      delete this.positions[owned.key];
      const producer = owned.producer;
      owned.producer = null;
      producer?.disconnect().catch(() => {});
      this.log.info("partition revoked", { partition, pending_windows: owned.pending.length });
    }
    for (const partition of partitions) {
      if (this.owned.has(partition)) continue;
      const owned: Owned = {
        partition,
        key: `${this.topics.topic}/${partition}`,
        producer: null,
        ready: Promise.resolve(),
        windows: new Map(),
        pending: [],
        committed: { v: 1, windows: {}, letters: 0 },
        revoked: false,
      };
      owned.ready = this.takeOver(owned);
      // A failure is retried by the batch that waits for it.
      owned.ready.catch(() => {});
      this.owned.set(partition, owned);
    }
    this.metrics.clusterPartitionsOwned.set({ source: this.source }, this.owned.size);
  }

  /**
   * Waits until `partition` can take events: its previous owner fenced and its progress read (a
   * failure is retried with backoff). False when the partition is no longer this instance's.
   */
  async ready(partition: number): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      const owned = this.owned.get(partition);
      if (owned === undefined || owned.revoked || this.stopping) return false;
      try {
        await owned.ready;
        return !owned.revoked;
      } catch (error) {
        if (owned.revoked || this.stopping) return false;
        this.log.warn("cannot take over a partition yet; retrying", {
          partition,
          attempt,
          error: (error as Error).message.split("\n")[0],
        });
        await sleep(Math.min(5000, 250 * 2 ** Math.min(attempt - 1, 5)));
        owned.ready = this.takeOver(owned);
        owned.ready.catch(() => {});
      }
    }
  }

  /** Makes the partition's transactional producer (fencing the previous owner) and reads its progress. */
  private async takeOver(owned: Owned): Promise<void> {
    const previous = owned.producer;
    owned.producer = null;
    await previous?.disconnect().catch(() => {});
    const producer = this.kafka().producer({
      transactionalId: `driftwatch-${this.topics.group}-${this.topics.topic}-${owned.partition}`,
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: 30_000,
      retry: { retries: 8, initialRetryTime: 20, maxRetryTime: 2000 },
    });
    try {
      await producer.connect();
      // An empty transaction initialises the transactional id: the previous owner's open
      // transaction is aborted, or completed if it was committing, before the progress is read.
      const init = await producer.transaction();
      await init.abort();
      const admin = await this.adminClient();
      const [offsets] = await admin.fetchOffsets({ groupId: this.topics.group, topics: [this.topics.topic] });
      const entry = offsets?.partitions.find((p) => p.partition === owned.partition);
      const committed = Number(entry?.offset ?? -1);
      const progress = decodeProgress(entry?.metadata) ?? { v: 1, windows: {}, letters: 0 };
      if (owned.revoked) {
        await producer.disconnect().catch(() => {});
        return;
      }
      owned.producer = producer;
      this.resumeFrom(owned, progress, committed);
    } catch (error) {
      await producer.disconnect().catch(() => {});
      // A fresh admin client for the retry: one whose connection broke with the brokers may stay broken.
      const admin = this.admin;
      this.admin = null;
      await admin?.disconnect().catch(() => {});
      throw error;
    }
  }

  /**
   * Sets each monitor's windows where the progress says the partition's next window starts, on
   * first taking the partition. Taken again after a failed transaction, the windows go on as they
   * are (they follow the partition without a gap) and the closed ones the progress already holds
   * (the transaction did commit) are dropped.
   */
  private resumeFrom(owned: Owned, progress: Progress, committed: number): void {
    const start = Math.max(0, committed);
    const first = owned.windows.size === 0;
    if (first) {
      for (const monitor of this.monitors) {
        const [next, offset] = progress.windows[monitor.name] ?? [0, start];
        owned.windows.set(monitor.name, {
          windower: new Windower(monitor.windows.window, monitor.windows.specs as Record<string, never>, {
            open: null,
            closed: [],
            emitted: next,
            late: 0,
          }),
          skipBefore: offset,
          next,
          resume: offset,
        });
      }
      let from = start;
      if (owned.windows.size > 0) {
        from = Number.POSITIVE_INFINITY;
        for (const w of owned.windows.values()) from = Math.min(from, w.skipBefore);
      }
      this.positions[owned.key] = from;
      owned.committed = {
        v: 1,
        windows: Object.fromEntries([...owned.windows].map(([name, w]) => [name, [w.next, w.resume]])),
        letters: progress.letters,
      };
      this.log.info("partition taken over", {
        partition: owned.partition,
        resume_offset: from,
        windows: Object.fromEntries([...owned.windows].map(([m, w]) => [m, w.next])),
      });
      return;
    }
    owned.pending = owned.pending.filter((p) => p.window >= (progress.windows[p.monitor]?.[0] ?? 0));
    const windows: Record<string, readonly [number, number]> = { ...owned.committed.windows };
    for (const [name, place] of Object.entries(progress.windows))
      if (place[0] > (windows[name]?.[0] ?? -1)) windows[name] = place;
    owned.committed = { v: 1, windows, letters: Math.max(owned.committed.letters, progress.letters) };
  }

  /**
   * Adds one valid event of a partition to each monitor's window there; windows it closes wait in
   * the partition's pending list for {@link publish}.
   */
  add(
    partition: number,
    offset: number,
    values: Record<string, unknown>,
    now: number,
    eventTime: number | null,
    event: unknown,
  ): void {
    const owned = this.owned.get(partition);
    if (owned === undefined || owned.revoked) return;
    for (const monitor of this.monitors) {
      const w = owned.windows.get(monitor.name);
      if (w === undefined || offset < w.skipBefore) continue;
      const spec = monitor.windows.window;
      const paneMs = "duration_secs" in spec ? spec.duration_secs * 1000 : null;
      if (paneMs !== null && eventTime === null) {
        // Without its own time an event has no window every owner would agree on.
        this.metrics.lateEventsTotal.inc({ monitor: monitor.name });
        continue;
      }
      const late = w.windower.state.late;
      const closed = w.windower.add(values, paneMs === null ? now : (eventTime as number), eventTime, {
        position: { key: owned.key, offset },
        id: monitor.windows.idOf(event),
      });
      if (w.windower.state.late > late) this.metrics.lateEventsTotal.inc({ monitor: monitor.name });
      for (const window of closed) {
        const { index, ...pane } = window;
        // A time window's index is its span's (so that every partition's pane of it has the same);
        // the event that closed it opened the partition's next pane, and is read again on a move.
        const at = paneMs === null ? index : Math.floor((window.start as number) / paneMs);
        const next = paneMs === null ? index + 1 : Math.floor((eventTime as number) / paneMs);
        owned.pending.push({
          format: "driftwatch-partial",
          version: 1,
          identity: monitor.identity,
          monitor: monitor.name,
          window: at,
          next,
          topic: this.topics.topic,
          partition,
          pane,
          published_at: 0,
        });
        w.next = next;
        w.resume = paneMs === null ? offset + 1 : offset;
      }
    }
  }

  /** The progress a partition's next transaction commits: its windows' places as they stand, and its letters' one. */
  private progressOf(owned: Owned, letters: number): Progress {
    const windows: Record<string, [number, number]> = {};
    for (const [name, w] of owned.windows) windows[name] = [w.next, w.resume];
    return { v: 1, windows, letters };
  }

  /** The offset a progress is committed at: where the oldest of its windows' open ones starts. */
  private offsetOf(owned: Owned, progress: Progress): number {
    const places = Object.values(progress.windows);
    if (places.length === 0) return this.positions[owned.key] ?? 0;
    return Math.min(...places.map(([, offset]) => offset));
  }

  /**
   * Publishes the windows a partition closed, with its progress, in one transaction; retried with
   * backoff while the brokers refuse (the batch, and so the partition, waits). A partition taken
   * away meanwhile is given up: its new owner publishes the same windows.
   */
  async publish(partition: number): Promise<void> {
    const owned = this.owned.get(partition);
    if (owned === undefined || owned.pending.length === 0) return;
    await this.transact(owned, "windows", async (producer) => {
      const progress = this.progressOf(owned, owned.committed.letters);
      const publishedAt = this.now();
      const records = owned.pending.map((p) =>
        partialRecords(
          { ...p, published_at: publishedAt },
          randomUUID().slice(0, 8),
          this.topics.recordBytes,
        ),
      );
      const transaction = await producer.transaction();
      try {
        // One request per record: a broker takes at most max.message.bytes per request's batch.
        for (const record of records.flat())
          await transaction.send({ topic: this.topics.stateTopic, acks: -1, messages: [record] });
        await this.sendProgress(transaction, owned, progress);
        await transaction.commit();
      } catch (error) {
        await transaction.abort().catch(() => {});
        throw error;
      }
      for (const [i, p] of owned.pending.entries()) {
        this.metrics.clusterPartialsPublishedTotal.inc({ monitor: p.monitor });
        this.metrics.clusterPartialBytes.set(
          { monitor: p.monitor },
          records[i].reduce((sum, r) => sum + r.value.length, 0),
        );
      }
      owned.committed = progress;
      owned.pending = [];
    });
  }

  /**
   * Writes a partition's dead letters in a transaction that moves its letters' progress on, so
   * that letters written before a partition moved are never written again. Returns how many were
   * written and how many skipped as already written.
   */
  async writeLetters(
    partition: number,
    letters: readonly DeadLetter[],
  ): Promise<{ written: number; skipped: number }> {
    const topic = this.topics.deadLetterTopic;
    if (topic === null) throw new Error(`source ${this.source} has no dead-letter topic`);
    if (!(await this.ready(partition))) throw new Error(`partition ${partition} is no longer owned here`);
    const owned = this.owned.get(partition) as Owned;
    const offsetOf = (l: DeadLetter) => Number(l.record.kafka?.offset ?? -1);
    const fresh = letters.filter((l) => offsetOf(l) >= owned.committed.letters);
    const skipped = letters.length - fresh.length;
    if (fresh.length === 0) return { written: 0, skipped };
    const through = Math.max(...fresh.map(offsetOf)) + 1;
    let written = 0;
    await this.transact(owned, "dead letters", async (producer) => {
      // After a retry's take-over the progress may already hold some of them.
      const left = fresh.filter((l) => offsetOf(l) >= owned.committed.letters);
      if (left.length === 0) return;
      // The windows' places stay those committed: pending windows are not in this transaction.
      const committed: Progress = { v: 1, windows: owned.committed.windows, letters: through };
      const transaction = await producer.transaction();
      try {
        await transaction.send({ topic, acks: -1, messages: left.map(letterMessage) });
        await this.sendProgress(transaction, owned, committed);
        await transaction.commit();
      } catch (error) {
        await transaction.abort().catch(() => {});
        throw error;
      }
      owned.committed = committed;
      written = left.length;
    });
    return { written, skipped: letters.length - written };
  }

  /** Commits the partition's offset, with its progress as the offset's metadata, in the transaction. */
  private async sendProgress(
    transaction: Awaited<ReturnType<Producer["transaction"]>>,
    owned: Owned,
    progress: Progress,
  ): Promise<void> {
    // kafkajs's types leave the offset's metadata out; its TxnOffsetCommit request writes it.
    const partition = {
      partition: owned.partition,
      offset: String(this.offsetOf(owned, progress)),
      metadata: encodeProgress(progress),
    };
    await transaction.sendOffsets({
      consumerGroupId: this.topics.group,
      topics: [{ topic: this.topics.topic, partitions: [partition] }],
    });
  }

  /**
   * Runs a partition's transaction until it commits. After a failure whether it took effect is
   * unknown: the partition is taken over again (its producer made anew, which settles the last
   * transaction), and its progress read says what is left to do.
   */
  private async transact(
    owned: Owned,
    what: string,
    run: (producer: Producer) => Promise<void>,
  ): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      if (owned.revoked || this.stopping)
        throw new Error(`partition ${owned.partition}: ${what} not published; its next owner publishes them`);
      try {
        await owned.ready;
        await run(owned.producer as Producer);
        this.metrics.clusterTransactionsTotal.inc({ source: this.source, outcome: "ok" });
        return;
      } catch (error) {
        this.metrics.clusterTransactionsTotal.inc({ source: this.source, outcome: "failed" });
        if (owned.revoked || this.stopping) throw error;
        this.log.warn("cluster transaction failed; taking the partition over again", {
          partition: owned.partition,
          what,
          attempt,
          error: (error as Error).message.split("\n")[0],
        });
        await sleep(Math.min(5000, 250 * 2 ** Math.min(attempt - 1, 5)));
        owned.ready = this.takeOver(owned);
        owned.ready.catch(() => {});
      }
    }
  }

  private async adminClient(): Promise<Admin> {
    if (this.admin === null) {
      const admin = this.kafka().admin();
      await admin.connect();
      this.admin = admin;
    }
    return this.admin;
  }

  /** Gives up every partition (their open windows are read again by their next owners) and disconnects. */
  async stop(): Promise<void> {
    this.stopping = true;
    const producers = [...this.owned.values()].map((o) => o.producer);
    this.owned.clear();
    for (const producer of producers) await producer?.disconnect().catch(() => {});
    await this.admin?.disconnect().catch(() => {});
    this.admin = null;
  }
}
