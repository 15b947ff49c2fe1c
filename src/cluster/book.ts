import { type Partial, parsePartialKey, type StateRecord } from "./records.js";

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
  | { readonly window: number; readonly outcome: "evaluated"; readonly partials: readonly Partial[] }
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

  constructor(
    /** The monitors merged here, by name, with the hash of their identity. */
    private readonly identities: ReadonlyMap<string, string>,
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
      case "partial": {
        const { partial } = record;
        if (!this.identities.has(partial.monitor))
          return {
            reason: "unknown_monitor",
            monitor: partial.monitor,
            window: partial.window,
            why: "no monitor of that name here",
          };
        if (partial.partition >= this.partitions)
          return {
            reason: "undecodable",
            monitor: partial.monitor,
            window: partial.window,
            why: `partition ${partial.partition} is not one of the topic's ${this.partitions}`,
          };
        if (partial.window < this.next(partial.monitor))
          return {
            reason: "late",
            monitor: partial.monitor,
            window: partial.window,
            why: "its window is merged already",
          };
        this.place(partial.monitor, partial.window, partial.partition, { partial });
        return null;
      }
      case "bad": {
        const place = parsePartialKey(record.key);
        const rejection: Rejection = {
          reason: "undecodable",
          monitor: record.monitor ?? "?",
          window: place?.window ?? -1,
          why: record.why,
          key: record.key,
        };
        if (
          place !== null &&
          this.identities.has(place.monitor) &&
          place.partition < this.partitions &&
          place.window >= this.next(place.monitor)
        )
          this.place(place.monitor, place.window, place.partition, {
            bad: `partition ${place.partition}'s partial cannot be read: ${record.why}`,
          });
        return rejection;
      }
      case "tombstone": {
        const place = parsePartialKey(record.key);
        if (place !== null) this.pieces.get(place.monitor)?.get(place.window)?.delete(place.partition);
        return null;
      }
      case "merged": {
        const { mark } = record;
        this.marks.set(mark.monitor, Math.max(this.marks.get(mark.monitor) ?? -1, mark.window));
        const windows = this.pieces.get(mark.monitor);
        for (const window of [...(windows?.keys() ?? [])]) if (window <= mark.window) windows?.delete(window);
        return null;
      }
      case "barrier":
        return null;
    }
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
    const window = this.next(monitor);
    const parts = this.pieces.get(monitor)?.get(window);
    if (parts === undefined || parts.size < this.partitions) return null;
    const ordered = [...parts].sort(([a], [b]) => a - b).map(([, piece]) => piece);
    const identity = this.identities.get(monitor);
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
    };
  }

  /** How far a monitor's merging waits: windows with some pieces in, and partitions missing from the next. */
  waiting(monitor: string): { windows: number; partitions: number } {
    const windows = this.pieces.get(monitor);
    return {
      windows: windows?.size ?? 0,
      partitions: this.partitions - (windows?.get(this.next(monitor))?.size ?? 0),
    };
  }
}
