import { showValue } from "../errors.js";
import {
  expectArray,
  expectCount,
  expectFinite,
  expectFiniteOrNull,
  expectObject,
  expectString,
  pointerSegment,
  StateShapeError,
} from "../shape.js";
import { checkFeatureState, type FeatureState, reviveFeatureState } from "../windows/feature-state.js";
import type { Pane } from "../windows/window.js";

// What the instances of a cluster write to Kafka: window partials and merge marks on the state
// topic, each window's global result on the results topic, and each partition's progress in the
// metadata of the consumer group's committed offsets. Plain JSON with a format and a version, so
// that a record from another version or a damaged one is told apart and never trusted.

/** One partition's share of one window of one monitor, published when that share closes. */
export interface Partial {
  readonly format: "driftwatch-partial";
  readonly version: 1;
  /** The hash of the monitor's identity (its config and features): partials of another config are not merged. */
  readonly identity: string;
  readonly monitor: string;
  /**
   * The cluster's window index: every partition's `window`-th window makes it up (count windows),
   * or the window spanning [window × duration, (window + 1) × duration) (event-time windows).
   */
  readonly window: number;
  /**
   * The partition's next window: it publishes nothing more for the windows before it (a time
   * window the partition had no event in has no partial; this says so).
   */
  readonly next: number;
  readonly topic: string;
  readonly partition: number;
  /** The partition's events of the window, their feature states, times, offsets and sample ids. */
  readonly pane: Pane;
  /** Wall-clock time the partial was published (ms), for the merger's lag. */
  readonly published_at: number;
}

/** The last window of a monitor the merger has merged, on the state topic (compacted: one per monitor). */
export interface MergeMark {
  readonly format: "driftwatch-merged";
  readonly version: 1;
  readonly monitor: string;
  /** The index of the last window merged (or skipped); the next one to merge follows it. */
  readonly window: number;
  /** What became of it: `evaluated`, or `skipped` with why. */
  readonly outcome: "evaluated" | "skipped";
}

/** A barrier the merger writes after it takes over, and reads back to know it has read everything before. */
export interface Barrier {
  readonly format: "driftwatch-barrier";
  readonly version: 1;
  readonly nonce: string;
}

/**
 * What a partition's committed offset carries in its metadata: per monitor, the index of the next
 * window and the offset that window starts at (events before it are in published windows); and
 * the offset up to which the partition's dead letters are written.
 */
export interface Progress {
  readonly v: 1;
  readonly windows: Readonly<Record<string, readonly [next: number, offset: number]>>;
  readonly letters: number;
}

/** Where a partial belongs: its monitor, window and partition. */
export interface Place {
  readonly monitor: string;
  readonly window: number;
  readonly partition: number;
}

/**
 * One record of a partial: a partial's JSON is cut into records of at most the cluster's
 * `record_bytes` (an exact window of many events is far larger than a broker takes in one), each
 * keyed by its place, the publication's nonce, and its index and count.
 */
export interface Chunk extends Place {
  readonly key: string;
  readonly nonce: string;
  readonly index: number;
  readonly count: number;
}

/** A record of the state topic as read back: what it is, or why it cannot be used. */
export type StateRecord =
  | { readonly type: "chunk"; readonly chunk: Chunk; readonly bytes: Buffer }
  | { readonly type: "merged"; readonly mark: MergeMark }
  | { readonly type: "barrier"; readonly barrier: Barrier }
  | { readonly type: "tombstone"; readonly key: string }
  | { readonly type: "bad"; readonly key: string; readonly monitor: string | null; readonly why: string };

/** The keys of a partial's `count` records: compaction keeps each, and the merger's tombstones remove them. */
export function partialKeys(place: Place, nonce: string, count: number): string[] {
  return Array.from(
    { length: count },
    (_, i) =>
      `partial/${encodeURIComponent(place.monitor)}/${place.window}/${place.partition}/${nonce}/${i + 1}of${count}`,
  );
}

/** Cuts a partial into its records, each at most `recordBytes` long. */
export function partialRecords(
  partial: Partial,
  nonce: string,
  recordBytes: number,
): { key: string; value: Buffer }[] {
  const bytes = Buffer.from(JSON.stringify(partial));
  const count = Math.max(1, Math.ceil(bytes.length / recordBytes));
  return partialKeys(partial, nonce, count).map((key, i) => ({
    key,
    value: bytes.subarray(i * recordBytes, Math.min(bytes.length, (i + 1) * recordBytes)),
  }));
}

/** The key of a monitor's merge mark. */
export function mergedKey(monitor: string): string {
  return `merged/${encodeURIComponent(monitor)}`;
}

/** The key of the merger's barrier (one: compaction keeps the last). */
export const BARRIER_KEY = "barrier";

/** A partial record's place, nonce, index and count from its key, or null when the key is not one. */
export function parseChunkKey(key: string): Chunk | null {
  const match = /^partial\/([^/]+)\/(\d+)\/(\d+)\/([A-Za-z0-9-]+)\/(\d+)of(\d+)$/.exec(key);
  if (match === null) return null;
  const [index, count] = [Number(match[5]), Number(match[6])];
  if (index < 1 || index > count || count > 1_000_000) return null;
  try {
    return {
      key,
      monitor: decodeURIComponent(match[1]),
      window: Number(match[2]),
      partition: Number(match[3]),
      nonce: match[4],
      index,
      count,
    };
  } catch {
    return null;
  }
}

function checkPane(value: unknown, path: string): Pane {
  const pane = expectObject(value, path);
  expectCount(pane.events, `${path}/events`);
  expectFiniteOrNull(pane.first_time, `${path}/first_time`);
  expectFiniteOrNull(pane.last_time, `${path}/last_time`);
  const features = expectObject(pane.features, `${path}/features`);
  const revived: Record<string, FeatureState> = {};
  for (const [name, state] of Object.entries(features)) {
    checkFeatureState(state, `${path}/features/${pointerSegment(name)}`);
    revived[name] = reviveFeatureState(state as FeatureState);
  }
  const offsets = expectObject(pane.offsets ?? {}, `${path}/offsets`);
  for (const [key, range] of Object.entries(offsets)) {
    const at = `${path}/offsets/${pointerSegment(key)}`;
    const pair = expectArray(range, at);
    if (pair.length !== 2) throw new StateShapeError(`${at}: not a [first, last] pair`);
    expectCount(pair[0], `${at}/0`);
    expectCount(pair[1], `${at}/1`);
  }
  const ids = expectArray(pane.sample_ids ?? [], `${path}/sample_ids`);
  for (const [i, id] of ids.entries()) expectString(id, `${path}/sample_ids/${i}`);
  const start = expectFiniteOrNull(pane.start ?? null, `${path}/start`);
  const end = expectFiniteOrNull(pane.end ?? null, `${path}/end`);
  if ((start === null) !== (end === null) || (start !== null && !(start < (end as number))))
    throw new StateShapeError(`${path}: a pane from ${start} to ${end}`);
  return {
    start,
    end,
    events: pane.events as number,
    first_time: pane.first_time as number | null,
    last_time: pane.last_time as number | null,
    features: revived,
    offsets: offsets as Record<string, [number, number]>,
    sample_ids: ids as string[],
  };
}

/**
 * Reads a record of the state topic: its key says what it should be, its value must be that, in a
 * version this code writes. Never throws: a record that cannot be used is `bad`, with why. A
 * partial's records are only sorted out here; {@link decodePartial} reads the assembled partial.
 */
export function decodeStateRecord(key: string, value: Buffer | null): StateRecord {
  if (value === null) return { type: "tombstone", key };
  const chunk = parseChunkKey(key);
  if (chunk !== null) return { type: "chunk", chunk, bytes: value };
  const monitor = key.startsWith("merged/") ? safeDecode(key.slice(7)) : null;
  const bad = (why: string): StateRecord => ({ type: "bad", key, monitor, why });
  let body: Record<string, unknown>;
  try {
    body = expectObject(JSON.parse(value.toString("utf8")), "");
  } catch (error) {
    return bad(`not JSON: ${(error as Error).message.split("\n")[0]}`);
  }
  try {
    if (key.startsWith("merged/")) {
      if (body.format !== "driftwatch-merged" || body.version !== 1)
        return bad(`not a version-1 merge mark (format ${showValue(body.format)})`);
      const outcome = body.outcome;
      if (outcome !== "evaluated" && outcome !== "skipped") return bad(`/outcome: ${showValue(outcome)}`);
      return {
        type: "merged",
        mark: {
          format: "driftwatch-merged",
          version: 1,
          monitor: expectString(body.monitor, "/monitor"),
          window: expectCount(body.window, "/window"),
          outcome,
        },
      };
    }
    if (key === BARRIER_KEY) {
      if (body.format !== "driftwatch-barrier") return bad("not a barrier");
      return {
        type: "barrier",
        barrier: { format: "driftwatch-barrier", version: 1, nonce: expectString(body.nonce, "/nonce") },
      };
    }
    return bad("a key driftwatch does not write");
  } catch (error) {
    return bad((error as Error).message.split("\n")[0]);
  }
}

/** A partial assembled from its records, checked against its place; or why it cannot be used. */
export function decodePartial(place: Place, bytes: Buffer): { partial: Partial } | { bad: string } {
  let body: Record<string, unknown>;
  try {
    body = expectObject(JSON.parse(bytes.toString("utf8")), "");
  } catch (error) {
    return { bad: `not JSON: ${(error as Error).message.split("\n")[0]}` };
  }
  try {
    if (body.format !== "driftwatch-partial" || body.version !== 1)
      return {
        bad: `not a version-1 partial (format ${showValue(body.format)}, version ${showValue(body.version)})`,
      };
    const partial: Partial = {
      format: "driftwatch-partial",
      version: 1,
      identity: expectString(body.identity, "/identity"),
      monitor: expectString(body.monitor, "/monitor"),
      window: expectCount(body.window, "/window"),
      next: expectCount(body.next, "/next"),
      topic: expectString(body.topic, "/topic"),
      partition: expectCount(body.partition, "/partition"),
      pane: checkPane(body.pane, "/pane"),
      published_at: expectFinite(body.published_at, "/published_at"),
    };
    if (partial.next <= partial.window)
      return { bad: `/next: ${partial.next}, not after its window ${partial.window}` };
    if (
      partial.monitor !== place.monitor ||
      partial.window !== place.window ||
      partial.partition !== place.partition
    )
      return { bad: "its monitor, window or partition differs from its key" };
    return { partial };
  } catch (error) {
    return { bad: (error as Error).message.split("\n")[0] };
  }
}

function safeDecode(text: string): string | null {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}

/** A partition's progress as committed-offset metadata (at most a few hundred bytes per monitor). */
export function encodeProgress(progress: Progress): string {
  return JSON.stringify(progress);
}

/**
 * A partition's progress from its committed offset's metadata; null for none (a partition no
 * instance of the cluster has published from). Throws a `StateShapeError` for metadata that is
 * not this format: a group another program commits to cannot be trusted.
 */
export function decodeProgress(metadata: string | null | undefined): Progress | null {
  if (metadata === null || metadata === undefined || metadata === "") return null;
  let body: Record<string, unknown>;
  try {
    body = expectObject(JSON.parse(metadata), "metadata");
  } catch (error) {
    throw new StateShapeError(
      `the committed offset's metadata is not driftwatch progress: ${(error as Error).message}`,
    );
  }
  if (body.v !== 1)
    throw new StateShapeError(`the committed offset's metadata has version ${showValue(body.v)}`);
  const windows: Record<string, [number, number]> = {};
  for (const [monitor, pair] of Object.entries(expectObject(body.windows, "metadata/windows"))) {
    const at = `metadata/windows/${pointerSegment(monitor)}`;
    const entry = expectArray(pair, at);
    if (entry.length !== 2) throw new StateShapeError(`${at}: not a [next window, offset] pair`);
    windows[monitor] = [expectCount(entry[0], `${at}/0`), expectCount(entry[1], `${at}/1`)];
  }
  return { v: 1, windows, letters: expectCount(body.letters, "metadata/letters") };
}
