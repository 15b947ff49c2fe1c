// What a checkpoint holds, apart from the store that writes and reads it, so that the parts of
// the store (generations, shape checks) can name it without importing the store.

/** Positions of every source: for each source, the next offset to read per partition key. */
export type Positions = Record<string, Record<string, number>>;

/**
 * What a checkpoint holds: every monitor's state and the positions that state includes. The
 * store adds its generation and checksums when it writes, and checks and removes them when it
 * reads; any other field is saved and restored as it is.
 */
export interface Checkpoint {
  readonly format: "driftwatch-checkpoint";
  readonly version: 2;
  /** Wall-clock time of writing (ms), for operators. */
  readonly written_at: number;
  /** Hash of the monitor-relevant configuration; state from another config is not restored. */
  readonly config_hash: string;
  readonly positions: Positions;
  /** Per monitor `{ hash, type, state }`; each state is checked for its type's shape at load. */
  readonly monitors: Record<string, unknown>;
  /** Alert lifecycle and rule state, so that firing alerts and consecutive-window counts survive. */
  readonly alerts?: unknown;
  /** Where each dead-letter file ended when the checkpoint was taken (the dead letters' own format). */
  readonly dead_letters?: unknown;
}
