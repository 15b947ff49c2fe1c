/**
 * The deterministic streams of the detector part of `npm run bench:quality`, written once as raw
 * little-endian float64 files that both sides read (this process and River's peer), so the two see
 * the same doubles without a text round trip. Each stream changes half-way through.
 *
 * - `binary`: 0/1 error indicators, a model whose error rate rises from 0.20 to 0.35 (DDM, EDDM,
 *   HDDM_A, HDDM_W);
 * - `real`: normal values whose mean moves from 0 to 0.8 at unit spread (ADWIN, Page-Hinkley);
 * - `kswin`: a shorter stream of the same shape for KSWIN, whose River implementation runs
 *   `scipy.stats.ks_2samp` on every update (about 3k updates/s), so 200 000 values would take a
 *   minute per pass on River's side.
 *
 * @example
 *   const streams = writeStreams(dir); // { binary: { path, length: 200000, change: 100000 }, ... }
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** One stream on disk. */
export interface StreamFile {
  readonly path: string;
  readonly length: number;
  /** Index of the first value drawn after the change. */
  readonly change: number;
}

/** The three streams, by name. */
export type StreamName = "binary" | "real" | "kswin";

/** Sizes of the streams. */
export interface StreamSizes {
  readonly long: number;
  readonly kswin: number;
}

/**
 * sfc32 seeded through splitmix32, returning uniforms in [0, 1): small, fast, and the same on
 * every platform, which is all the streams need.
 */
function uniform(seed: number): () => number {
  const mix = (x: number): number => {
    let z = (x + 0x9e3779b9) | 0;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = mix(seed);
  let b = mix(a ^ 0x3c6ef372);
  let c = mix(b ^ 0xa54ff53a);
  let d = mix(c ^ 0x510e527f);
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 12; i++) next();
  return next;
}

function binaryStream(length: number, seed: number): Float64Array {
  const random = uniform(seed);
  const change = length >> 1;
  return Float64Array.from({ length }, (_, i) => (random() < (i < change ? 0.2 : 0.35) ? 1 : 0));
}

function normalStream(length: number, seed: number): Float64Array {
  const random = uniform(seed);
  const change = length >> 1;
  return Float64Array.from({ length }, (_, i) => {
    // Box–Muller; 1 − u keeps the logarithm's argument in (0, 1].
    const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    return (i < change ? 0 : 0.8) + z;
  });
}

/** Writes the three streams under `dir` (same bytes on every run) and describes them. */
export function writeStreams(dir: string, sizes: StreamSizes): Record<StreamName, StreamFile> {
  mkdirSync(dir, { recursive: true });
  const make: Record<StreamName, Float64Array> = {
    binary: binaryStream(sizes.long, 1),
    real: normalStream(sizes.long, 2),
    kswin: normalStream(sizes.kswin, 3),
  };
  const out = {} as Record<StreamName, StreamFile>;
  for (const [name, values] of Object.entries(make) as [StreamName, Float64Array][]) {
    const path = join(dir, `${name}-${values.length}.f64`);
    // Float64Array bytes are in the platform's order; every platform Node runs on is little-endian.
    writeFileSync(path, new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    out[name] = { path, length: values.length, change: values.length >> 1 };
  }
  return out;
}

/** Reads a stream file back into a Float64Array of its own (aligned) buffer. */
export function readStream(file: StreamFile): Float64Array {
  const bytes = readFileSync(file.path);
  const values = new Float64Array(bytes.byteLength / 8);
  new Uint8Array(values.buffer).set(bytes);
  if (values.length !== file.length)
    throw new Error(`${file.path}: ${values.length} values, expected ${file.length}`);
  return values;
}
