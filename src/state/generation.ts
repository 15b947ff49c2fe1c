import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { StateShapeError } from "../shape.js";
import { describeErrno } from "./errors.js";
import { checkMonitorStates } from "./monitors.js";
import type { Checkpoint } from "./types.js";

/** Version of the checkpoint format: 2 added generations and checksums. */
export const CHECKPOINT_VERSION = 2;

/**
 * Every document starts with its own SHA-256, computed over the whole document with these 64 hex
 * digits zeroed. At the start and of fixed length, so it is checked on the raw bytes before any
 * parsing, and a bit flip anywhere (a digit of a number included) is caught.
 */
export const DIGEST_PREFIX = '{"digest":"sha256:';
/** The digest field's value while the digest is computed. */
export const ZERO_DIGEST = "0".repeat(64);
const HEADER = /^\{"digest":"sha256:([0-9a-f]{64})","generation":(\d{1,15})[,}]/;

/** The side file a generation writes its long number arrays to. */
export function valuesFileName(generation: number): string {
  return `values-${generation}.f64`;
}

/** What the document records about its side file. */
export interface ValuesFile {
  readonly name: string;
  readonly bytes: number;
  readonly sha256: string;
}

/** Reference to a run of float64s in the side file, standing in for an array in the JSON. */
export interface BlobRef {
  readonly $f64: readonly [offset: number, length: number];
}

/** The SHA-256 of `bytes` with its digest field zeroed (the bytes are left as they were). */
export function documentDigest(bytes: Buffer): string {
  const zeroed = Buffer.from(bytes);
  zeroed.write(ZERO_DIGEST, DIGEST_PREFIX.length, "latin1");
  return createHash("sha256").update(zeroed).digest("hex");
}

/** One checkpoint file as found on disk: absent, damaged (and why), or usable. */
export type Inspection =
  | { readonly file: string; readonly status: "absent" }
  | {
      readonly file: string;
      readonly status: "damaged";
      /** The generation its header names, when the header is readable (not trusted otherwise). */
      readonly generation: number | null;
      readonly problem: string;
    }
  | {
      readonly file: string;
      readonly status: "usable";
      readonly generation: number;
      readonly valuesFile: string | null;
      readonly checkpoint: Checkpoint;
    };

/** `checkpoint.json (generation 8): what is wrong`, for logs and refusals. */
export function describeDamage(inspection: Extract<Inspection, { status: "damaged" }>): string {
  const generation = inspection.generation === null ? "" : ` (generation ${inspection.generation})`;
  return `${inspection.file}${generation}: ${inspection.problem}`;
}

class Damage extends Error {}

/**
 * Reads and verifies one checkpoint file of `dir`: the document's digest, its format and version,
 * its side file's length and SHA-256, every reference into the side file, every number in it
 * (finite: nothing else is ever written there), and the shape of every monitor's state. Nothing
 * is used before it is verified; a damaged file says what is wrong with it.
 */
export function inspectGeneration(dir: string, file: string): Inspection {
  let bytes: Buffer;
  try {
    bytes = readFileSync(join(dir, file));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { file, status: "absent" };
    return { file, status: "damaged", generation: null, problem: `unreadable (${describeErrno(error)})` };
  }
  const header = HEADER.exec(bytes.subarray(0, 128).toString("latin1"));
  const generation = header ? Number(header[2]) : null;
  try {
    if (header === null) throw new Damage(unrecognised(bytes));
    if (documentDigest(bytes) !== header[1])
      throw new Damage(
        `document checksum does not match (${bytes.length} bytes): changed or cut after it was written`,
      );
    const document = JSON.parse(bytes.toString("utf8")) as Record<string, unknown>;
    const { checkpoint, valuesFile } = revive(dir, document, generation as number);
    checkMonitorStates(checkpoint.monitors);
    return { file, status: "usable", generation: generation as number, valuesFile, checkpoint };
  } catch (error) {
    if (!(error instanceof Damage || error instanceof StateShapeError || error instanceof SyntaxError))
      throw error;
    return { file, status: "damaged", generation, problem: error.message };
  }
}

/** Why a file without a checksum header is not read: an earlier version's, or not a checkpoint. */
function unrecognised(bytes: Buffer): string {
  if (bytes.length === 0) return "empty";
  const start = bytes.subarray(0, 256).toString("utf8");
  if (/"format":"driftwatch-checkpoint","version":1\b/.test(start))
    return "version 1 (written by an earlier driftwatch, without checksums): not restored";
  return "not a driftwatch checkpoint (no checksum header)";
}

/** The verified document with its side file's arrays put back, without the store's own fields. */
function revive(
  dir: string,
  document: Record<string, unknown>,
  generation: number,
): { checkpoint: Checkpoint; valuesFile: string | null } {
  const { digest: _digest, generation: _generation, values_file, ...checkpoint } = document;
  if (checkpoint.format !== "driftwatch-checkpoint" || checkpoint.version !== CHECKPOINT_VERSION)
    throw new Damage(`not a driftwatch checkpoint of version ${CHECKPOINT_VERSION}`);
  if (values_file === undefined) return { checkpoint: checkpoint as unknown as Checkpoint, valuesFile: null };
  const values = readValues(dir, values_file as ValuesFile, generation);
  const name = (values_file as ValuesFile).name;
  const reviveValue = (value: unknown, path: string): unknown => {
    if (Array.isArray(value)) return value.map((item, i) => reviveValue(item, `${path}/${i}`));
    if (value === null || typeof value !== "object") return value;
    const ref = (value as Partial<BlobRef>).$f64;
    if (ref !== undefined) {
      const [offset, length] = (Array.isArray(ref) ? ref : []) as number[];
      const inside =
        Number.isSafeInteger(offset) && Number.isSafeInteger(length) && offset >= 0 && length >= 0;
      if (!inside || offset + length > values.length)
        throw new Damage(
          `${path}: reference ${JSON.stringify(ref)} outside ${name} (${values.length} numbers)`,
        );
      return Array.from(values.subarray(offset, offset + length));
    }
    const out: Record<string, unknown> = {};
    // defineProperty, not assignment: a category may be named "__proto__".
    for (const [key, inner] of Object.entries(value)) {
      Object.defineProperty(out, key, {
        value: reviveValue(inner, `${path}/${key}`),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  };
  return { checkpoint: reviveValue(checkpoint, "") as Checkpoint, valuesFile: name };
}

/** The side file's numbers, once its name, length, checksum and contents are verified. */
function readValues(dir: string, recorded: ValuesFile, generation: number): Float64Array {
  const name = valuesFileName(generation);
  if (recorded === null || typeof recorded !== "object" || recorded.name !== name)
    throw new Damage(`names side file ${JSON.stringify(recorded?.name)}, expected ${name}`);
  let bytes: Buffer;
  try {
    bytes = readFileSync(join(dir, name));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Damage(`${name}: ${code === "ENOENT" ? "missing" : `unreadable (${describeErrno(error)})`}`);
  }
  if (bytes.length !== recorded.bytes)
    throw new Damage(`${name}: ${bytes.length} bytes, expected ${recorded.bytes}`);
  if (bytes.length % 8 !== 0)
    throw new Damage(`${name}: ${bytes.length} bytes, not a whole number of float64s`);
  if (createHash("sha256").update(bytes).digest("hex") !== recorded.sha256)
    throw new Damage(`${name}: checksum does not match: changed after it was written`);
  // Copied out rather than viewed: a Buffer's offset need not be aligned for a Float64Array.
  const values = new Float64Array(bytes.length / 8);
  new Uint8Array(values.buffer).set(bytes);
  for (let i = 0; i < values.length; i++)
    if (!Number.isFinite(values[i]))
      throw new Damage(`${name}: value ${i} is not a finite number (${values[i]})`);
  return values;
}
