import { type Chunk, decodePartial, type Partial, parseChunkKey, type StateRecord } from "./records.js";

/** Why a record of the state topic is not used, for the merger's counter and its log line. */
export interface Rejection {
  readonly reason: "undecodable" | "stale_config" | "late" | "unknown_monitor";
  readonly monitor: string;
  /** The window it was for (-1 when its key does not say). */
  readonly window: number;
  readonly why: string;
  readonly key?: string;
}

/** A monitor's next window once every partition's piece of it is in: merge it, or skip it and why. */
export type ReadyWindow =
  | {
      readonly window: number;
      readonly outcome: "evaluated";
      readonly partials: readonly Partial[];
      /** Event-time windows closed by the lateness bound: the partitions left out (none otherwise). */
      readonly missing: readonly number[];
    }
  | {
      readonly window: number;
      readonly outcome: "skipped";
      readonly why: string;
      /** Pieces from another config of the monitor, counted as `stale_config`. */
      readonly stale: readonly Rejection[];
    };

/** A partial, or why the last record written for its place cannot be used. */
type Piece = { readonly partial: Partial } | { readonly bad: string };

/**
 * What the merger knows from the state topic: per monitor, the last window merged and the pieces
 * in for the windows after it. The last record for a place wins, as compaction keeps it: a bad
 * record is superseded by a good one written after it, and the other way round. No I/O, so that
 * the rules are tested without a broker.
 */
export class MergeBook {
  private readonly marks = new Map<string, number>();
  private readonly pieces = new Map<string, Map<number, Map<number, Piece>>>();
  /** Records of partials not complete yet, by place and publication nonce. */
  private readonly chunks = new Map<string, Map<string, { parts: (Buffer | undefined)[]; have: number }>>();
  /** Every partial record key seen per monitor and window, for the merge's tombstones. */
  private readonly keys = new Map<string, Map<number, Set<string>>>();

  /** Per monitor and partition, the partition's next window as its last partial says. */
  private readonly watermarks = new Map<string, Map<number, number>>();

  constructor(
    /**
     * The monitors merged here, by name: the hash of their identity, and for event-time windows
     * the lateness bound in windows (null for count windows).
     */
    private readonly monitors: ReadonlyMap<
      string,
      { readonly identity: string; readonly lateness: number | null }
    >,
    /** The source topic's partitions: a window needs a piece from each. */
    readonly partitions: number,
  ) {}

  /** The index of the window a monitor merges next. */
  next(monitor: string): number {
    return (this.marks.get(monitor) ?? -1) + 1;
  }

  /** Takes in one record; returns why it is not used, when it is not. */
  apply(record: StateRecord): Rejection | null {
    switch (record.type) {
      case "chunk":
        return this.chunk(record.chunk, record.bytes);
      case "bad":
        return {
          reason: "undecodable",
          monitor: record.monitor ?? "?",
          window: -1,
          why: record.why,
          key: record.key,
        };
      case "tombstone": {
        const chunk = parseChunkKey(record.key);
        if (chunk !== null) this.keys.get(chunk.monitor)?.get(chunk.window)?.delete(record.key);
        return null;
      }
      case "merged": {
        const { mark } = record;
        this.marks.set(mark.monitor, Math.max(this.marks.get(mark.monitor) ?? -1, mark.window));
        for (const map of [this.pieces.get(mark.monitor), this.keys.get(mark.monitor)])
          for (const window of [...(map?.keys() ?? [])]) if (window <= mark.window) map?.delete(window);
        for (const place of [...this.chunks.keys()]) {
          const [monitor, window] = JSON.parse(place) as [string, number];
          if (monitor === mark.monitor && window <= mark.window) this.chunks.delete(place);
        }
        return null;
      }
      case "barrier":
        return null;
    }
  }

  /** Takes in one record of a partial; the partial is placed once all its records are in. */
  private chunk(chunk: Chunk, bytes: Buffer): Rejection | null {
    const { monitor, window, partition } = chunk;
    if (!this.monitors.has(monitor))
      return {
        reason: "unknown_monitor",
        monitor,
        window,
        why: "no monitor of that name here",
        key: chunk.key,
      };
    if (partition >= this.partitions)
      return {
        reason: "undecodable",
        monitor,
        window,
        why: `partition ${partition} is not one of the topic's ${this.partitions}`,
        key: chunk.key,
      };
    if (window < this.next(monitor))
      return { reason: "late", monitor, window, why: "its window is merged already", key: chunk.key };
    const keys = this.keys.get(monitor) ?? new Map<number, Set<string>>();
    this.keys.set(monitor, keys);
    const seen = keys.get(window) ?? new Set<string>();
    keys.set(window, seen);
    seen.add(chunk.key);
    const place = JSON.stringify([monitor, window, partition]);
    const publications = this.chunks.get(place) ?? new Map();
    this.chunks.set(place, publications);
    const parts = publications.get(chunk.nonce) ?? { parts: new Array(chunk.count).fill(undefined), have: 0 };
    publications.set(chunk.nonce, parts);
    if (parts.parts.length !== chunk.count)
      return {
        reason: "undecodable",
        monitor,
        window,
        why: `record ${chunk.index} says ${chunk.count} records, an earlier one ${parts.parts.length}`,
        key: chunk.key,
      };
    if (parts.parts[chunk.index - 1] === undefined) parts.have++;
    parts.parts[chunk.index - 1] = bytes;
    if (parts.have < chunk.count) return null;
    // Complete: the last publication to complete wins, as compaction would keep its records.
    publications.delete(chunk.nonce);
    const piece = decodePartial(chunk, Buffer.concat(parts.parts as Buffer[]));
    if ("bad" in piece) {
      this.place(monitor, window, partition, {
        bad: `partition ${partition}'s partial cannot be read: ${piece.bad}`,
      });
      return { reason: "undecodable", monitor, window, why: piece.bad, key: chunk.key };
    }
    this.place(monitor, window, partition, piece);
    const marks = this.watermarks.get(monitor) ?? new Map<number, number>();
    this.watermarks.set(monitor, marks);
    marks.set(partition, Math.max(marks.get(partition) ?? 0, piece.partial.next));
    return null;
  }

  /** Every record key of a monitor's window seen so far: what the merge's tombstones remove. */
  keysOf(monitor: string, window: number): string[] {
    return [...(this.keys.get(monitor)?.get(window) ?? [])];
  }

  private place(monitor: string, window: number, partition: number, piece: Piece): void {
    const windows = this.pieces.get(monitor) ?? new Map<number, Map<number, Piece>>();
    this.pieces.set(monitor, windows);
    const parts = windows.get(window) ?? new Map<number, Piece>();
    windows.set(window, parts);
    parts.set(partition, piece);
  }

  /**
   * A monitor's next window when every partition's piece is in: its partials in partition order,
   * or, when one cannot be read or is from another config of the monitor, why it is skipped (a
   * verdict over some partitions would be a wrong one). Null while a piece is missing.
   */
  ready(monitor: string): ReadyWindow | null {
    const windows = this.pieces.get(monitor);
    if (windows === undefined || windows.size === 0) return null;
    const lateness = this.monitors.get(monitor)?.lateness ?? null;
    let window: number;
    const missing: number[] = [];
    if (lateness === null) {
      // Count windows: every partition has each window, one after the other.
      window = this.next(monitor);
      if ((windows.get(window)?.size ?? 0) < this.partitions) return null;
    } else {
      // Event-time windows: the earliest window with a piece; a partition without one there is
      // done with it once a later partial of its own says so, or left out once another
      // partition is `lateness` windows past it.
      window = Math.min(...windows.keys());
      const parts = windows.get(window) as Map<number, Piece>;
      const marks = this.watermarks.get(monitor) ?? new Map<number, number>();
      let ahead = 0;
      for (const next of marks.values()) ahead = Math.max(ahead, next);
      for (let p = 0; p < this.partitions; p++)
        if (!parts.has(p) && (marks.get(p) ?? 0) <= window) missing.push(p);
      if (missing.length > 0 && ahead <= window + lateness) return null;
    }
    const parts = windows.get(window) as Map<number, Piece>;
    const ordered = [...parts].sort(([a], [b]) => a - b).map(([, piece]) => piece);
    const identity = this.monitors.get(monitor)?.identity;
    const stale: Rejection[] = [];
    let bad: string | null = null;
    for (const piece of ordered) {
      if ("bad" in piece) bad ??= piece.bad;
      else if (piece.partial.identity !== identity)
        stale.push({
          reason: "stale_config",
          monitor,
          window,
          why: `partition ${piece.partial.partition}'s partial is from another config of the monitor`,
        });
    }
    if (bad !== null || stale.length > 0)
      return { window, outcome: "skipped", why: bad ?? stale[0].why, stale };
    return {
      window,
      outcome: "evaluated",
      partials: ordered.map((p) => (p as { partial: Partial }).partial),
      missing,
    };
  }

  /** How far a monitor's merging waits: windows with some pieces in, and partitions missing from the next. */
  waiting(monitor: string): { windows: number; partitions: number } {
    const windows = this.pieces.get(monitor);
    const timed = (this.monitors.get(monitor)?.lateness ?? null) !== null;
    const next =
      timed && windows !== undefined && windows.size > 0 ? Math.min(...windows.keys()) : this.next(monitor);
    return {
      windows: windows?.size ?? 0,
      partitions:
        windows === undefined || windows.size === 0 ? 0 : this.partitions - (windows.get(next)?.size ?? 0),
    };
  }
}
