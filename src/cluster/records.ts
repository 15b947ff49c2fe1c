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
  /** The cluster's window index: every partition's `window`-th window makes it up. */
  readonly window: number;
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

/** A record of the state topic as read back: what it is, or why it cannot be used. */
export type StateRecord =
  | { readonly type: "partial"; readonly partial: Partial }
  | { readonly type: "merged"; readonly mark: MergeMark }
  | { readonly type: "barrier"; readonly barrier: Barrier }
  | { readonly type: "tombstone"; readonly key: string }
  | { readonly type: "bad"; readonly key: string; readonly monitor: string | null; readonly why: string };

/** The key of a partial: compaction keeps the last one written for a monitor, window and partition. */
export function partialKey(monitor: string, window: number, partition: number): string {
  return `partial/${encodeURIComponent(monitor)}/${window}/${partition}`;
}

/** The key of a monitor's merge mark. */
export function mergedKey(monitor: string): string {
  return `merged/${encodeURIComponent(monitor)}`;
}

/** The key of the merger's barrier (one: compaction keeps the last). */
export const BARRIER_KEY = "barrier";

/** A partial's monitor, window and partition from its key, or null when the key is not one. */
export function parsePartialKey(key: string): { monitor: string; window: number; partition: number } | null {
  const match = /^partial\/([^/]+)\/(\d+)\/(\d+)$/.exec(key);
  if (match === null) return null;
  try {
    return { monitor: decodeURIComponent(match[1]), window: Number(match[2]), partition: Number(match[3]) };
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
  return {
    start: null,
    end: null,
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
 * version this code writes. Never throws: a record that cannot be used is `bad`, with why.
 */
export function decodeStateRecord(key: string, value: Buffer | null): StateRecord {
  if (value === null) return { type: "tombstone", key };
  const parsedKey = parsePartialKey(key);
  const monitor = parsedKey?.monitor ?? (key.startsWith("merged/") ? safeDecode(key.slice(7)) : null);
  const bad = (why: string): StateRecord => ({ type: "bad", key, monitor, why });
  let body: Record<string, unknown>;
  try {
    body = expectObject(JSON.parse(value.toString("utf8")), "");
  } catch (error) {
    return bad(`not JSON: ${(error as Error).message.split("\n")[0]}`);
  }
  try {
    if (parsedKey !== null) {
      if (body.format !== "driftwatch-partial" || body.version !== 1)
        return bad(
          `not a version-1 partial (format ${showValue(body.format)}, version ${showValue(body.version)})`,
        );
      const partial: Partial = {
        format: "driftwatch-partial",
        version: 1,
        identity: expectString(body.identity, "/identity"),
        monitor: expectString(body.monitor, "/monitor"),
        window: expectCount(body.window, "/window"),
        topic: expectString(body.topic, "/topic"),
        partition: expectCount(body.partition, "/partition"),
        pane: checkPane(body.pane, "/pane"),
        published_at: expectFinite(body.published_at, "/published_at"),
      };
      if (
        partial.monitor !== parsedKey.monitor ||
        partial.window !== parsedKey.window ||
        partial.partition !== parsedKey.partition
      )
        return bad("its monitor, window or partition differs from its key");
      return { type: "partial", partial };
    }
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
