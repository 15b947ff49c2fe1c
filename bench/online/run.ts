/**
 * `npm run bench:online`: the online drift detectors calibrated to an expected run time (ERT),
 * src/stats/online, on replays of real data (see BENCHMARKS.md, section "online: ERT detectors").
 *
 * 1. Calibration: how long `calibrate` takes for alibi-detect's example settings (ert 150,
 *    windows [10, 20, 40], 10000 simulated streams), beside alibi-detect 0.13's constructors on the
 *    same references, measured in this run.
 * 2. ERT on stationary replays (the stated goal): every run shuffles a dataset with its own seed,
 *    takes the first n values as the reference and replays the others until the first false
 *    alarm; the run length counts from the event before the smallest window is full, as
 *    alibi-detect counts it. Goal: the 95 % confidence interval of the mean run length lies within
 *    ±15 % of the ERT. CVM is run with ties counted (alibi-detect's statistic) and broken (the
 *    default when one value holds over a tenth of the reference); FET with alibi-detect's
 *    conditional simulation (the default) and with the marginal one and t_max = 2·ert.
 * 3. Detection delay on injected shifts: one reference per feature, streams from the other values
 *    reshuffled, every value shifted from the first event (CVM: the mean by 0.5 and 1 standard
 *    deviation; FET: the proportion of ones by +0.2, by turning zeros into ones). The delay is the
 *    detection event minus (smallest window − 1), so 1 is "as soon as the smallest window is
 *    full". alibi-detect runs the same streams (bench/online/alibi_delay.py in .venv/alibi, made by
 *    `npm run fixtures:online`); without that venv its column is skipped.
 *
 * The multivariate MMD detector (alibi-detect's `MMDDriftOnline`) has a row in each part: Seattle's
 * four numeric columns standardised, one window (20 by default, 10 beside it), its thresholds
 * calibrated for every reference (they depend on the rows, not only on their number). Its run
 * length and delay count from t = 0, as alibi-detect's ERT for multivariate detectors does (the
 * window starts full of reference rows); its delay shift is temp_max and temp_min together. No
 * alibi-detect column: MMDDriftOnline needs PyTorch or TensorFlow, neither installable here.
 *
 * Environment knobs (all optional):
 *   BENCH_ONLINE_PARTS=calibration,ert,delay   which parts to run
 *   BENCH_ONLINE_DETECTORS=cvm,fet,mmd         which detectors to run
 *   BENCH_ONLINE_RUNS=4000                     runs per stream and detector (part 2)
 *   BENCH_ONLINE_MMD_RUNS=4000                 runs for the default MMD window, half for the other (part 2;
 *                                              every run calibrates, about 15 ms)
 *   BENCH_ONLINE_DELAY_RUNS=200                shifted streams per feature and shift (part 3)
 *   BENCH_ONLINE_DELAY_EVENTS=400              events per shifted stream; no detection by then is censored
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { calibrate } from "../../src/stats/online/calibrate.js";
import {
  type CvmOnlineCalibration,
  type CvmTies,
  cvmOnline,
  cvmReference,
  resolveTies,
} from "../../src/stats/online/cvm.js";
import { type FetOnlineCalibration, type FetSimulation, fetOnline } from "../../src/stats/online/fet.js";
import { calibrateMmd, type MmdOnlineCalibration, mmdOnline } from "../../src/stats/online/mmd.js";
import type { OnlineDetector } from "../../src/stats/online/types.js";
import { seededRandom } from "../../src/stats/prng.js";
import { knob, list, repoRoot, table } from "../stream/harness.js";
import {
  type Feature,
  loadFeatures,
  loadWeatherRows,
  meanSd,
  Replay,
  type RowFeature,
  RowReplay,
} from "./streams.js";

const ERT = 150;
const WINDOW_SIZES = [10, 20, 40];
const N_BOOTSTRAPS = 10000;
const GOAL = 0.15;
const SEED = 1;
const PARTS = ["calibration", "ert", "delay"] as const;
type Part = (typeof PARTS)[number];
const DETECTORS = ["cvm", "fet", "mmd"] as const;
type DetectorName = (typeof DETECTORS)[number];
/** MMD: the default window first, then the other one; the simulated streams per calibration. */
const MMD_WINDOWS = [20, 10] as const;
const MMD_BOOTSTRAPS = 2000;
/** MMD delay shifts: added to temp_max and temp_min (standardised, so in standard deviations). */
const MMD_SHIFTS = [0.25, 0.5] as const;

const workDir = join(repoRoot, ".bench", "online");
const python = join(repoRoot, ".venv", "alibi", "bin", "python");
const peerScript = join(repoRoot, "bench", "online", "alibi_delay.py");
const minWindow = Math.min(...WINDOW_SIZES);

const loadNow = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");
const fixed = (x: number, digits = 1) => x.toFixed(digits);
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** Summary of a sample of run lengths or delays: mean with its normal 95 % interval, median. */
interface Summary {
  readonly n: number;
  readonly mean: number;
  readonly low: number;
  readonly high: number;
  readonly median: number;
}

function summarise(values: readonly number[]): Summary {
  const { mean, sd } = meanSd(values);
  const half = (1.96 * sd) / Math.sqrt(values.length);
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { n: values.length, mean, low: mean - half, high: mean + half, median };
}

type AnyDetector = OnlineDetector<unknown, number>;

/** A configuration of one detector: CVM's `ties`, FET's `simulation` and `t_max`. */
interface Variant {
  readonly label: string;
  readonly ties?: CvmTies | "auto";
  readonly simulation?: FetSimulation;
  readonly tMax?: number;
}

/** Per detector: alibi-detect's configuration, and ours where it differs. */
const VARIANTS: Record<"cvm" | "fet", readonly [Variant, Variant]> = {
  cvm: [
    { label: "ties count (alibi)", ties: "count" },
    { label: "ties break", ties: "break" },
  ],
  fet: [
    { label: "conditional (alibi)", simulation: "conditional" },
    { label: `marginal, t_max ${2 * ERT}`, simulation: "marginal", tMax: 2 * ERT },
  ],
};

/** The variant a feature gets by default (CVM: `ties: "auto"` resolved on a reference), then the other. */
function variantsOf(feature: Feature): [Variant, Variant] {
  const [first, second] = VARIANTS[feature.detector];
  if (feature.detector === "fet") return [first, second];
  const reference = new Replay(feature.values, feature.nReference, 0).reference;
  return resolveTies("auto", cvmReference(reference)) === "count" ? [first, second] : [second, first];
}

/** Builds detectors for one feature, calibrating once (CVM: per reference size) or per count of ones (FET). */
class Detectors {
  private cvm: CvmOnlineCalibration | null = null;
  private readonly fet = new Map<number, FetOnlineCalibration>();
  calibrations = 0;

  constructor(
    private readonly feature: Feature,
    private readonly variant: Variant,
  ) {}

  make(reference: number[]): AnyDetector {
    const common = { ert: ERT, window_sizes: WINDOW_SIZES, n_bootstraps: N_BOOTSTRAPS };
    if (this.feature.detector === "cvm") {
      if (this.cvm === null) {
        this.cvm = calibrate(reference, { type: "cvm", ...common, ties: this.variant.ties }, SEED);
        this.calibrations++;
      }
      return cvmOnline(reference, this.cvm) as AnyDetector;
    }
    const ones = reference.reduce((a, b) => a + b, 0);
    let calibration = this.fet.get(ones);
    if (calibration === undefined) {
      const { simulation, tMax } = this.variant;
      calibration = calibrate(reference, { type: "fet", ...common, simulation, t_max: tMax }, SEED);
      this.fet.set(ones, calibration);
      this.calibrations++;
    }
    return fetOnline(reference, calibration) as AnyDetector;
  }

  /** The variant, with CVM's `auto` resolved. */
  get label(): string {
    return this.cvm === null || this.variant.ties !== "auto"
      ? this.variant.label
      : `ties auto: ${this.cvm.ties}`;
  }
}

interface ErtResult {
  readonly stream: string;
  readonly detector: string;
  readonly variant: string;
  readonly nReference: number;
  readonly runLength: Summary;
  readonly censored: number;
  readonly wraps: number;
  readonly calibrations: number;
  readonly updatesPerSec: number;
  readonly verdict: string;
}

function verdict(s: Summary): string {
  const lo = (1 - GOAL) * ERT;
  const hi = (1 + GOAL) * ERT;
  if (s.low >= lo && s.high <= hi) return "met";
  if (s.mean >= lo && s.mean <= hi) return "mean within, CI not";
  return "not met";
}

function measureErt(feature: Feature, variant: Variant, runs: number): ErtResult {
  const detectors = new Detectors(feature, variant);
  const cap = 100 * ERT;
  const lengths: number[] = [];
  let censored = 0;
  let wraps = 0;
  let updates = 0;
  let updateMs = 0;
  for (let r = 0; r < runs; r++) {
    const replay = new Replay(feature.values, feature.nReference, 10_000 + r);
    const detector = detectors.make(replay.reference);
    const started = performance.now();
    let t = 1;
    while (!detector.update(replay.draw()).drift && t < cap) t++;
    updateMs += performance.now() - started;
    updates += t;
    if (t >= cap) censored++;
    else lengths.push(t - (minWindow - 1));
    wraps += replay.wraps;
  }
  const runLength = summarise(lengths);
  return {
    stream: feature.name,
    detector: feature.detector,
    variant: detectors.label,
    nReference: feature.nReference,
    runLength,
    censored,
    wraps,
    calibrations: detectors.calibrations,
    updatesPerSec: updates / (updateMs / 1000),
    verdict: verdict(runLength),
  };
}

/** The MMD detector's calibration options for one window size. */
const mmdOptions = (windowSize: number) => ({
  ert: ERT,
  window_size: windowSize,
  n_bootstraps: MMD_BOOTSTRAPS,
});

/**
 * Part 2 for the MMD detector: as `measureErt`, but every run calibrates on its own reference (the
 * thresholds depend on the rows), and the run length counts from t = 0.
 */
function measureMmdErt(feature: RowFeature, windowSize: number, runs: number): ErtResult {
  const cap = 100 * ERT;
  const lengths: number[] = [];
  let censored = 0;
  let wraps = 0;
  let updates = 0;
  let updateMs = 0;
  for (let r = 0; r < runs; r++) {
    const replay = new RowReplay(feature, 10_000 + r);
    const detector = mmdOnline(
      replay.reference,
      calibrateMmd(replay.reference, mmdOptions(windowSize), SEED),
    );
    const started = performance.now();
    let t = 1;
    while (!detector.update(replay.draw()).drift && t < cap) t++;
    updateMs += performance.now() - started;
    updates += t;
    if (t >= cap) censored++;
    else lengths.push(t);
    wraps += replay.wraps;
  }
  const runLength = summarise(lengths);
  return {
    stream: feature.name,
    detector: "mmd",
    variant: `window ${windowSize}${windowSize === MMD_WINDOWS[0] ? ", default" : ""}`,
    nReference: feature.nReference,
    runLength,
    censored,
    wraps,
    calibrations: runs,
    updatesPerSec: updates / (updateMs / 1000),
    verdict: verdict(runLength),
  };
}

/** One shift of part 3 for the MMD detector: its reference rows and shifted streams of rows. */
interface MmdDelaySetting {
  readonly name: string;
  readonly shift: string;
  readonly reference: RowReplay["reference"];
  readonly streams: Float64Array[];
}

/**
 * Part 3 for the MMD detector: one reference (the first rows of the seed-0 shuffle), streams
 * reshuffled from the other rows with temp_max and temp_min shifted from the first event.
 */
function mmdDelaySettings(feature: RowFeature, runs: number, events: number): MmdDelaySetting[] {
  const dim = feature.columns.length;
  const base = new RowReplay(feature, 0);
  const nPool = feature.rows.length / dim - feature.nReference;
  const pool = new Float64Array(nPool * dim);
  for (let i = 0; i < nPool; i++) pool.set(base.draw(), i * dim);
  const shifted = ["temp_max", "temp_min"].map((c) => feature.columns.indexOf(c));
  return MMD_SHIFTS.map((k) => ({
    name: `${feature.name} temps +${k} sd`,
    shift: `temp_max, temp_min +${k} sd`,
    reference: base.reference,
    streams: Array.from({ length: runs }, (_, r) => {
      const replay = new RowReplay({ ...feature, rows: pool, nReference: 0 }, 20_000 + r);
      const stream = new Float64Array(events * dim);
      for (let i = 0; i < events; i++) {
        stream.set(replay.draw(), i * dim);
        for (const c of shifted) stream[i * dim + c] += k;
      }
      return stream;
    }),
  }));
}

/** Detection events (from t = 0) of the MMD detector on a setting's streams; null where nothing was detected. */
function mmdDelays(setting: MmdDelaySetting, windowSize: number): (number | null)[] {
  const calibration: MmdOnlineCalibration = calibrateMmd(setting.reference, mmdOptions(windowSize), SEED);
  const { dim } = setting.reference;
  return setting.streams.map((stream) => {
    const detector = mmdOnline(setting.reference, calibration);
    const events = stream.length / dim;
    for (let i = 0; i < events; i++)
      if (detector.update(stream.subarray(i * dim, (i + 1) * dim)).drift) return i + 1;
    return null;
  });
}

/** One feature and shift of part 3, with the streams both sides run. */
interface DelaySetting {
  readonly name: string;
  readonly feature: Feature;
  readonly shift: string;
  readonly reference: number[];
  readonly streams: number[][];
}

function delaySettings(features: readonly Feature[], runs: number, events: number): DelaySetting[] {
  const settings: DelaySetting[] = [];
  for (const feature of features) {
    const base = new Replay(feature.values, feature.nReference, 0);
    const pool = Float64Array.from({ length: feature.values.length - feature.nReference }, () => base.draw());
    const draw = (r: number) => {
      const replay = new Replay(pool, 0, 20_000 + r);
      return Array.from({ length: events }, () => replay.draw());
    };
    if (feature.detector === "cvm") {
      const { sd } = meanSd(feature.values);
      for (const k of [0.25, 0.5]) {
        const streams = Array.from({ length: runs }, (_, r) => draw(r).map((x) => x + k * sd));
        settings.push({
          name: `${feature.name} +${k} sd`,
          feature,
          shift: `mean +${k} sd`,
          reference: base.reference,
          streams,
        });
      }
      if (feature.name === "seattle.precipitation") {
        // Adding a constant moves its mass at zero, which any window sees at once; scaling keeps it.
        const streams = Array.from({ length: runs }, (_, r) => draw(r).map((x) => x * 1.5));
        settings.push({
          name: `${feature.name} x1.5`,
          feature,
          shift: "values × 1.5",
          reference: base.reference,
          streams,
        });
      }
    } else {
      const { mean: p } = meanSd(feature.values);
      const flip = 0.2 / (1 - p);
      const streams = Array.from({ length: runs }, (_, r) => {
        const random = seededRandom(30_000 + r);
        return draw(r).map((x) => (x === 0 && random() < flip ? 1 : x));
      });
      settings.push({
        name: `${feature.name} +0.2`,
        feature,
        shift: "proportion +0.2",
        reference: base.reference,
        streams,
      });
    }
  }
  return settings;
}

/** Detection delays of our detector on a setting's streams; null where nothing was detected. */
function ourDelays(setting: DelaySetting, variant: Variant): (number | null)[] {
  const detectors = new Detectors(setting.feature, variant);
  return setting.streams.map((stream) => {
    const detector = detectors.make(setting.reference);
    for (let i = 0; i < stream.length; i++)
      if (detector.update(stream[i]).drift) return i + 1 - (minWindow - 1);
    return null;
  });
}

function describeDelays(delays: readonly (number | null)[] | undefined): string[] {
  if (delays === undefined) return ["skipped", "", ""];
  const found = delays.filter((d): d is number => d !== null);
  if (found.length === 0) return ["none", "", `${delays.length}`];
  const s = summarise(found);
  return [
    `${fixed(s.mean)} [${fixed(s.low)}, ${fixed(s.high)}]`,
    fixed(s.median),
    `${delays.length - found.length}`,
  ];
}

interface Peer {
  readonly versions: Record<string, string>;
  readonly calibration_seconds: Record<string, number>;
  readonly delays: Record<string, (number | null)[]>;
}

/** Runs alibi-detect on the same references and streams, or says why not. */
function runPeer(
  settings: readonly DelaySetting[],
  calibrationReferences: Record<string, number[]>,
): Peer | string {
  if (!existsSync(python)) return `no ${python} (make it with \`npm run fixtures:online\`)`;
  const input = join(workDir, "peer-input.json");
  const output = join(workDir, "peer-output.json");
  writeFileSync(
    input,
    JSON.stringify({
      ert: ERT,
      window_sizes: WINDOW_SIZES,
      n_bootstraps: N_BOOTSTRAPS,
      calibration: calibrationReferences,
      settings: settings.map((s) => ({
        name: s.name,
        detector: s.feature.detector,
        reference: s.reference,
        streams: s.streams,
      })),
    }),
  );
  const r = spawnSync(python, [peerScript, input, output], { stdio: ["ignore", "inherit", "inherit"] });
  if (r.status !== 0) return `${peerScript} exited with ${r.status}`;
  return JSON.parse(readFileSync(output, "utf8")) as Peer;
}

async function main(): Promise<number> {
  const parts = list<Part>("BENCH_ONLINE_PARTS", PARTS, PARTS);
  const detectors = list<DetectorName>("BENCH_ONLINE_DETECTORS", DETECTORS, DETECTORS);
  const runs = knob("BENCH_ONLINE_RUNS", 4000);
  const mmdRuns = knob("BENCH_ONLINE_MMD_RUNS", 4000);
  const delayRuns = knob("BENCH_ONLINE_DELAY_RUNS", 200);
  const delayEvents = knob("BENCH_ONLINE_DELAY_EVENTS", 400);
  mkdirSync(workDir, { recursive: true });
  let commit = "unknown";
  try {
    commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: repoRoot }).toString().trim();
  } catch {}
  console.log(
    `== node ${process.version}, ${cpus().length} cores, commit ${commit}, load average ${loadNow()}`,
  );
  console.log(
    `   ert ${ERT}, window_sizes [${WINDOW_SIZES.join(", ")}], n_bootstraps ${N_BOOTSTRAPS} (alibi-detect's example settings), seed ${SEED}`,
  );
  const allFeatures = loadFeatures();
  const features = allFeatures.filter((f) => detectors.includes(f.detector));
  const byName = (name: string) => allFeatures.find((f) => f.name === name) as Feature;
  const weather = detectors.includes("mmd") ? loadWeatherRows() : null;
  const univariate = detectors.includes("cvm") || detectors.includes("fet");
  const results: Record<string, unknown> = {
    node: process.version,
    commit,
    ert: ERT,
    window_sizes: WINDOW_SIZES,
  };

  // The references whose calibration is timed on both sides.
  const timedCvm = new Replay(byName("seattle.temp_max").values, 300, 0).reference;
  const timedFet = new Replay(byName("seattle.rain").values, 300, 0).reference;

  let settings: DelaySetting[] = [];
  let peer: Peer | string = univariate ? "part 3 not run" : "no cvm or fet selected";
  if (univariate && (parts.includes("delay") || parts.includes("calibration"))) {
    settings = parts.includes("delay") ? delaySettings(features, delayRuns, delayEvents) : [];
    console.log(`\n== alibi-detect on the same references and streams (load average ${loadNow()})`);
    peer = runPeer(settings, { cvm: timedCvm, fet: timedFet });
    if (typeof peer === "string") console.log(`   peer column skipped: ${peer}`);
    else
      console.log(
        `   ${Object.entries(peer.versions)
          .map(([k, v]) => `${k} ${v}`)
          .join(", ")}`,
      );
  }

  if (parts.includes("calibration")) {
    console.log(`\n== 1. calibration time, median of 3 (load average ${loadNow()})`);
    const time = (f: () => unknown) => {
      const ms: number[] = [];
      for (let i = 0; i < 3; i++) {
        const started = performance.now();
        f();
        ms.push(performance.now() - started);
      }
      return ms.sort((a, b) => a - b)[1];
    };
    const common = { ert: ERT, window_sizes: WINDOW_SIZES, n_bootstraps: N_BOOTSTRAPS };
    const cvmMs = time(() => calibrate(timedCvm, { type: "cvm", ...common }, SEED));
    const cvm1000Ms = time(() => calibrate(normalsLike(1000), { type: "cvm", ...common }, SEED));
    const fetMs = time(() => calibrate(timedFet, { type: "fet", ...common }, SEED));
    const alibi = typeof peer === "string" ? null : peer.calibration_seconds;
    const peerCell = (key: string, ours: number) =>
      alibi?.[key] === undefined
        ? ["skipped", ""]
        : [`${alibi[key].toFixed(2)} s`, `${fixed((alibi[key] * 1000) / ours, 1)}×`];
    const timedMmd = weather === null ? null : new RowReplay(weather, 0).reference;
    const mmdMs =
      timedMmd === null ? Number.NaN : time(() => calibrateMmd(timedMmd, mmdOptions(MMD_WINDOWS[0]), SEED));
    console.log(
      table(
        ["detector", "reference", "driftwatch", "alibi-detect 0.13", "alibi / ours"],
        [
          ["cvm", "seattle.temp_max, n = 300", seconds(cvmMs), ...peerCell("cvm", cvmMs)],
          ["cvm", "n = 1000 (cost does not grow with n)", seconds(cvm1000Ms), "", ""],
          ["fet", "seattle.rain, n = 300", seconds(fetMs), ...peerCell("fet", fetMs)],
          ...(timedMmd === null
            ? []
            : [
                [
                  "mmd",
                  `seattle.weather4, n = 300 × 4, window ${MMD_WINDOWS[0]}, ${MMD_BOOTSTRAPS} streams`,
                  seconds(mmdMs),
                  "skipped (needs torch)",
                  "",
                ],
              ]),
        ],
      ),
    );
    results.calibration = {
      cvm_ms: cvmMs,
      cvm_n1000_ms: cvm1000Ms,
      fet_ms: fetMs,
      mmd_ms: timedMmd === null ? null : mmdMs,
      alibi_seconds: alibi,
    };
  }

  if (parts.includes("ert")) {
    console.log(
      `\n== 2. run length to a false alarm on stationary replays, ${runs} runs per row, each a new seeded shuffle ` +
        `(reference: its first n values; stream: the others); goal: 95 % CI within ±${GOAL * 100} % of ert ${ERT} ` +
        `(load average ${loadNow()})`,
    );
    const rows: ErtResult[] = [];
    for (const feature of features) {
      const [main] = variantsOf(feature);
      for (const variant of VARIANTS[feature.detector]) {
        const row = measureErt(feature, variant, runs);
        rows.push({ ...row, variant: variant === main ? `${row.variant}, default` : row.variant });
      }
    }
    if (weather !== null)
      for (const w of MMD_WINDOWS)
        rows.push(measureMmdErt(weather, w, w === MMD_WINDOWS[0] ? mmdRuns : Math.ceil(mmdRuns / 2)));
    console.log(
      table(
        [
          "stream",
          "detector",
          "variant",
          "n ref",
          "mean run length [95 % CI]",
          "median",
          "/ ert",
          "goal",
          "updates/s",
          "calibrations",
          "wraps",
          "censored",
        ],
        rows.map((r) => [
          r.stream,
          r.detector,
          r.variant,
          `${r.nReference}`,
          `${fixed(r.runLength.mean)} [${fixed(r.runLength.low)}, ${fixed(r.runLength.high)}]`,
          fixed(r.runLength.median, 0),
          fixed(r.runLength.mean / ERT, 2),
          r.verdict,
          `${fixed(r.updatesPerSec / 1000, 0)}k`,
          `${r.calibrations}`,
          `${r.wraps}`,
          `${r.censored}`,
        ]),
      ),
    );
    console.log(
      "   cvm ties count: alibi-detect's statistic (and thresholds, within Monte-Carlo error); the default (ties: auto) " +
        "breaks ties when one value holds over 10 % of the reference. fet conditional: alibi-detect's simulation, the " +
        "default; marginal: the reference count redrawn too, with thresholds simulated for longer.\n   A geometric run length has median ≈ 0.69·ert. " +
        "calibrations: fet calibrates per count of ones. wraps: streams that used every value and were reshuffled.",
    );
    if (weather !== null)
      console.log(
        `   mmd: ${mmdRuns} runs for window ${MMD_WINDOWS[0]}, ${Math.ceil(mmdRuns / 2)} for window ${MMD_WINDOWS[1]}, each calibrated on its own reference (${MMD_BOOTSTRAPS} simulated streams); ` +
          "run length counted from t = 0 (alibi-detect's multivariate ERT).\n" +
          `   ${weather.name}: ${weather.description}, ${weather.rows.length / weather.columns.length} rows`,
      );
    for (const f of features) console.log(`   ${f.name}: ${f.description}, ${f.values.length} values`);
    results.ert = rows;
  }

  if (parts.includes("delay")) {
    console.log(
      `\n== 3. detection delay on injected shifts, ${delayRuns} streams of ${delayEvents} events per row, ` +
        `delay = detection event − ${minWindow - 1} (load average ${loadNow()})`,
    );
    const rows: string[][] = [];
    const raw: Record<string, unknown> = {};
    for (const s of settings) {
      const [main, other] = variantsOf(s.feature);
      const ours = ourDelays(s, main);
      const alternative = ourDelays(s, other);
      const alibi = typeof peer === "string" ? undefined : peer.delays[s.name];
      raw[s.name] = { ours, alternative, alibi };
      rows.push([
        s.feature.name,
        s.shift,
        main.label,
        ...describeDelays(ours),
        other.label,
        ...describeDelays(alternative),
        ...describeDelays(alibi),
      ]);
    }
    if (weather !== null) {
      for (const s of mmdDelaySettings(weather, delayRuns, delayEvents)) {
        const [main, other] = MMD_WINDOWS;
        const ours = mmdDelays(s, main);
        const alternative = mmdDelays(s, other);
        raw[s.name] = { ours, alternative, alibi: null };
        rows.push([
          weather.name,
          s.shift,
          `mmd window ${main}`,
          ...describeDelays(ours),
          `window ${other}`,
          ...describeDelays(alternative),
          ...describeDelays(undefined),
        ]);
      }
    }
    console.log(
      table(
        [
          "stream",
          "shift",
          "ours, default",
          "mean [95 % CI]",
          "median",
          "missed",
          "ours, other variant",
          "mean [95 % CI]",
          "median",
          "missed",
          "alibi-detect",
          "median",
          "missed",
        ],
        rows,
      ),
    );
    console.log(
      "   ours, default: cvm ties auto, fet conditional; the other variant beside it. " +
        `missed: no detection within ${delayEvents} events.\n   One reference per feature, the same streams for every column.` +
        (weather === null
          ? ""
          : "\n   mmd: delay = detection event (its window starts full of reference rows); no alibi-detect column (needs torch)."),
    );
    if (typeof peer === "string") console.log(`   alibi-detect column skipped: ${peer}`);
    results.delay = raw;
  }

  console.log(`\n== load average at the end ${loadNow()}; raw figures in ${join(workDir, "results.json")}`);
  writeFileSync(join(workDir, "results.json"), `${JSON.stringify(results)}\n`);
  return 0;
}

/** n distinct values (their ranks are all that CVM's calibration uses). */
function normalsLike(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 0.5);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
