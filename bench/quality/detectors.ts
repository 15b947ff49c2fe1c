/**
 * Part 1 of `npm run bench:quality`: updates per second of every registered concept-drift
 * detector against River's same detector on the same stream, and a check that both report the
 * same drift (and warning) indices.
 *
 * Both sides time the same loop over the same doubles: a new detector per pass, `update(x)` then
 * a read of the drift (and warning) flag for every value, indices collected. Here that loop is
 * `replay` (src/detectors/replay.ts), with the detector and the Float64Array made outside the
 * timer; on River's side it is `for i, x in enumerate(values): d.update(x); if d.drift_detected: ...`
 * in a long-lived child (bench/quality/detectors_peer.py). Each side runs whole passes until
 * `minPassSeconds` have gone by, and the two alternate detector by detector, with the side that
 * goes first swapped every round, so a burst of load on this shared machine hits both alike.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { createInterface, type Interface } from "node:readline";
import { fileURLToPath } from "node:url";
import { type AnyDetectorKind, type DetectorName, detectors } from "../../src/detectors/registry.js";
import { replay } from "../../src/detectors/replay.js";
import { collectGarbage, median } from "../stream/harness.js";
import { readStream, type StreamFile, type StreamName } from "./streams.js";

/** Which stream each detector reads: 0/1 errors for the error-rate detectors, real values for the rest. */
export const STREAM_OF: Record<DetectorName, StreamName> = {
  ddm: "binary",
  eddm: "binary",
  hddm_a: "binary",
  hddm_w: "binary",
  adwin: "real",
  page_hinkley: "real",
  kswin: "kswin",
};

/** Options of part 1. */
export interface DetectorBenchOptions {
  readonly python: string;
  readonly streams: Record<StreamName, StreamFile>;
  readonly rounds: number;
  /** Each side runs passes until this much time has gone by, per detector and round. */
  readonly minPassSeconds: number;
}

/** The passes of one side for one detector. */
export interface SideResult {
  /** Seconds of each pass, per round. */
  readonly rounds: number[][];
  /** Updates per second of the fastest pass, and of the median pass over all rounds. */
  readonly best: number;
  readonly median: number;
  readonly drifts: number[];
  readonly warnings: number[];
}

/** One detector, both sides. */
export interface DetectorResult {
  readonly detector: DetectorName;
  readonly params: Record<string, unknown>;
  readonly stream: StreamName;
  readonly values: number;
  readonly driftwatch: SideResult;
  readonly river: SideResult;
  /** driftwatch / River updates per second: best to best, median to median, and median of per-round ratios. */
  readonly ratio: { readonly best: number; readonly median: number; readonly paired: number };
  readonly sameDrifts: boolean;
  readonly sameWarnings: boolean;
}

interface PeerReply {
  readonly seconds: number[];
  readonly drifts: number[];
  readonly warnings: number[];
}

/** River's side: one long-lived Python process answering one JSON line per request. */
class RiverPeer {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: Interface;
  private readonly pending: ((line: string) => void)[] = [];
  private stderr = "";

  constructor(python: string, script: string) {
    this.child = spawn(python, [script], { stdio: ["pipe", "pipe", "pipe"] });
    this.child.stderr.on("data", (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    this.lines = createInterface({ input: this.child.stdout });
    this.lines.on("line", (line) => this.pending.shift()?.(line));
    this.child.on("exit", (code) => {
      if (code !== 0 && code !== null) {
        const message = `river peer exited with ${code}:\n${this.stderr}`;
        for (const waiter of this.pending.splice(0)) waiter(JSON.stringify({ error: message }));
      }
    });
  }

  /** The next line the peer prints, parsed. */
  private next<T>(): Promise<T> {
    return new Promise((resolve, reject) => {
      this.pending.push((line) => {
        const value = JSON.parse(line) as T & { error?: string };
        if (value.error !== undefined) reject(new Error(value.error));
        else resolve(value);
      });
    });
  }

  /** Waits for the peer's greeting: the versions it runs. */
  versions(): Promise<{ versions: Record<string, string> }> {
    return this.next();
  }

  run(detector: DetectorName, params: unknown, stream: string, minSeconds: number): Promise<PeerReply> {
    const reply = this.next<PeerReply>();
    this.child.stdin.write(`${JSON.stringify({ detector, params, stream, min_seconds: minSeconds })}\n`);
    return reply;
  }

  close(): void {
    this.child.stdin.end();
  }
}

/** Our side: whole passes of `replay` with a new detector each, until `minSeconds` have gone by. */
function runOurs(
  kind: AnyDetectorKind,
  params: unknown,
  values: Float64Array,
  minSeconds: number,
): PeerReply {
  const seconds: number[] = [];
  let first: { drifts: number[]; warnings: number[] } | null = null;
  let total = 0;
  while (seconds.length === 0 || total < minSeconds) {
    const detector = kind.create(params);
    collectGarbage();
    const start = performance.now();
    const detections = replay(detector, values);
    const elapsed = (performance.now() - start) / 1000;
    seconds.push(elapsed);
    total += elapsed;
    first ??= detections;
  }
  const { drifts, warnings } = first as { drifts: number[]; warnings: number[] };
  return { seconds, drifts, warnings };
}

function summariseSide(rounds: number[][], values: number, first: PeerReply): SideResult {
  const all = rounds.flat();
  return {
    rounds,
    best: values / Math.min(...all),
    median: values / median(all),
    drifts: first.drifts,
    warnings: first.warnings,
  };
}

const sameList = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i]);

/** Runs part 1: every registered detector on both sides, interleaved. */
export async function benchDetectors(
  options: DetectorBenchOptions,
): Promise<{ versions: Record<string, string>; results: DetectorResult[] }> {
  const names = Object.keys(detectors) as DetectorName[];
  for (const name of names)
    if (STREAM_OF[name] === undefined)
      throw new Error(`detector ${name} has no stream in bench/quality/detectors.ts STREAM_OF; add one`);
  const values = {
    binary: readStream(options.streams.binary),
    real: readStream(options.streams.real),
    kswin: readStream(options.streams.kswin),
  } satisfies Record<StreamName, Float64Array>;

  const peer = new RiverPeer(options.python, fileURLToPath(new URL("./detectors_peer.py", import.meta.url)));
  try {
    const { versions } = await peer.versions();
    // One untimed pass of every kind first: `replay`'s call site sees all of them before any
    // timing, as the daemon's would, so no detector is timed while the site is still monomorphic.
    for (const name of names) {
      const kind = detectors[name] as AnyDetectorKind;
      replay(kind.create(kind.example), values[STREAM_OF[name]]);
    }
    const ours = new Map<DetectorName, { rounds: number[][]; first: PeerReply | null }>();
    const theirs = new Map<DetectorName, { rounds: number[][]; first: PeerReply | null }>();
    for (const name of names) {
      ours.set(name, { rounds: [], first: null });
      theirs.set(name, { rounds: [], first: null });
    }
    for (let round = 0; round < options.rounds; round++) {
      for (const name of names) {
        const kind = detectors[name] as AnyDetectorKind;
        const stream = STREAM_OF[name];
        const runMine = () => {
          const reply = runOurs(kind, kind.example, values[stream], options.minPassSeconds);
          const side = ours.get(name) as { rounds: number[][]; first: PeerReply | null };
          side.rounds.push(reply.seconds);
          side.first ??= reply;
        };
        const runTheirs = async () => {
          const reply = await peer.run(
            name,
            kind.example,
            options.streams[stream].path,
            options.minPassSeconds,
          );
          const side = theirs.get(name) as { rounds: number[][]; first: PeerReply | null };
          side.rounds.push(reply.seconds);
          side.first ??= reply;
        };
        if (round % 2 === 0) {
          runMine();
          await runTheirs();
        } else {
          await runTheirs();
          runMine();
        }
      }
    }
    const results = names.map((name): DetectorResult => {
      const stream = STREAM_OF[name];
      const n = values[stream].length;
      const mine = ours.get(name) as { rounds: number[][]; first: PeerReply };
      const river = theirs.get(name) as { rounds: number[][]; first: PeerReply };
      const a = summariseSide(mine.rounds, n, mine.first);
      const b = summariseSide(river.rounds, n, river.first);
      const paired = median(a.rounds.map((passes, i) => Math.min(...river.rounds[i]) / Math.min(...passes)));
      return {
        detector: name,
        params: (detectors[name] as AnyDetectorKind).example as Record<string, unknown>,
        stream,
        values: n,
        driftwatch: a,
        river: b,
        ratio: { best: a.best / b.best, median: a.median / b.median, paired },
        sameDrifts: sameList(a.drifts, b.drifts),
        sameWarnings: sameList(a.warnings, b.warnings),
      };
    });
    return { versions, results };
  } finally {
    peer.close();
  }
}
