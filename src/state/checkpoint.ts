import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
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
  /** Alert lifecycle and rule state, so that firing alerts and consecutive-window counts survive. */
  readonly alerts?: unknown;
}

// Arrays of at least this many numbers (exact windows' raw values) go to the binary side file.
const BINARY_MIN_LENGTH = 256;
const BLOB = /^values-(\d+)\.f64$/;

/** Reference to a run of float64s in the side file, standing in for an array in the JSON. */
interface BlobRef {
  readonly $f64: readonly [offset: number, length: number];
}

function isNumberArray(value: unknown): value is number[] {
  if (!Array.isArray(value) || value.length < BINARY_MIN_LENGTH) return false;
  for (let i = 0; i < value.length; i++) if (typeof value[i] !== "number") return false;
  return true;
}

function writeAll(path: string, chunks: readonly Uint8Array[]): void {
  const fd = openSync(path, "w");
  try {
    for (const chunk of chunks) {
      let written = 0;
      while (written < chunk.length) written += writeSync(fd, chunk, written);
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Checkpoints in a state directory. `checkpoint.json` stays readable (positions, counts, window
 * bounds) while long arrays of numbers (an exact window's raw values) go to a side file of raw
 * float64s, which is five times cheaper to write than their JSON and exact by construction.
 *
 * Atomic: the side file `values-N.f64` is written and fsynced first under a new name, then
 * `checkpoint.json` naming it is written to a temporary file, fsynced and renamed over the old
 * one, and the directory fsynced; only then are older side files removed. A crash at any point
 * leaves a whole old or a whole new checkpoint, never a torn one, so state and offsets always
 * describe the same events.
 */
export class CheckpointStore {
  readonly path: string;
  private sequence: number;

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    this.path = join(dir, "checkpoint.json");
    this.sequence = Math.max(0, ...this.blobs().map(([, n]) => n));
  }

  private blobs(): [string, number][] {
    return readdirSync(this.dir).flatMap((name) => {
      const match = BLOB.exec(name);
      return match ? [[name, Number(match[1])] as [string, number]] : [];
    });
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
    const raw = JSON.parse(text) as Checkpoint & { values_file?: string };
    if (raw.format !== "driftwatch-checkpoint" || raw.version !== 1) {
      throw new Error(`${this.path}: not a driftwatch checkpoint of version 1`);
    }
    if (raw.values_file === undefined) return raw;
    const blob = readFileSync(join(this.dir, raw.values_file));
    const revive = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(revive);
      if (value === null || typeof value !== "object") return value;
      const ref = (value as Partial<BlobRef>).$f64;
      if (ref !== undefined) {
        const [offset, length] = ref;
        const copy = new Float64Array(length);
        new Uint8Array(copy.buffer).set(blob.subarray(offset * 8, (offset + length) * 8));
        return Array.from(copy);
      }
      const out: Record<string, unknown> = {};
      // defineProperty, not assignment: a category may be named "__proto__".
      for (const [key, inner] of Object.entries(value)) {
        Object.defineProperty(out, key, {
          value: revive(inner),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    };
    const { values_file: _file, ...checkpoint } = raw;
    return revive(checkpoint) as Checkpoint;
  }

  /** Writes a checkpoint durably; returns the bytes written (JSON and side file). */
  save(checkpoint: Checkpoint): number {
    const chunks: Float64Array[] = [];
    let offset = 0;
    const json = JSON.stringify(checkpoint, (_key, value: unknown) => {
      if (!isNumberArray(value)) return value;
      const chunk = Float64Array.from(value);
      chunks.push(chunk);
      const ref: BlobRef = { $f64: [offset, chunk.length] };
      offset += chunk.length;
      return ref;
    });
    let blobName: string | null = null;
    let bytes = 0;
    if (chunks.length > 0) {
      blobName = `values-${++this.sequence}.f64`;
      writeAll(
        join(this.dir, blobName),
        chunks.map((c) => new Uint8Array(c.buffer, c.byteOffset, c.byteLength)),
      );
      bytes += offset * 8;
    }
    const document = blobName === null ? json : `{"values_file":${JSON.stringify(blobName)},${json.slice(1)}`;
    const encoded = Buffer.from(document);
    const temporary = `${this.path}.tmp`;
    writeAll(temporary, [encoded]);
    renameSync(temporary, this.path);
    // The rename is durable only once the directory entry is on disk.
    const dirFd = openSync(this.dir, "r");
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
    for (const [name] of this.blobs()) if (name !== blobName) rmSync(join(this.dir, name), { force: true });
    return bytes + encoded.length;
  }
}
