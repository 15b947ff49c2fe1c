import type { RejectReason } from "../decode/decoder.js";

/** One raw record from a source, before decoding. */
export interface SourceRecord {
  /** The bytes or text of the event as received. */
  readonly value: Buffer | string;
  /** An already-parsed value (CSV replay builds objects); the source's decoder is then skipped, not the schema. */
  readonly parsed?: unknown;
  /**
   * Where the record sits, for exactly-once counting: the partition key (e.g. `topic/0`, or the
   * file) and the offset of the record itself. Absent for sources that cannot replay (http).
   */
  readonly position?: { readonly key: string; readonly offset: number };
  /** Kafka metadata for the dead-letter record. */
  readonly kafka?: {
    readonly topic: string;
    readonly partition: number;
    readonly offset: string;
    readonly key: Buffer | null;
  };
}

/**
 * Stands as a record's `parsed` value when the source itself already knows the record is bad (a
 * CSV row with the wrong number of fields, a line over the size limit): the pipeline dead-letters
 * it with this reason and detail instead of decoding it.
 */
export class RejectedRecord {
  constructor(
    readonly reason: RejectReason,
    readonly detail: string,
  ) {}
}

/** Called with each batch; the source waits for it before reading on (back-pressure). */
export type BatchHandler = (records: readonly SourceRecord[]) => Promise<BatchOutcome | undefined>;

/** What became of a batch: how many events reached the monitors and how many were rejected. */
export interface BatchOutcome {
  readonly accepted: number;
  readonly rejected: number;
}

/**
 * Default for every source's `stall_timeout_secs`: a source making no progress this long (a Kafka
 * fetch unanswered, a batch not processed) is reported down.
 */
export const DEFAULT_STALL_TIMEOUT_SECS = 60;

/** Whether a source is consuming, and if not, why (one line for `/readyz` and the log). */
export interface SourceHealth {
  readonly up: boolean;
  readonly reason?: string;
}

/**
 * An event source: `start` begins delivering batches to the handler, skipping records before the
 * positions it is given, a live view of the pipeline's positions (those records are already
 * counted in the state, whether restored from a checkpoint or processed since); `commit` is
 * called with the positions of a durable checkpoint; `drain` stops delivering and returns once no
 * batch is in flight, still able to commit; `stop` closes the source.
 */
export interface Source {
  readonly name: string;
  start(handler: BatchHandler, positions: Readonly<Record<string, number>>): Promise<void>;
  /** Resolves when a finite source (file replay) has delivered everything. */
  readonly finished: Promise<void>;
  commit(positions: Readonly<Record<string, number>>): Promise<void>;
  drain(): Promise<void>;
  stop(): Promise<void>;
  /**
   * Whether the source is connected and making progress at `now` (ms). The pipeline polls it to
   * set `driftwatch_source_up` and `/readyz`; a source that cannot fail may omit it.
   */
  health?(now: number): SourceHealth;
}

/**
 * What a partitioned source tells the owner of its partitions' state (a cluster source) and waits
 * for: the partitions the group assigned, and before each batch that its partition can take events.
 */
export interface PartitionHooks {
  /** Called with every assignment (a partition missing from it was revoked). */
  assigned(topic: string, partitions: readonly number[]): void;
  /** Resolves to false when the batch's partition is no longer this instance's (the batch is dropped). */
  ready(topic: string, partition: number): Promise<boolean>;
  /** False when offsets are committed by the owner (in its transactions), not after checkpoints. */
  readonly commitsOffsets: boolean;
}
