/**
 * Quality benchmark of the outlier scorers: ROC AUC of each registered scorer on a labelled anomaly
 * data set, beside scikit-learn's IsolationForest on the same split (bench/quality/outliers_peer.py).
 *
 *     npx tsx bench/quality/outliers.ts
 *
 * The first run creates the gitignored venv .venv/outliers and installs
 * bench/quality/outliers-requirements.txt into it (numpy, scipy, scikit-learn, and river, whose
 * wheel ships the Shuttle data set). Knobs: BENCH_SEEDS (forests per side, default 10).
 * Raw figures go to .bench/outliers/results.json.
 *
 * Checks (exit code 1 when one fails): in each protocol, the mean AUC of our Isolation Forest is
 * within 0.02 of scikit-learn's; our robust z, IQR and Mahalanobis AUCs equal those of their numpy
 * transcriptions in the peer to 1e-9 (they are deterministic, so any gap is a bug).
 */

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { gunzipSync } from "node:zlib";
import { outlierScorers } from "../../src/outliers/registry.js";
import { referenceThreshold } from "../../src/outliers/threshold.js";

const ROOT = resolve(import.meta.dirname, "../..");
const VENV = resolve(ROOT, ".venv/outliers");
const PYTHON = resolve(VENV, "bin/python");
const OUT_DIR = resolve(ROOT, ".bench/outliers");
const SEEDS = Number(process.env.BENCH_SEEDS ?? 10);
const MAX_IF_GAP = 0.02;
const MAX_TRANSCRIPTION_GAP = 1e-9;

interface PeerProtocol {
  reference_rows: number;
  sklearn_isolation_forest: number[];
  sklearn_seconds: number[];
  numpy_robust_z: number;
  numpy_iqr: number;
  numpy_mahalanobis: number;
}
interface PeerDataset {
  data_path: string;
  rows: number;
  features: number;
  anomalies: number;
  scored_rows: number;
  scored_anomalies: number;
  protocols: Record<"contaminated" | "clean", PeerProtocol>;
}
interface Peer {
  versions: Record<string, string>;
  datasets: Record<"shuttle" | "gmm_local", PeerDataset>;
}

/** How each data set is introduced in the printout. */
const TITLES: Record<keyof Peer["datasets"], string> = {
  shuttle: "Shuttle (ODDS, as shipped in river's wheel)",
  gmm_local:
    "gmm_local (synthetic, ADBench-style local anomalies: 3-component GMM in 8-d, anomalies with covariance × 5)",
};

function run(command: string, args: string[]): string {
  const result = spawnSync(command, args, { cwd: ROOT, encoding: "utf8", maxBuffer: 1 << 26 });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(" ")} exited with ${result.status}:\n${result.stderr}`);
  }
  return result.stdout;
}

function ensureVenv(): void {
  if (!existsSync(PYTHON)) {
    console.log("creating .venv/outliers");
    run("python3", ["-m", "venv", VENV]);
  }
  run(PYTHON, ["-m", "pip", "install", "-q", "-r", "bench/quality/outliers-requirements.txt"]);
}

/** ROC AUC by the Mann–Whitney U statistic with midranks for ties (= sklearn.metrics.roc_auc_score). */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let positives = 0;
  let rankSum = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]] === scores[order[i]]) j++;
    const midrank = (i + j + 2) / 2; // 1-based ranks i+1 … j+1
    for (let k = i; k <= j; k++) {
      if (labels[order[k]] === 1) {
        positives++;
        rankSum += midrank;
      }
    }
    i = j + 1;
  }
  const negatives = n - positives;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** A CSV (gzipped when the name ends in .gz) of numeric features with a last column `anomaly`. */
function loadLabelled(path: string): { rows: number[][]; labels: number[] } {
  const bytes = readFileSync(path);
  const lines = (path.endsWith(".gz") ? gunzipSync(bytes) : bytes).toString("utf8").trim().split(/\r?\n/);
  const header = lines[0].split(",");
  if (header[header.length - 1] !== "anomaly") throw new Error(`unexpected header ${lines[0]}`);
  const rows: number[][] = [];
  const labels: number[] = [];
  for (const line of lines.slice(1)) {
    const values = line.split(",").map(Number);
    labels.push(values.pop() as number);
    rows.push(values);
  }
  return { rows, labels };
}

const mean = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
const std = (xs: readonly number[]): number => {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / Math.max(xs.length - 1, 1));
};

interface MethodResult {
  method: string;
  aucs: number[];
  fit_score_seconds: number[];
  /** At the default threshold (99th percentile of the reference's own scores), seed 0. */
  flagged_fraction: number;
  precision: number;
  recall: number;
}

function evaluate(
  name: keyof typeof outlierScorers,
  reference: number[][],
  scored: number[][],
  labels: number[],
): MethodResult {
  const kind = outlierScorers[name];
  const seeds = name === "isolation_forest" ? Array.from({ length: SEEDS }, (_, s) => s) : [0];
  const aucs: number[] = [];
  const seconds: number[] = [];
  let flagged = 0;
  let hits = 0;
  for (const seed of seeds) {
    const params =
      name === "isolation_forest" ? { ...outlierScorers.isolation_forest.example, seed } : kind.example;
    const t0 = performance.now();
    // biome-ignore lint/suspicious/noExplicitAny: each entry gets its own example params
    const model = (kind.fit as (r: number[][], p: any) => unknown)(reference, params);
    const score = kind.score as (m: unknown, row: number[]) => number;
    const scores = scored.map((row) => score(model, row));
    seconds.push((performance.now() - t0) / 1000);
    aucs.push(rocAuc(scores, labels));
    if (seed === 0) {
      const threshold = referenceThreshold(reference.map((row) => score(model, row)));
      scores.forEach((s, i) => {
        if (s > threshold) {
          flagged++;
          hits += labels[i];
        }
      });
    }
  }
  const anomalies = labels.reduce((s, l) => s + l, 0);
  return {
    method: name,
    aucs,
    fit_score_seconds: seconds,
    flagged_fraction: flagged / scored.length,
    precision: flagged === 0 ? 0 : hits / flagged,
    recall: hits / anomalies,
  };
}

function main(): number {
  ensureVenv();
  const peer = JSON.parse(run(PYTHON, ["bench/quality/outliers_peer.py", "--seeds", String(SEEDS)])) as Peer;
  console.log(
    `${SEEDS} seeds per forest; reference = even rows, scored = odd rows; ` +
      `scikit-learn ${peer.versions.sklearn}, numpy ${peer.versions.numpy}, river ${peer.versions.river}, Node ${process.version}`,
  );
  const failures: string[] = [];
  const results: Record<string, unknown> = { peer, seeds: SEEDS, node: process.version, datasets: {} };
  for (const [dataset, info] of Object.entries(peer.datasets) as [keyof Peer["datasets"], PeerDataset][]) {
    failures.push(...benchDataset(dataset, info, results));
  }
  mkdirSync(OUT_DIR, { recursive: true });
  writeFileSync(resolve(OUT_DIR, "results.json"), `${JSON.stringify(results, null, 1)}\n`);
  if (failures.length > 0) {
    console.error(`\nFAILED:\n  ${failures.join("\n  ")}`);
    return 1;
  }
  console.log("\nall checks met");
  return 0;
}

function benchDataset(
  dataset: keyof Peer["datasets"],
  info: PeerDataset,
  results: Record<string, unknown>,
): string[] {
  const { rows, labels } = loadLabelled(info.data_path);
  if (rows.length !== info.rows)
    throw new Error(`${dataset}: read ${rows.length} rows, the peer read ${info.rows}`);
  const even = rows.filter((_, i) => i % 2 === 0);
  const evenLabels = labels.filter((_, i) => i % 2 === 0);
  const odd = rows.filter((_, i) => i % 2 === 1);
  const oddLabels = labels.filter((_, i) => i % 2 === 1);
  const references = {
    contaminated: even,
    clean: even.filter((_, i) => evenLabels[i] === 0),
  };
  console.log(
    `\n# ${TITLES[dataset]}: ${info.rows} rows × ${info.features} features, ${info.anomalies} anomalies ` +
      `(${((100 * info.anomalies) / info.rows).toFixed(2)} %); scored: ${odd.length} rows, ${info.scored_anomalies} anomalies`,
  );
  const failures: string[] = [];
  const perProtocol: Record<string, unknown> = {};
  for (const [protocol, reference] of Object.entries(references) as [
    "contaminated" | "clean",
    number[][],
  ][]) {
    const p = info.protocols[protocol];
    if (reference.length !== p.reference_rows)
      throw new Error(`${dataset} ${protocol}: reference size differs from the peer's`);
    const ours = (Object.keys(outlierScorers) as (keyof typeof outlierScorers)[]).map((name) =>
      evaluate(name, reference, odd, oddLabels),
    );
    console.log(`\n## ${dataset}, ${protocol} reference (${reference.length} rows)\n`);
    console.log(
      "| method | ROC AUC (mean ± sd over seeds) | min – max | flagged at p99 | precision | recall | fit + score |",
    );
    console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (const r of ours) {
      const spread = r.aucs.length > 1 ? ` ± ${std(r.aucs).toFixed(4)}` : "";
      const range =
        r.aucs.length > 1 ? `${Math.min(...r.aucs).toFixed(4)} – ${Math.max(...r.aucs).toFixed(4)}` : "–";
      console.log(
        `| driftwatch ${r.method} | ${mean(r.aucs).toFixed(4)}${spread} | ${range} | ${(100 * r.flagged_fraction).toFixed(2)} % | ` +
          `${r.precision.toFixed(3)} | ${r.recall.toFixed(3)} | ${mean(r.fit_score_seconds).toFixed(3)} s |`,
      );
    }
    const sk = p.sklearn_isolation_forest;
    console.log(
      `| scikit-learn IsolationForest | ${mean(sk).toFixed(4)} ± ${std(sk).toFixed(4)} | ` +
        `${Math.min(...sk).toFixed(4)} – ${Math.max(...sk).toFixed(4)} | | | | ${mean(p.sklearn_seconds).toFixed(3)} s |`,
    );
    const oursIf = mean(ours.find((r) => r.method === "isolation_forest")?.aucs ?? []);
    const gap = oursIf - mean(sk);
    const ok = Math.abs(gap) <= MAX_IF_GAP;
    console.log(
      `\nisolation forest: ours − scikit-learn = ${gap >= 0 ? "+" : ""}${gap.toFixed(4)} (goal |gap| ≤ ${MAX_IF_GAP}): ${ok ? "met" : "NOT MET"}`,
    );
    if (!ok) failures.push(`${dataset} ${protocol}: isolation forest AUC gap ${gap}`);
    const transcriptions: [string, number][] = [
      ["robust_z", p.numpy_robust_z],
      ["iqr", p.numpy_iqr],
      ["mahalanobis", p.numpy_mahalanobis],
    ];
    const diffs = transcriptions.map(([method, expected]) => {
      const got = ours.find((r) => r.method === method)?.aucs[0] ?? Number.NaN;
      const diff = Math.abs(got - expected);
      if (!(diff <= MAX_TRANSCRIPTION_GAP))
        failures.push(`${dataset} ${protocol}: ${method} differs from numpy by ${diff}`);
      return `${method} ${diff.toExponential(1)}`;
    });
    console.log(`|AUC − AUC of the peer's numpy transcription|: ${diffs.join(", ")}`);
    perProtocol[protocol] = { ours, sklearn: p };
  }
  (results.datasets as Record<string, unknown>)[dataset] = perProtocol;
  return failures;
}

process.exitCode = main();
