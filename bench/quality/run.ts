/**
 * `npm run bench:quality`: the speed of the model-quality side of driftwatch, as ratios measured
 * in the same run (see BENCHMARKS.md, section "quality: detectors and monitors").
 *
 * 1. Detectors: updates per second of every registered concept-drift detector against River's
 *    (river 0.26.1, in the gitignored venv .venv/quality) on the same streams, interleaved
 *    detector by detector, with the drift and warning indices of both sides compared
 *    (bench/quality/detectors.ts; goal: no slower than River).
 * 2. Pipeline: in-process throughput with a performance and an outlier monitor added to a drift
 *    monitor, against the drift monitor alone, on the same events, round by round
 *    (bench/quality/pipeline.ts; goal ≥ 0.7).
 *
 * The exit code is 1 when a detector's drift or warning indices differ from River's (a bug, not
 * noise); goals missed are printed, not failed.
 *
 * Environment knobs (all optional):
 *   BENCH_QUALITY_PARTS=detectors,pipeline    which parts to run
 *   BENCH_QUALITY_VALUES=200000               values of the binary and real streams (part 1)
 *   BENCH_QUALITY_KSWIN_VALUES=10000          values of KSWIN's stream (part 1)
 *   BENCH_QUALITY_DETECTOR_ROUNDS=5           interleaved rounds (part 1)
 *   BENCH_QUALITY_PASS_MS=200                 each side's passes per detector and round last at least this long
 *   BENCH_QUALITY_EVENTS=200000               events per pipeline run (part 2)
 *   BENCH_QUALITY_PIPELINE_ROUNDS=5           rounds (part 2)
 *   BENCH_QUALITY_VARIANTS=drift,+performance,+outliers,+both   configurations (part 2; the first is the baseline)
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { knob, list, rate, ratios, repoRoot, table } from "../stream/harness.js";
import { benchDetectors, type DetectorResult } from "./detectors.js";
import { benchPipeline, VARIANTS, type Variant, type VariantResult } from "./pipeline.js";
import { writeStreams } from "./streams.js";

const workDir = join(repoRoot, ".bench", "quality");
const venv = join(repoRoot, ".venv", "quality");
const python = join(venv, "bin", "python");
const requirements = join(repoRoot, "bench", "quality", "detectors-requirements.txt");
const DETECTOR_GOAL = 1;
const PIPELINE_GOAL = 0.7;

const fixed = (x: number, digits = 2) => x.toFixed(digits);
const goal = (ratio: number, target: number) => `goal ≥ ${target}: ${ratio >= target ? "met" : "not met"}`;
const loadNow = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");
const perSec = (x: number) => (x >= 1e6 ? `${fixed(x / 1e6)}M/s` : `${fixed(x / 1e3, 1)}k/s`);

/** Creates .venv/quality and installs the pinned peers, unless the same pins are already installed. */
function ensureVenv(): void {
  const stamp = join(venv, "bench-quality-requirements.txt");
  const wanted = readFileSync(requirements, "utf8");
  if (existsSync(python) && existsSync(stamp) && readFileSync(stamp, "utf8") === wanted) return;
  console.log(`== installing ${requirements} into ${venv}`);
  const step = (command: string, args: string[]) => {
    const r = spawnSync(command, args, { stdio: "inherit" });
    if (r.status !== 0) throw new Error(`${command} ${args.join(" ")} exited with ${r.status}`);
  };
  if (!existsSync(python)) step("python3", ["-m", "venv", venv]);
  step(python, ["-m", "pip", "install", "-q", "-r", requirements]);
  writeFileSync(stamp, wanted);
}

function printDetectors(results: readonly DetectorResult[], rounds: number, passMs: number): void {
  console.log(
    `\n== 1. detectors: updates/s, driftwatch (replay) vs River, each at its example params (River's defaults; ` +
      `KSWIN seed 42); ${rounds} interleaved rounds, passes of at least ${passMs} ms per side, detector and round`,
  );
  const rows = results.map((r) => [
    r.detector,
    `${r.stream} ${r.values}`,
    perSec(r.driftwatch.best),
    perSec(r.driftwatch.median),
    perSec(r.river.best),
    perSec(r.river.median),
    fixed(r.ratio.best),
    fixed(r.ratio.median),
    fixed(r.ratio.paired),
    `${r.driftwatch.drifts.length} / ${r.river.drifts.length}`,
    r.sameDrifts && r.sameWarnings ? "yes" : "NO",
  ]);
  console.log(
    table(
      [
        "detector",
        "stream",
        "ours best",
        "ours median",
        "River best",
        "River median",
        "ratio best",
        "median",
        "paired",
        "drifts",
        "same indices",
      ],
      rows,
    ),
  );
  const worst = results.reduce((a, b) => (b.ratio.median < a.ratio.median ? b : a));
  console.log(
    `  lowest median ratio: ${worst.detector} ${fixed(worst.ratio.median)} (${goal(worst.ratio.median, DETECTOR_GOAL)} for every detector)`,
  );
  for (const r of results) {
    const first = r.driftwatch.drifts.slice(0, 4).join(", ");
    const more = r.driftwatch.drifts.length > 4 ? ", …" : "";
    console.log(
      `  ${r.detector}: drifts at [${first}${more}], ${r.driftwatch.warnings.length} warning updates; ` +
        `River: ${r.sameDrifts ? "same drifts" : "DIFFERENT drifts"}, ${r.sameWarnings ? "same warnings" : "DIFFERENT warnings"}`,
    );
  }
}

function printPipeline(
  results: readonly VariantResult[],
  events: number,
  pairs: number,
  bytes: number,
  rounds: number,
): void {
  console.log(
    `\n== 2. in-process pipeline: ${events} events of ~${Math.round(bytes)} bytes in batches of 500 to the batch handler; ` +
      `${pairs} labels join a prediction; ${rounds} rounds, order rotated every round`,
  );
  const rows = results.map((r) => [
    r.variant,
    `${r.windows.drift} / ${r.windows.performance} / ${r.windows.outliers}`,
    rate(r.summary.best),
    rate(r.summary.median),
    rate(r.summary.bestCpu),
    `${fixed(1e6 / r.summary.median)} µs`,
  ]);
  console.log(
    table(
      ["monitors", "windows drift/perf/outl", "best", "median", "best per CPU-s", "median µs/event"],
      rows,
    ),
  );
  const baseline = results[0];
  for (const r of results.slice(1)) {
    const q = ratios(r.summary, baseline.summary);
    const added = 1e6 / r.summary.median - 1e6 / baseline.summary.median;
    const target = r.variant === "+both" ? `  (${goal(q.median, PIPELINE_GOAL)})` : "";
    console.log(
      `  ${r.variant} / ${baseline.variant}: best ${fixed(q.best)}, median ${fixed(q.median)}, paired per round ${fixed(q.paired)}, ` +
        `CPU ${fixed(q.cpu)}; adds ${fixed(added)} µs/event${target}`,
    );
  }
}

async function main(): Promise<number> {
  const parts = list("BENCH_QUALITY_PARTS", ["detectors", "pipeline"], ["detectors", "pipeline"]);
  if (typeof (globalThis as { gc?: unknown }).gc !== "function")
    console.warn(
      "warning: run with --expose-gc (npm run bench:quality does) to collect garbage between runs",
    );
  let commit = "unknown";
  try {
    commit = execFileSync("git", ["-C", repoRoot, "rev-parse", "--short", "HEAD"], {
      encoding: "utf8",
    }).trim();
    const dirty = execFileSync("git", ["-C", repoRoot, "status", "--porcelain", "--", "src"], {
      encoding: "utf8",
    });
    if (dirty.trim() !== "") commit += " (src/ has uncommitted changes)";
  } catch {
    // not a git checkout
  }
  mkdirSync(workDir, { recursive: true });
  const results: Record<string, unknown> = { node: process.version, commit };
  let failed = false;

  if (parts.includes("detectors")) {
    ensureVenv();
    const sizes = {
      long: knob("BENCH_QUALITY_VALUES", 200_000),
      kswin: knob("BENCH_QUALITY_KSWIN_VALUES", 10_000),
    };
    const rounds = knob("BENCH_QUALITY_DETECTOR_ROUNDS", 5);
    const passMs = knob("BENCH_QUALITY_PASS_MS", 200);
    const streams = writeStreams(join(workDir, "streams"), sizes);
    console.log(
      `== node ${process.version}, ${cpus().length} cores, commit ${commit}, load average ${loadNow()}; scratch: ${workDir}`,
    );
    const r = await benchDetectors({ python, streams, rounds, minPassSeconds: passMs / 1000 });
    console.log(
      `   River side: ${Object.entries(r.versions)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ")}`,
    );
    results.detectors = r;
    printDetectors(r.results, rounds, passMs);
    failed ||= r.results.some((d) => !d.sameDrifts || !d.sameWarnings);
  } else {
    console.log(
      `== node ${process.version}, ${cpus().length} cores, commit ${commit}, load average ${loadNow()}`,
    );
  }

  if (parts.includes("pipeline")) {
    const events = knob("BENCH_QUALITY_EVENTS", 200_000);
    const rounds = knob("BENCH_QUALITY_PIPELINE_ROUNDS", 5);
    const variants = list<Variant>("BENCH_QUALITY_VARIANTS", VARIANTS, VARIANTS);
    const r = await benchPipeline({ events, rounds, variants, dir: join(workDir, "pipeline") });
    results.pipeline = r;
    printPipeline(r.results, events, r.pairs, r.bytes, rounds);
  }

  console.log(`\n== load average at the end ${loadNow()}; raw figures in ${join(workDir, "results.json")}`);
  writeFileSync(join(workDir, "results.json"), `${JSON.stringify(results, null, 1)}\n`);
  if (failed) console.error("\nFAILED: a detector's drift or warning indices differ from River's");
  return failed ? 1 : 0;
}

process.exitCode = await main();
