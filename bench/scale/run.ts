/**
 * `npm run bench:scale`: one cluster source consumed by one instance and by two, in exact and in
 * sketch mode, on a real broker on this machine.
 *
 * BENCH_SCALE_EVENTS messages (default 2 000 000) of `bench:stream`'s 20-feature events go once to
 * a topic of BENCH_SCALE_PARTITIONS partitions (default 4). Each run is a fresh consumer group of
 * `driftwatch run` daemons (child processes, as deployed) with one drift monitor over the 20
 * features, a file reference of the stream's first 10 000 events, and windows of
 * BENCH_SCALE_WINDOW events per partition (default 250 000: a cluster window of 1M events). Each
 * daemon's `/metrics` is scraped every 250 ms. A run reports:
 *
 * - throughput: valid events per second, all instances together, between 20 % and 80 % of the
 *   stream consumed (the steady part: the group's joins and rebalances are over, the last window's
 *   merge is not yet due);
 * - result latency: from the moment every event was consumed to the moment the merger has
 *   published the last window's result (the last partials' transactions, the merge, its
 *   transaction), and the merger's own lag (`driftwatch_cluster_merge_lag_seconds`);
 * - peak RSS per instance (VmHWM).
 *
 * Two instances against one are the ratio the issue asks for. Both run on this machine with the
 * broker, which takes its share of the two cores: the load average is printed.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { Kafka, logLevel, Partitioners } from "kafkajs";
import { compilePointer, getAt } from "../../src/decode/pointer.js";
import { type Daemon, killAllDaemons, startDaemon } from "../../test/support/daemon.js";
import { createTopic, type KafkaBroker, startKafka } from "../../test/support/kafka.js";
import { eventAt, eventSchema, eventText, features } from "../stream/events.js";
import { knob, repoRoot } from "../stream/harness.js";

const EVENTS = knob("BENCH_SCALE_EVENTS", 2_000_000);
const PARTITIONS = knob("BENCH_SCALE_PARTITIONS", 4);
const WINDOW = knob("BENCH_SCALE_WINDOW", 250_000);
const TOPIC = "scale.in";
const workDir = join(repoRoot, ".bench", "scale");
const PRODUCE_BATCH = 1500;
const PRODUCE_IN_FLIGHT = 4;
/** A run that makes no progress for this long has failed. */
const STALL_MS = 120_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function produce(brokers: string[]): Promise<number> {
  const kafka = new Kafka({ clientId: "driftwatch-bench-producer", brokers, logLevel: logLevel.WARN });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const started = performance.now();
  let next = 0;
  const sendNext = async (): Promise<void> => {
    while (next < EVENTS) {
      const from = next;
      next = Math.min(EVENTS, next + PRODUCE_BATCH);
      const batch = [];
      for (let i = from; i < next; i++) batch.push({ partition: i % PARTITIONS, value: eventText(i) });
      await producer.send({ topic: TOPIC, acks: -1, messages: batch });
    }
  };
  await Promise.all(Array.from({ length: PRODUCE_IN_FLIGHT }, sendNext));
  await producer.disconnect();
  return EVENTS / ((performance.now() - started) / 1000);
}

/** The schema, the reference (the stream's first 10 000 events, as CSV) and a config per run. */
function writeFiles(): void {
  mkdirSync(workDir, { recursive: true });
  writeFileSync(join(workDir, "event.schema.json"), `${JSON.stringify(eventSchema)}\n`);
  const pointers = features.map((f) => compilePointer(f.path));
  const rows = [features.map((f) => f.name).join(",")];
  for (let i = 0; i < 10_000; i++) {
    const event = eventAt(i);
    rows.push(pointers.map((p) => String(getAt(event, p))).join(","));
  }
  writeFileSync(join(workDir, "reference.csv"), `${rows.join("\n")}\n`);
}

function configFor(group: string, brokers: string[], mode: "exact" | "sketch"): string {
  const config = {
    sources: {
      bench: {
        type: "kafka",
        brokers,
        topic: TOPIC,
        group_id: group,
        client_id: "driftwatch-bench",
        session_timeout_secs: 10,
        schema: "event.schema.json",
        dead_letter: { topic: `${group}.dlq` },
        cluster: { count_windows: "per_partition" },
      },
    },
    features: Object.fromEntries(
      features.map((f) => [f.name, { source: "bench", path: f.path, type: f.type }]),
    ),
    monitors: {
      bench: {
        type: "drift",
        features: features.map((f) => f.name),
        reference: { type: "file", path: "reference.csv" },
        window: { type: "tumbling", events: WINDOW },
        ...(mode === "sketch" ? { mode: "sketch" } : {}),
      },
    },
    state: { dir: "state", checkpoint_interval_secs: 5 },
  };
  const file = join(workDir, `${group}.yaml`);
  writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
  return file;
}

/** CPU seconds a process has used so far (user + system, from /proc). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may hold spaces) start after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** CPU seconds the whole machine has used so far (every core, idle and iowait excluded). */
function machineCpuSeconds(): number {
  const [cpu] = readFileSync("/proc/stat", "utf8").split("\n");
  const ticks = cpu.split(/\s+/).slice(1).map(Number);
  const busy = ticks.reduce((sum, t) => sum + t, 0) - ticks[3] - ticks[4];
  return busy / CLOCK_TICKS;
}

/** Kernel clock ticks per second (USER_HZ: 100 on Linux). */
const CLOCK_TICKS = 100;

/** Peak resident memory of a process (VmHWM), in MiB. */
function peakRss(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

interface Run {
  readonly instances: number;
  readonly mode: "exact" | "sketch";
  readonly rate: number;
  readonly latencyMs: number;
  readonly mergeLagSecs: number;
  readonly peakRssMiB: readonly number[];
  readonly partialBytes: number;
  /** CPU time the instances took per event, µs, between 20 % and 80 % of the stream. */
  readonly cpuPerEvent: number;
  /** Share of the machine's CPU time in that stretch the instances took (the rest: the broker, the rest of the machine). */
  readonly cpuShare: number;
}

async function run(
  brokers: string[],
  instances: number,
  mode: "exact" | "sketch",
  round: number,
): Promise<Run> {
  const group = `scale-${mode}-${instances}-${round}-${Date.now()}`;
  const config = configFor(group, brokers, mode);
  const daemons: Daemon[] = [];
  for (let n = 0; n < instances; n++) {
    const stateDir = join(workDir, "state", `${group}-${n}`);
    rmSync(stateDir, { recursive: true, force: true });
    daemons.push(await startDaemon({ config, stateDir, label: `${group} #${n}`, logLevel: "warn" }));
  }
  const windows = Math.floor(EVENTS / PARTITIONS / WINDOW);
  const samples: { t: number; events: number; cpu: number; machine: number }[] = [];
  let consumedAt: number | null = null;
  let doneAt: number | null = null;
  let mergeLag = 0;
  let partialBytes = 0;
  let lastChange = performance.now();
  let last = -1;
  while (doneAt === null) {
    const scrapes = await Promise.all(daemons.map((d) => d.scrape().catch(() => null)));
    const t = performance.now();
    let events = 0;
    let merged = 0;
    for (const s of scrapes) {
      events += s?.value("driftwatch_events_total", { source: "bench", outcome: "valid" }) ?? 0;
      merged += s?.value("driftwatch_cluster_windows_total", { monitor: "bench", outcome: "evaluated" }) ?? 0;
      mergeLag = Math.max(
        mergeLag,
        s?.value("driftwatch_cluster_merge_lag_seconds", { monitor: "bench" }) ?? 0,
      );
      partialBytes = Math.max(
        partialBytes,
        s?.value("driftwatch_cluster_partial_bytes", { monitor: "bench" }) ?? 0,
      );
    }
    samples.push({
      t,
      events,
      cpu: daemons.reduce((sum, d) => sum + cpuSeconds(d.pid), 0),
      machine: machineCpuSeconds(),
    });
    if (consumedAt === null && events >= EVENTS) consumedAt = t;
    if (merged >= windows && consumedAt !== null) doneAt = t;
    if (events + merged !== last) {
      last = events + merged;
      lastChange = t;
    } else if (t - lastChange > STALL_MS) {
      throw new Error(
        `${group}: stalled at ${events} events, ${merged} windows\n${daemons.map((d) => d.logTail(10)).join("\n")}`,
      );
    }
    await sleep(250);
  }
  const at = (share: number) => samples.find((s) => s.events >= share * EVENTS) as (typeof samples)[number];
  const [from, to] = [at(0.2), at(0.8)];
  const rate = (to.events - from.events) / ((to.t - from.t) / 1000);
  const cpuPerEvent = ((to.cpu - from.cpu) / (to.events - from.events)) * 1e6;
  const cpuShare = (to.cpu - from.cpu) / (to.machine - from.machine);
  const peaks = daemons.map((d) => peakRss(d.pid));
  await Promise.all(daemons.map((d) => d.stop(60_000)));
  return {
    instances,
    mode,
    rate,
    latencyMs: (doneAt as number) - (consumedAt as number),
    mergeLagSecs: mergeLag,
    peakRssMiB: peaks,
    partialBytes,
    cpuPerEvent,
    cpuShare,
  };
}

async function main(): Promise<void> {
  const rounds = knob("BENCH_SCALE_ROUNDS", 1);
  const load = () =>
    loadavg()
      .map((l) => l.toFixed(2))
      .join(" ");
  console.log(
    `== node ${process.version}, load average ${load()}; ${EVENTS} events on ${PARTITIONS} partitions, windows of ${WINDOW} events per partition (${WINDOW * PARTITIONS} per cluster window)`,
  );
  writeFiles();
  let broker: KafkaBroker | null = null;
  process.once("SIGINT", () => {
    void killAllDaemons()
      .then(() => broker?.stop())
      .then(() => process.exit(130));
  });
  try {
    broker = await startKafka();
    await createTopic(broker.brokers, TOPIC, PARTITIONS);
    const produced = await produce(broker.brokers);
    console.log(`produced at ${Math.round(produced)} events/s`);
    const runs: Run[] = [];
    for (let round = 0; round < rounds; round++)
      for (const mode of ["exact", "sketch"] as const)
        for (const instances of [1, 2]) {
          const r = await run(broker.brokers, instances, mode, round);
          runs.push(r);
          console.log(
            `${mode.padEnd(6)} ${instances} instance${instances > 1 ? "s" : " "}: ${Math.round(r.rate)} events/s, ${r.cpuPerEvent.toFixed(1)} µs CPU per event, ${(100 * r.cpuShare).toFixed(0)} % of the machine's busy CPU; last result ${(r.latencyMs / 1000).toFixed(2)} s after the last event was consumed (merge lag ${r.mergeLagSecs.toFixed(2)} s), peak RSS ${r.peakRssMiB.map((m) => m.toFixed(0)).join(" + ")} MiB, partial ${(r.partialBytes / 1024).toFixed(0)} KiB; load ${load()}`,
          );
        }
    for (const mode of ["exact", "sketch"] as const) {
      const median = (instances: number) => {
        const rates = runs
          .filter((r) => r.mode === mode && r.instances === instances)
          .map((r) => r.rate)
          .sort((a, b) => a - b);
        const mid = rates.length / 2;
        return rates.length % 2 === 1 ? rates[Math.floor(mid)] : (rates[mid - 1] + rates[mid]) / 2;
      };
      console.log(`${mode}: 2 instances / 1 instance = ${(median(2) / median(1)).toFixed(2)} (goal ≥ 1.7)`);
    }
  } finally {
    await killAllDaemons();
    await broker?.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
