/**
 * `npm run bench:alerts`: false alarms and detection delay of drift detectors on the same streams,
 * so that defaults are chosen from evidence.
 *
 * Streams (bench/alerts/streams.ts, written to .bench/alerts/streams/ with their ground truth):
 * Seattle's weather (reference R = 500, tumbling windows of W = 100) and 20 000 flights (R = 2000,
 * W = 500), each shuffled with the seed of its repetition, stationary and with five injected drifts
 * (abrupt, gradual, incremental, covariate, prior) from a known event in mid-window.
 *
 * Detectors, each on the same windows:
 * - driftwatch's `DriftMonitor` (the daemon's and `driftwatch report`'s engine) at its defaults
 *   (ks / chi2, alpha 0.05, no correction, drift_share 0.5), with `correction: bonferroni`, with
 *   `min_effect: 0.1`, and with data-driven `thresholds` (quantile 0.99; quantile 0.95 with
 *   bonferroni, so 1 − 0.05/m per feature; mean + 3 sd of 500 draws), each read as the monitor's
 *   dataset verdict (`dataset_drift`), as "any feature" (`feature_drift`: an alarm when one feature
 *   drifts) or as "any feature 2 windows in a row" (`consecutive_windows: 2`); results.json has
 *   every feature's verdicts too.
 * - alibi-detect 0.13 KSDrift, ChiSquareDrift and TabularDrift at their defaults, and NannyML
 *   0.13's univariate drift (KS, chi2, default thresholds), River 0.26's ADWIN, KSWIN and
 *   PageHinkley (defaults, KSWIN seed 0, one per numeric feature, fed every event) and Evidently
 *   0.7's DataDriftPreset (defaults; its dataset verdict, and any column's), run by
 *   bench/alerts/peers.py in .venv/alibi, .venv/nannyml and .venv/peers (River and Evidently); a
 *   missing .venv/alibi or .venv/nannyml skips its rows and says so, a missing .venv/peers is
 *   created from bench/alerts/requirements-peers.txt.
 *
 * Scores (bench/alerts/score.ts): false alarms per 1000 stationary windows (the windows of the
 * stationary streams and those ending before each drift) with a Wilson 95 % interval; per drift
 * type the share of streams with an alarm within D windows of the first drifted one (D = 5 for
 * weather, 10 for flights), and the median and 90th percentile of the delay in events from the
 * drift start to the end of the alarming window; the cost in µs per event (driftwatch's measured
 * here, in process, over every event of a stream; the peers' by their own clocks, constructors
 * included). Results go to .bench/alerts/results.json.
 *
 * Environment knobs (all optional):
 *   BENCH_ALERTS_WEATHER_REPS=100   shuffles of Seattle's weather (6 streams each)
 *   BENCH_ALERTS_FLIGHTS_REPS=20    shuffles of the flights (6 streams each)
 *   BENCH_ALERTS_THRESHOLD_SHUFFLES=30   shuffles the `thresholds` configurations run on (each
 *                                        reference draws its thresholds: a test per draw and feature)
 *   BENCH_ALERTS_PEERS=alibi,nannyml,river,evidently
 *   BENCH_ALERTS_RIVER=adwin,kswin,pagehinkley   River's detectors
 *   BENCH_ALERTS_KSWIN_SHUFFLES=10  shuffles KSWIN runs on (it runs scipy's ks_2samp on every
 *                                   event, about 0.2 ms each)
 *   BENCH_ALERTS_EVIDENTLY_WIDGETS=1   let Evidently build its HTML report's widgets (off: same
 *                                      verdicts, about 6 times faster)
 * At these defaults a run writes about 180 MB of streams; BENCHMARKS.md gives its duration.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import type { DriftMonitorConfig } from "../../src/drift/config.js";
import { DriftMonitor } from "../../src/drift/monitor.js";
import { type DetectorScore, type StreamVerdicts, scoreDetector, tumblingWindows } from "./score.js";
import {
  type Dataset,
  DRIFT_TYPES,
  flights,
  repoRoot,
  type Stream,
  weather,
  writeStreams,
} from "./streams.js";

const workDir = join(repoRoot, ".bench", "alerts");
const streamsDir = join(workDir, "streams");

const loadNow = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");

function knob(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`${name} must be a positive integer (got ${text})`);
  return value;
}

/** A detector's alarms on each stream (stream name → one alarm per window), and its cost. */
interface Alarms {
  readonly streams: Record<string, boolean[]>;
  readonly seconds: number;
  readonly events: number;
}

/** A peer detector's alarms, with its time and events per stream. */
interface PeerAlarms {
  readonly streams: Record<string, boolean[]>;
  readonly seconds: Record<string, number>;
  readonly events: Record<string, number>;
}

/**
 * The driftwatch configurations: config keys over the defaults, each run once, and the verdicts
 * read from that run: `dataset` (the monitor's dataset verdict, `dataset_drift`), `any` (an alarm
 * when any feature drifts, `feature_drift`), and `any` with `consecutive` (a feature drifted in
 * that many windows in a row, the rules' `consecutive_windows`).
 */
const DRIFTWATCH: readonly {
  readonly name: string;
  readonly keys: Partial<DriftMonitorConfig>;
  readonly verdicts: readonly {
    readonly name: string;
    readonly any: boolean;
    readonly consecutive: number;
  }[];
}[] = [
  {
    name: "driftwatch defaults",
    keys: {},
    verdicts: [
      { name: "driftwatch defaults (dataset verdict)", any: false, consecutive: 1 },
      { name: "driftwatch defaults, any feature", any: true, consecutive: 1 },
      { name: "driftwatch defaults, any feature 2 windows in a row", any: true, consecutive: 2 },
    ],
  },
  {
    name: "driftwatch bonferroni",
    keys: { correction: "bonferroni" },
    verdicts: [{ name: "driftwatch bonferroni, any feature", any: true, consecutive: 1 }],
  },
  {
    name: "driftwatch min_effect 0.1",
    keys: { min_effect: 0.1 },
    verdicts: [{ name: "driftwatch min_effect 0.1, any feature", any: true, consecutive: 1 }],
  },
  {
    name: "driftwatch thresholds q 0.99",
    keys: { thresholds: { quantile: 0.99 } },
    verdicts: [
      { name: "driftwatch thresholds q 0.99, any feature", any: true, consecutive: 1 },
      { name: "driftwatch thresholds q 0.99, any feature 2 windows in a row", any: true, consecutive: 2 },
    ],
  },
  {
    name: "driftwatch thresholds q 0.95 bonferroni",
    keys: { thresholds: { quantile: 0.95 }, correction: "bonferroni" },
    verdicts: [{ name: "driftwatch thresholds q 0.95 bonferroni, any feature", any: true, consecutive: 1 }],
  },
  {
    name: "driftwatch thresholds mean + 3 sd",
    keys: { thresholds: { std: 3, samples: 500 } },
    verdicts: [
      { name: "driftwatch thresholds mean + 3 sd, any feature", any: true, consecutive: 1 },
      {
        name: "driftwatch thresholds mean + 3 sd, any feature 2 windows in a row",
        any: true,
        consecutive: 2,
      },
    ],
  },
];

/**
 * A run's alarms under one verdict: the dataset's, or any feature's, where a feature must have
 * drifted in `consecutive` windows in a row (counted per feature, as the rules count them).
 */
function verdictAlarms(
  fired: Alarms,
  features: Record<string, Record<string, boolean[]>>,
  verdict: { readonly any: boolean; readonly consecutive: number },
): Alarms {
  if (!verdict.any) return fired;
  const streams: Record<string, boolean[]> = {};
  for (const stream of Object.keys(fired.streams)) {
    const runs = Object.values(features).map(() => 0);
    streams[stream] = fired.streams[stream].map((_, i) => {
      let alarm = false;
      for (const [k, a] of Object.values(features).entries()) {
        runs[k] = a[stream][i] ? runs[k] + 1 : 0;
        if (runs[k] >= verdict.consecutive) alarm = true;
      }
      return alarm;
    });
  }
  return { ...fired, streams };
}

/**
 * Runs one driftwatch configuration over every stream, event by event through `DriftMonitor.add`:
 * the dataset verdict of each window, and each feature's.
 */
function runDriftwatch(
  dataset: Dataset,
  streams: readonly Stream[],
  keys: Partial<DriftMonitorConfig>,
): { dataset: Alarms; features: Record<string, Record<string, boolean[]>> } {
  const kinds: Record<string, "numeric" | "categorical"> = {};
  for (const f of dataset.numeric) kinds[f] = "numeric";
  kinds[dataset.categorical] = "categorical";
  const config = {
    type: "drift",
    features: Object.keys(kinds),
    reference: { type: "first", events: dataset.reference },
    window: { type: "tumbling", events: dataset.window },
    ...keys,
  } as DriftMonitorConfig;
  const out: Alarms = { streams: {}, seconds: 0, events: 0 };
  const features: Record<string, Record<string, boolean[]>> = Object.fromEntries(
    Object.keys(kinds).map((f) => [f, {}]),
  );
  let seconds = 0;
  let events = 0;
  for (const { truth, rows } of streams) {
    const alarms: boolean[] = [];
    const perFeature: Record<string, boolean[]> = Object.fromEntries(Object.keys(kinds).map((f) => [f, []]));
    const started = performance.now();
    const monitor = new DriftMonitor(truth.stream, config, kinds, null);
    for (let i = 0; i < rows.length; i++) {
      for (const result of monitor.add(rows[i], i, null)) {
        alarms.push(result.evaluation.dataset.drift);
        for (const column of result.evaluation.columns) perFeature[column.name].push(column.drift);
      }
    }
    seconds += (performance.now() - started) / 1000;
    events += rows.length;
    const expected = tumblingWindows(rows.length, dataset.reference, dataset.window).length;
    if (alarms.length !== expected)
      throw new Error(`${truth.stream}: ${alarms.length} windows, expected ${expected}`);
    out.streams[truth.stream] = alarms;
    for (const f of Object.keys(kinds)) features[f][truth.stream] = perFeature[f];
  }
  return { dataset: { ...out, seconds, events }, features };
}

/**
 * Each stream's verdicts for the scorer, from a detector's alarms. A detector covers every stream,
 * except a slow peer limited to the first shuffles (`partial`: River's KSWIN); its score then
 * counts the windows of those streams only.
 */
function verdicts(
  dataset: Dataset,
  streams: readonly Stream[],
  alarms: Record<string, boolean[]>,
  partial = false,
): StreamVerdicts[] {
  const covered = partial ? streams.filter((s) => alarms[s.truth.stream] !== undefined) : streams;
  return covered.map(({ truth, rows }) => {
    const windows = tumblingWindows(rows.length, dataset.reference, dataset.window);
    const fired = alarms[truth.stream];
    if (fired === undefined || fired.length !== windows.length)
      throw new Error(`${truth.stream}: ${fired?.length} alarms for ${windows.length} windows`);
    return {
      type: truth.type,
      driftStart: truth.drift_start,
      windows: windows.map((w, i) => ({ ...w, alarm: fired[i] })),
    };
  });
}

/** The venv (under .venv/) each peer of peers.py runs in. */
const PEER_VENVS = { alibi: "alibi", nannyml: "nannyml", river: "peers", evidently: "peers" } as const;
type Peer = keyof typeof PEER_VENVS;

/** Runs peers.py with `which` in its venv; the detectors' alarms, or why it could not run. */
function runPeer(
  which: Peer,
  manifest: string,
): { versions: Record<string, string>; detectors: Record<string, PeerAlarms> } | string {
  const venv = join(repoRoot, ".venv", PEER_VENVS[which]);
  const python = join(venv, "bin", "python");
  if (!existsSync(python) && PEER_VENVS[which] === "peers") {
    // River and Evidently: pinned in bench/alerts/requirements-peers.txt, installed on first use.
    const requirements = join(repoRoot, "bench", "alerts", "requirements-peers.txt");
    console.log(`   installing ${requirements} into ${venv}`);
    for (const [command, args] of [
      ["python3", ["-m", "venv", venv]],
      [python, ["-m", "pip", "install", "-q", "-r", requirements]],
    ] as const) {
      const r = spawnSync(command, args, { stdio: "inherit" });
      if (r.status !== 0) return `${command} ${args.join(" ")} exited with ${r.status}`;
    }
  }
  if (!existsSync(python)) return `${python} is absent`;
  const output = join(workDir, `peer-${which}.json`);
  rmSync(output, { force: true });
  const r = spawnSync(python, [join(repoRoot, "bench", "alerts", "peers.py"), manifest, output, which], {
    stdio: ["ignore", "inherit", "inherit"],
    // NannyML would otherwise post usage statistics (and wait for the network) on each run.
    env: { ...process.env, NML_DISABLE_USAGE_LOGGING: "1" },
  });
  if (r.status !== 0) return `peers.py ${which} exited with ${r.status}`;
  return JSON.parse(readFileSync(output, "utf8"));
}

const TYPES = DRIFT_TYPES.filter((t) => t !== "none");

/** One Markdown table row: false alarms, then per type "rate (median / p90 delay in events)", then µs per event. */
function row(dataset: string, detector: string, score: DetectorScore, usPerEvent: number | null): string[] {
  const fa = score.false_alarms_per_1000;
  const ci = score.false_alarms_per_1000_ci;
  const cells = [
    dataset,
    detector,
    fa === null
      ? "–"
      : `${fa.toFixed(0)} [${ci.low.toFixed(0)}, ${ci.high.toFixed(0)}] (${score.stationary_windows})`,
  ];
  for (const type of TYPES) {
    const d = score.detection[type];
    if (d === undefined || d.rate === null) cells.push("–");
    else
      cells.push(
        `${d.rate.toFixed(2)} (${d.median_delay_events === null ? "–" : d.median_delay_events.toFixed(0)} / ${
          d.p90_delay_events === null ? "–" : d.p90_delay_events.toFixed(0)
        })`,
      );
  }
  cells.push(usPerEvent === null ? "–" : usPerEvent.toFixed(2));
  return cells;
}

function markdown(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

function main(): void {
  const reps = {
    weather: knob("BENCH_ALERTS_WEATHER_REPS", 100),
    flights: knob("BENCH_ALERTS_FLIGHTS_REPS", 20),
  };
  const thresholdShuffles = knob("BENCH_ALERTS_THRESHOLD_SHUFFLES", 30);
  const peers = (process.env.BENCH_ALERTS_PEERS ?? "alibi,nannyml,river,evidently")
    .split(",")
    .filter((x) => x !== "");
  for (const p of peers)
    if (!Object.hasOwn(PEER_VENVS, p)) throw new Error(`BENCH_ALERTS_PEERS: unknown "${p}"`);
  let commit = "unknown";
  try {
    commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: repoRoot }).toString().trim();
  } catch {}
  const loadStart = loadNow();
  console.log(
    `== node ${process.version}, ${cpus().length} cores, commit ${commit}, load average ${loadStart}`,
  );
  rmSync(streamsDir, { recursive: true, force: true });
  mkdirSync(streamsDir, { recursive: true });
  const datasets = [weather(), flights()];
  const all: { dataset: Dataset; streams: Stream[] }[] = [];
  for (const dataset of datasets) {
    const streams = writeStreams(dataset, reps[dataset.name as keyof typeof reps], streamsDir);
    all.push({ dataset, streams });
    console.log(
      `   ${dataset.name}: ${streams.length} streams (${reps[dataset.name as keyof typeof reps]} shuffles × ${
        DRIFT_TYPES.length
      } types) of ${dataset.rows.length} events, R ${dataset.reference}, W ${dataset.window}, drift from event ${
        dataset.start
      }, D ${dataset.detectionWindows} windows`,
    );
  }
  const manifest = join(workDir, "manifest.json");
  writeFileSync(
    manifest,
    JSON.stringify({ dir: streamsDir, streams: all.flatMap((d) => d.streams.map((s) => s.truth.stream)) }),
  );

  const alarms = new Map<string, Map<string, Alarms>>(datasets.map((d) => [d.name, new Map()]));
  const featureScores: Record<string, Record<string, Record<string, DetectorScore>>> = {};
  console.log(`\n== driftwatch in process (load average ${loadNow()})`);
  for (const { dataset, streams } of all) {
    featureScores[dataset.name] = {};
    // A first pass, not timed, so that no configuration's figure carries the JIT's warm-up.
    runDriftwatch(dataset, streams.slice(0, DRIFT_TYPES.length), {});
    for (const { name, keys, verdicts: reads } of DRIFTWATCH) {
      // Thresholds drawn from the reference cost a test per draw and feature at each reference:
      // those configurations run on the first shuffles only, and their rows say so.
      const limit = keys.thresholds === undefined ? Number.POSITIVE_INFINITY : thresholdShuffles;
      const mine = streams.filter((s) => s.truth.seed < limit);
      const partial = mine.length < streams.length;
      const { dataset: fired, features } = runDriftwatch(dataset, mine, keys);
      featureScores[dataset.name][name] = Object.fromEntries(
        Object.entries(features).map(([f, a]) => [
          f,
          scoreDetector(verdicts(dataset, streams, a, partial), dataset.detectionWindows),
        ]),
      );
      const suffix = partial ? `, first ${mine.length / DRIFT_TYPES.length} shuffles` : "";
      for (const verdict of reads)
        alarms.get(dataset.name)?.set(`${verdict.name}${suffix}`, verdictAlarms(fired, features, verdict));
      console.log(`   ${dataset.name} ${name}: ${fired.seconds.toFixed(2)} s for ${fired.events} events`);
    }
  }

  const versions: Record<string, string> = {};
  const skipped: Record<string, string> = {};
  for (const which of peers) {
    console.log(`\n== ${which} on the same streams (load average ${loadNow()})`);
    const started = performance.now();
    const peer = runPeer(which as Peer, manifest);
    if (typeof peer === "string") {
      skipped[which] = peer;
      console.log(`   skipped: ${peer}`);
      continue;
    }
    Object.assign(versions, peer.versions);
    console.log(
      `   ${Object.entries(peer.versions)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ")}; ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    for (const [name, a] of Object.entries(peer.detectors))
      for (const { dataset, streams } of all) {
        const names = new Set(streams.map((s) => s.truth.stream));
        const mine = Object.keys(a.streams).filter((s) => names.has(s));
        // A peer limited to the first shuffles says so in its name.
        const shuffles = mine.length / DRIFT_TYPES.length;
        const label = mine.length < streams.length ? `${name}, first ${shuffles} shuffles` : name;
        alarms.get(dataset.name)?.set(label, {
          streams: Object.fromEntries(mine.map((s) => [s, a.streams[s]])),
          seconds: mine.reduce((sum, s) => sum + a.seconds[s], 0),
          events: mine.reduce((sum, s) => sum + a.events[s], 0),
        });
      }
  }

  const tableRows: string[][] = [];
  const results: Record<string, unknown> = {
    node: process.version,
    commit,
    load_average: { start: loadStart },
    repetitions: reps,
    versions,
    skipped,
    datasets: {},
  };
  for (const { dataset, streams } of all) {
    const scores: Record<string, unknown> = {};
    for (const [name, a] of alarms.get(dataset.name) ?? []) {
      const partial = Object.keys(a.streams).length < streams.length;
      const score = scoreDetector(verdicts(dataset, streams, a.streams, partial), dataset.detectionWindows);
      const us = a.events === 0 ? null : (1e6 * a.seconds) / a.events;
      // What the false alarms alone would give as "detections" within D windows.
      const chance =
        score.false_alarms_per_1000 === null
          ? null
          : 1 - (1 - score.false_alarms_per_1000 / 1000) ** dataset.detectionWindows;
      scores[name] = { ...score, chance_detection_rate: chance, us_per_event: us };
      tableRows.push(row(dataset.name, name, score, us));
    }
    (results.datasets as Record<string, unknown>)[dataset.name] = {
      reference: dataset.reference,
      window: dataset.window,
      drift_start: dataset.start,
      span: dataset.span,
      detection_windows: dataset.detectionWindows,
      streams: streams.length,
      detectors: scores,
      features: featureScores[dataset.name],
    };
  }
  console.log(
    "\n== false alarms per 1000 stationary windows [Wilson 95 %] (stationary windows); per drift type: detection rate within D windows (median / p90 delay in events from the drift start)\n",
  );
  console.log(markdown(["dataset", "detector", "false alarms / 1000", ...TYPES, "µs / event"], tableRows));
  console.log(
    "\n   A detection rate counts any alarm within D windows, so false alarms alone give 1 − (1 − p)^D (p per window):" +
      " results.json has it per detector as chance_detection_rate.",
  );

  const featureRows: string[][] = [];
  for (const { dataset } of all)
    for (const [f, score] of Object.entries(featureScores[dataset.name]["driftwatch defaults"]))
      featureRows.push(row(dataset.name, f, score, null).slice(0, -1));
  console.log("\n== driftwatch defaults, per-feature verdicts (same columns)\n");
  console.log(markdown(["dataset", "feature", "false alarms / 1000", ...TYPES], featureRows));

  const loadEnd = loadNow();
  (results.load_average as Record<string, string>).end = loadEnd;
  writeFileSync(join(workDir, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\n== wrote ${join(workDir, "results.json")}; load average ${loadEnd}`);
}

main();
