/**
 * Throughput of multivariate drift on a 384-dimension vector feature (the size of a small sentence
 * embedding): events per second into a multivariate monitor's bounded sample, and seconds per
 * evaluation of each registered test at the default sample (1000 reference rows, 1000 window rows).
 *
 *     npm run bench:multivariate
 *
 * Knobs: BENCH_MV_DIM (384), BENCH_MV_EVENTS (window events ingested, 200000), BENCH_MV_SAMPLE
 * (rows kept, the monitor's default 1000). The ingest figure is given beside a baseline measured in
 * the same run: the same events' vectors only checked to be arrays of finite numbers (what every
 * consumer must do), so the ratio is the cost of the sample itself. The machine is shared: the load
 * average is printed.
 */

import { loadavg } from "node:os";
import { DEFAULT_SAMPLE, type MultivariateMonitorConfig } from "../../src/multivariate/config.js";
import { MultivariateMonitor } from "../../src/multivariate/monitor.js";
import { type MultivariateTestName, multivariateTests } from "../../src/stats/multivariate/registry.js";
import { seededRandom } from "../../src/stats/prng.js";
import { isVector } from "../../src/windows/sample.js";

const DIM = Number(process.env.BENCH_MV_DIM ?? 384);
const EVENTS = Number(process.env.BENCH_MV_EVENTS ?? 200_000);
const SAMPLE = Number(process.env.BENCH_MV_SAMPLE ?? DEFAULT_SAMPLE);

const random = seededRandom(1);
const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());

/** A pool of distinct vectors, cycled through (making 200k × 384 normals would dominate the run). */
const POOL = 20_000;
function pool(shift: number): number[][] {
  return Array.from({ length: POOL }, () =>
    Array.from({ length: DIM }, (_, j) => gaussian() + (j < 8 ? shift : 0)),
  );
}

function config(test: MultivariateTestName, events: number): MultivariateMonitorConfig {
  return {
    type: "multivariate",
    features: ["embedding"],
    test,
    reference: { type: "first", events: SAMPLE },
    window: { type: "tumbling", events },
    sample: SAMPLE,
  } as MultivariateMonitorConfig;
}

const shape = { kind: "vector", feature: "embedding", dim: DIM } as const;
const reference = pool(0);
const shifted = pool(0.3);
console.log(
  `bench:multivariate: ${DIM} dimensions, sample ${SAMPLE}, ${EVENTS} window events; load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(" ")} on ${process.env.BENCH_CORES ?? "this machine's"} cores`,
);

// Ingest: a window larger than the stream, so that only the sample's cost is measured.
{
  const monitor = new MultivariateMonitor("bench", config("mmd", EVENTS + 1), shape, null);
  for (let i = 0; i < SAMPLE; i++) monitor.add({ embedding: reference[i % POOL] }, 0, null);
  let valid = 0;
  const t0 = performance.now();
  for (let i = 0; i < EVENTS; i++) if (isVector(shifted[i % POOL], DIM)) valid++;
  const baseline = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  const values: Record<string, unknown> = { embedding: null };
  for (let i = 0; i < EVENTS; i++) {
    values.embedding = shifted[i % POOL];
    monitor.add(values, 0, null);
  }
  const ingest = (performance.now() - t1) / 1000;
  if (valid !== EVENTS) throw new Error("baseline saw invalid vectors");
  console.log(
    `ingest: ${Math.round(EVENTS / ingest).toLocaleString("en")} events/s into the sample (baseline, checking each vector: ${Math.round(
      EVENTS / baseline,
    ).toLocaleString("en")} events/s); sample / baseline ${(baseline / ingest).toFixed(2)}`,
  );
  // The window's state is the bounded sample, whatever the events: its checkpoint is its size.
  const bytes = JSON.stringify(monitor.state).length;
  console.log(
    `the monitor's state after ${EVENTS} window events (its checkpoint, JSON): ${(bytes / 2 ** 20).toFixed(1)} MiB (reference and window samples of ${SAMPLE} rows each)`,
  );
}

// Evaluation: one window of SAMPLE rows against a reference of SAMPLE rows, per test.
console.log("| test | fit on the reference (s) | one evaluation (s) | drift found on the shifted window |");
console.log("|---|---:|---:|---|");
for (const test of Object.keys(multivariateTests) as MultivariateTestName[]) {
  const monitor = new MultivariateMonitor("bench", config(test, SAMPLE), shape, null);
  for (let i = 0; i < SAMPLE; i++) monitor.add({ embedding: reference[i] }, 0, null);
  // The first window fits the test on the reference; the second is timed alone.
  const t0 = performance.now();
  let results = [];
  for (let i = 0; i < SAMPLE; i++)
    results.push(...monitor.add({ embedding: reference[SAMPLE + i] }, 0, null));
  const first = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  results = [];
  for (let i = 0; i < SAMPLE; i++) results.push(...monitor.add({ embedding: shifted[i] }, 0, null));
  const second = (performance.now() - t1) / 1000;
  const [result] = results;
  console.log(
    `| ${test} | ${Math.max(0, first - second).toFixed(2)} | ${result.duration_secs.toFixed(2)} (window total ${second.toFixed(2)}) | ${result.drift ? "yes" : "no"} (${result.p_value === null ? `statistic ${result.statistic?.toPrecision(3)}` : `p=${result.p_value.toPrecision(3)}`}) |`,
  );
}
