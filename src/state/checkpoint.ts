import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { join } from "node:path";

/** Positions of every source: for each source, the next offset to read per partition key. */
export type Positions = Record<string, Record<string, number>>;

/** What a checkpoint holds: every monitor's state and the positions that state includes. */
export interface Checkpoint {
  readonly format: "driftwatch-checkpoint";
  readonly version: 1;
  /** Wall-clock time of writing (ms), for operators. */
  readonly written_at: number;
  /** Hash of the monitor-relevant configuration; state from another config is not restored. */
  readonly config_hash: string;
  readonly positions: Positions;
  readonly monitors: Record<string, unknown>;
}

/**
 * Checkpoints in a state directory, written atomically: to a temporary file, fsync, rename over
 * the old one, fsync the directory. A crash at any point leaves either the old or the new
 * checkpoint whole, never a torn one, so state and offsets always describe the same events.
 */
export class CheckpointStore {
  readonly path: string;

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    this.path = join(dir, "checkpoint.json");
  }

  /** The last durable checkpoint, or null when there is none. */
  load(): Checkpoint | null {
    let text: string;
    try {
      text = readFileSync(this.path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw error;
    }
    const checkpoint = JSON.parse(text) as Checkpoint;
    if (checkpoint.format !== "driftwatch-checkpoint" || checkpoint.version !== 1) {
      throw new Error(`${this.path}: not a driftwatch checkpoint of version 1`);
    }
    return checkpoint;
  }

  /** Writes a checkpoint durably; returns its size in bytes. */
  save(checkpoint: Checkpoint): number {
    const temporary = `${this.path}.tmp`;
    const bytes = Buffer.from(JSON.stringify(checkpoint));
    const fd = openSync(temporary, "w");
    try {
      let written = 0;
      while (written < bytes.length) written += writeSync(fd, bytes, written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, this.path);
    // The rename is durable only once the directory entry is on disk.
    const dirFd = openSync(this.dir, "r");
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
    return bytes.length;
  }
}
