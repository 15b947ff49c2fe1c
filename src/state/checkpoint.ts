import { createHash } from "node:crypto";
import {
  closeSync,
  copyFileSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { CheckpointUnusable, CheckpointWriteError, StateDirError } from "./errors.js";
import {
  type BlobRef,
  DIGEST_PREFIX,
  describeDamage,
  documentDigest,
  type Inspection,
  inspectGeneration,
  type ValuesFile,
  valuesFileName,
  ZERO_DIGEST,
} from "./generation.js";
import type { Checkpoint } from "./types.js";

export { CHECKPOINT_VERSION } from "./generation.js";

export type { Checkpoint, Positions } from "./types.js";

/** How a start found its state: restored as is, restored from the previous generation, none, or reset. */
export type RestoreOutcome = "ok" | "fallback" | "none" | "reset";

/** What `restore` found and chose. */
export interface Restored {
  readonly checkpoint: Checkpoint | null;
  readonly outcome: RestoreOutcome;
  /** The file and generation restored, when one was. */
  readonly file: string | null;
  readonly generation: number | null;
  /** Every damaged file passed over, `checkpoint.json (generation 8): what is wrong`, newest first. */
  readonly damaged: readonly string[];
}

const CURRENT = "checkpoint.json";
const PREVIOUS = "checkpoint.previous.json";
const DAMAGED_DIR = "damaged";
const VALUES = /^values-(\d+)\.f64$/;
// Arrays of at least this many numbers (exact windows' raw values) go to the binary side file.
const BINARY_MIN_LENGTH = 256;

/** A usable generation on disk: its number and the side file it needs. */
interface Kept {
  readonly generation: number;
  readonly valuesFile: string | null;
}

/** Long arrays of finite numbers only: the side file never holds anything else, so load can insist on it. */
function isNumberArray(value: unknown): value is number[] {
  if (!Array.isArray(value) || value.length < BINARY_MIN_LENGTH) return false;
  for (let i = 0; i < value.length; i++) {
    const v = value[i];
    if (typeof v !== "number" || !Number.isFinite(v)) return false;
  }
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
 * `mkdir -p` that reports the errno of the directory it could not create: Node's recursive mkdir
 * says ENOENT where a read-only file system refuses with EROFS.
 */
function makeDir(dir: string): void {
  try {
    mkdirSync(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST") {
      if (!statSync(dir).isDirectory())
        throw Object.assign(new Error("ENOTDIR: not a directory"), { code: "ENOTDIR" });
      return;
    }
    const parent = dirname(dir);
    if (code !== "ENOENT" || parent === dir) throw error;
    makeDir(parent);
    mkdirSync(dir);
  }
}

/** Removes a file if it is there; a failure here must not hide the error being reported. */
function removeQuietly(path: string): void {
  try {
    rmSync(path, { force: true });
  } catch {
    // The next save's clean-up tries again.
  }
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Checkpoints in a state directory, in generations. `checkpoint.json` holds the newest and stays
 * readable (positions, counts, window bounds); long arrays of numbers (an exact window's raw
 * values) go to a side file `values-N.f64` of raw float64s, five times cheaper to write than their
 * JSON and exact by construction. `checkpoint.previous.json` keeps the generation before.
 *
 * Trust: the document starts with its own SHA-256 and records its generation and its side file's
 * length and SHA-256; loading verifies all of them, every reference into the side file, and the
 * shape of every monitor's state before anything is used. A damaged newest generation falls back
 * to the previous one; when none is usable, `load` and `restore` refuse (one line naming each
 * file and what is wrong), unless `restore` is asked to reset.
 *
 * Atomic: generation N+1's side file is written and fsynced, then its JSON to a temporary file,
 * fsynced; generation N is linked to `checkpoint.previous.json`, and the temporary file renamed
 * over `checkpoint.json`, then the directory fsynced; only then are older side files removed. A
 * crash at any point leaves generation N whole (and N+1 whole once the rename is done), and a
 * failed write removes what it wrote, so state and offsets always describe the same events.
 * Generation N stays the fallback after N+1's offsets are committed to Kafka: a restart from N
 * seeks every partition N knows to N's positions rather than to the committed offsets, so the
 * events between N and N+1 are read again, not lost.
 *
 * @example
 *   const store = new CheckpointStore(".driftwatch");
 *   const { checkpoint } = store.restore({ reset: false }); // null on a first start
 *   store.save({ ...next }); // generation N+1; N is kept as the fallback
 */
export class CheckpointStore {
  /** The newest generation's file, `checkpoint.json`. */
  readonly path: string;
  private current: Kept | null = null;
  private previous: Kept | null = null;
  private lastGeneration = 0;
  private scanned = false;

  constructor(readonly dir: string) {
    this.path = join(dir, CURRENT);
  }

  /** Side files in the directory, by generation. */
  private valuesFiles(): [string, number][] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw error;
    }
    return names.flatMap((name) => {
      const match = VALUES.exec(name);
      return match ? [[name, Number(match[1])] as [string, number]] : [];
    });
  }

  /**
   * Verifies the newest generation file, and the previous one only when the newest is not usable
   * (a start reads and checks one generation, not two); remembers which are usable and the highest
   * generation number seen.
   */
  private inspect(): Inspection[] {
    const current = inspectGeneration(this.dir, CURRENT);
    const found = [current];
    if (current.status !== "usable") found.push(inspectGeneration(this.dir, PREVIOUS));
    this.current = current.status === "usable" ? current : null;
    const previous = found[1];
    this.previous = previous?.status === "usable" ? previous : null;
    // New generations are numbered past everything on disk, damaged or not, so that no name is reused.
    for (const f of found)
      if (f.status !== "absent" && f.generation !== null)
        this.lastGeneration = Math.max(this.lastGeneration, f.generation);
    for (const [, n] of this.valuesFiles()) this.lastGeneration = Math.max(this.lastGeneration, n);
    this.scanned = true;
    return found;
  }

  /**
   * The generation to restore: checkpoint.json when usable, else checkpoint.previous.json when
   * usable (checkpoint.json is the newer by construction, whatever a damaged header claims); and
   * the damaged files passed over.
   */
  private choose(found: readonly Inspection[]) {
    const best =
      found.find((f): f is Extract<Inspection, { status: "usable" }> => f.status === "usable") ?? null;
    const damaged = found.filter(
      (f): f is Extract<Inspection, { status: "damaged" }> => f.status === "damaged",
    );
    return { best, damaged, present: found.some((f) => f.status !== "absent") };
  }

  /**
   * The newest usable checkpoint, or null when there is none at all. Reads only: it neither
   * creates the directory nor moves anything.
   *
   * @throws CheckpointUnusable when checkpoint files exist but none is usable
   */
  load(): Checkpoint | null {
    const { best, damaged, present } = this.choose(this.inspect());
    if (best) return best.checkpoint;
    if (!present) return null;
    throw new CheckpointUnusable(this.dir, damaged.map(describeDamage));
  }

  /**
   * What a starting daemon restores: checks that the directory can be written (a daemon that
   * could never checkpoint does not start), then restores the newest usable generation. Damaged
   * newer files are moved to `damaged/` (kept for inspection, never restored). When none is
   * usable it refuses, unless `reset` allows starting afresh (every damaged file set aside).
   *
   * @throws StateDirError when the directory cannot be created or written
   * @throws CheckpointUnusable when no generation is usable and `reset` is false
   */
  restore(options: { readonly reset: boolean }): Restored {
    this.checkWritable();
    const { best, damaged, present } = this.choose(this.inspect());
    const described = damaged.map(describeDamage);
    if (best) {
      this.setAside(damaged);
      return {
        checkpoint: best.checkpoint,
        outcome: damaged.length > 0 ? "fallback" : "ok",
        file: best.file,
        generation: best.generation,
        damaged: described,
      };
    }
    if (!present) return { checkpoint: null, outcome: "none", file: null, generation: null, damaged: [] };
    if (!options.reset) throw new CheckpointUnusable(this.dir, described);
    this.setAside(damaged);
    return { checkpoint: null, outcome: "reset", file: null, generation: null, damaged: described };
  }

  private checkWritable(): void {
    // Creating and removing an empty file proves the directory is writable without needing free
    // space, so a full disk at start is left to the checkpoints' own failure handling.
    const probe = join(this.dir, `.probe-${process.pid}`);
    try {
      makeDir(this.dir);
      closeSync(openSync(probe, "w"));
      unlinkSync(probe);
    } catch (error) {
      throw new StateDirError(this.dir, error);
    }
  }

  /** Moves damaged generation files (and the side files their headers name) to `damaged/`. */
  private setAside(damaged: readonly Extract<Inspection, { status: "damaged" }>[]): void {
    if (damaged.length === 0) return;
    const aside = join(this.dir, DAMAGED_DIR);
    try {
      mkdirSync(aside, { recursive: true });
      for (const f of damaged) {
        renameSync(join(this.dir, f.file), join(aside, f.file));
        if (f.file === CURRENT) this.current = null;
        if (f.file === PREVIOUS) this.previous = null;
        const values = f.generation === null ? null : valuesFileName(f.generation);
        if (values && this.valuesFiles().some(([name]) => name === values))
          renameSync(join(this.dir, values), join(aside, values));
      }
    } catch (error) {
      throw new StateDirError(this.dir, error);
    }
  }

  /**
   * Writes `checkpoint` durably as the next generation and keeps the one it replaces as the
   * fallback; returns the bytes written (JSON and side file). On failure, removes what it wrote,
   * leaves the previous generations as they were, and throws a one-line error: the store stays
   * ready for the next attempt.
   *
   * @throws CheckpointWriteError naming the path and the errno (ENOSPC, EIO, ...)
   */
  save(checkpoint: Checkpoint): number {
    try {
      makeDir(this.dir);
      if (!this.scanned) this.inspect();
    } catch (error) {
      throw new CheckpointWriteError(this.dir, error);
    }
    const generation = ++this.lastGeneration;
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
    const blobs = chunks.map((c) => new Uint8Array(c.buffer, c.byteOffset, c.byteLength));
    let values: ValuesFile | null = null;
    if (chunks.length > 0) {
      const hash = createHash("sha256");
      for (const blob of blobs) hash.update(blob);
      values = { name: valuesFileName(generation), bytes: offset * 8, sha256: hash.digest("hex") };
    }
    const head =
      `${DIGEST_PREFIX}${ZERO_DIGEST}","generation":${generation}` +
      (values === null ? "" : `,"values_file":${JSON.stringify(values)}`);
    const document = Buffer.from(json === "{}" ? `${head}}` : `${head},${json.slice(1)}`);
    document.write(documentDigest(document), DIGEST_PREFIX.length, "latin1");

    const temporary = `${this.path}.tmp`;
    const previousPath = join(this.dir, PREVIOUS);
    const previousTemporary = `${previousPath}.tmp`;
    const written: string[] = [];
    let at = this.dir;
    let rotated = false;
    let switched = false;
    try {
      if (values !== null) {
        at = join(this.dir, values.name);
        written.push(at);
        writeAll(at, blobs);
      }
      at = temporary;
      written.push(at);
      writeAll(at, [document]);
      if (this.current !== null) {
        // The generation being replaced becomes the fallback: a hard link is atomic and copies nothing.
        at = previousTemporary;
        written.push(at);
        rmSync(at, { force: true });
        try {
          linkSync(this.path, at);
        } catch {
          copyFileSync(this.path, at); // a file system without hard links
        }
        renameSync(at, previousPath);
        written.pop();
        rotated = true;
      } else if (this.previous === null) {
        // Neither file is usable (a reset): a damaged leftover must not pass for a fallback later.
        at = previousPath;
        rmSync(at, { force: true });
      }
      at = this.path;
      renameSync(temporary, this.path);
      switched = true;
      this.previous = rotated ? this.current : this.previous;
      this.current = { generation, valuesFile: values?.name ?? null };
      // The rename is durable only once the directory entry is on disk.
      at = this.dir;
      fsyncDir(this.dir);
    } catch (error) {
      if (!switched) {
        if (rotated) this.previous = this.current;
        for (const path of written) removeQuietly(path);
      }
      throw new CheckpointWriteError(at, error);
    }
    this.removeStale();
    return document.length + offset * 8;
  }

  /** Removes side files that neither kept generation needs (older ones, leftovers of failed or killed writes). */
  private removeStale(): void {
    const needed = new Set([this.current?.valuesFile, this.previous?.valuesFile]);
    try {
      for (const [name] of this.valuesFiles()) if (!needed.has(name)) removeQuietly(join(this.dir, name));
      removeQuietly(`${this.path}.tmp`);
    } catch {
      // Leftovers cost only space; the next save tries again.
    }
  }
}
