import { strict as assert } from "node:assert";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Admin, Kafka, logLevel, Partitioners, type Producer } from "kafkajs";
import { seededRandom } from "../../src/stats/prng.js";
import { type Daemon, killAllDaemons, poll, startDaemon } from "../support/daemon.js";
import { createTopic, type KafkaBroker, startKafka } from "../support/kafka.js";

const PARTITIONS = 6;
/** Events of one partition in each of its windows. */
const PER_PARTITION = 200;
const WINDOWS = 8;
const RESTART_MS = 45_000;
const RESULT_MS = 60_000;

interface Message {
  readonly partition: number;
  readonly value: Buffer;
  readonly valid: boolean;
}

/**
 * Each partition's stream: WINDOWS × PER_PARTITION valid events, with a malformed or
 * schema-violating one every so often. From window 4 on, x drifts upwards in partitions 0 and 1
 * only: a verdict over some partitions would differ from the cluster's.
 */
function streamOf(partition: number): Message[] {
  const next = seededRandom(1000 + partition);
  const out: Message[] = [];
  for (let i = 0; i < WINDOWS * PER_PARTITION; i++) {
    if (i % 53 === 7) out.push({ partition, value: Buffer.from(`{"x":${i},`), valid: false });
    if (i % 71 === 3)
      out.push({ partition, value: Buffer.from(JSON.stringify({ x: "text", c: "a" })), valid: false });
    const shift = i >= 4 * PER_PARTITION && partition < 2 ? 0.8 : 0;
    const x = Math.round((next() + next() + next() - 1.5 + shift) * 1e6) / 1e6;
    const c = ["a", "b", "c"][Math.floor(next() * (shift > 0 ? 2 : 3))];
    out.push({ partition, value: Buffer.from(JSON.stringify({ x, c })), valid: true });
  }
  return out;
}

const STREAMS = Array.from({ length: PARTITIONS }, (_, p) => streamOf(p));
const REJECTED = STREAMS.flat().filter((m) => !m.valid).length;

/** Event-time windows of 60 s; a partition's events come every 1.2 s of event time. */
const TIMED_WINDOWS = 10;

/**
 * Each partition's stream with event times, in slots of 60 s (its windows): partition 2 has no
 * event in slots 3 and 4 (its panes jump), partition 1 sends one event of slot 0 during slot 2
 * (late), and from slot 5 on x drifts in partitions 0 and 1.
 */
function timedStreamOf(partition: number): (Message & { readonly slot: number })[] {
  const next = seededRandom(2000 + partition);
  const out: (Message & { slot: number })[] = [];
  for (let i = 0; i < TIMED_WINDOWS * 50; i++) {
    const slot = Math.floor(i / 50);
    if (partition === 2 && (slot === 3 || slot === 4)) continue;
    const shift = slot >= 5 && partition < 2 ? 0.8 : 0;
    const x = Math.round((next() + next() + next() - 1.5 + shift) * 1e6) / 1e6;
    const c = ["a", "b", "c"][Math.floor(next() * 3)];
    const ts = 1_800_000_000_000 + i * 1200;
    out.push({ partition, slot, value: Buffer.from(JSON.stringify({ x, c, ts })), valid: true });
    if (partition === 1 && i === 120)
      out.push({
        partition,
        slot,
        value: Buffer.from(JSON.stringify({ x, c, ts: 1_800_000_000_000 })),
        valid: true,
      });
  }
  return out;
}

const TIMED = Array.from({ length: PARTITIONS }, (_, p) => timedStreamOf(p));

/** A global result as the results topic carries it, without its evaluation time. */
interface Result {
  readonly monitor: string;
  readonly window: number;
  readonly result: Record<string, unknown>;
}

describe("cluster: several instances in one group, one verdict per window", () => {
  let kafka: KafkaBroker | undefined;
  let client: Kafka;
  let admin: Admin | undefined;
  let producer: Producer | undefined;
  let work = "";

  before(async function () {
    this.timeout(6 * 60_000);
    assert.ok(existsSync("dist/cli/main.js"), "run `npm run build` first (npm test does)");
    kafka = await startKafka();
    client = new Kafka({ clientId: "cluster-test", brokers: kafka.brokers, logLevel: logLevel.WARN });
    admin = client.admin();
    await admin.connect();
    producer = client.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    work = mkdtempSync(join(tmpdir(), "driftwatch-cluster-"));
    for (const topic of ["one.in", "many.in", "outage.in", "time-one.in", "time-many.in"])
      await createTopic(kafka.brokers, topic, PARTITIONS);
  });

  afterEach(async () => {
    await killAllDaemons();
  });

  after(async function () {
    this.timeout(90_000);
    await killAllDaemons();
    await producer?.disconnect().catch(() => undefined);
    await admin?.disconnect().catch(() => undefined);
    await kafka?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /**
   * Produces to `topic` each partition's messages from its window `fromWindow` to `toWindow`
   * (fractions allowed), invalid messages going with the valid event they precede.
   */
  async function produce(topic: string, fromWindow: number, toWindow: number): Promise<void> {
    for (const stream of STREAMS) {
      // Message indices of the valid events that begin the windows, so that letters go with their window.
      const validAt: number[] = [];
      stream.forEach((m, i) => {
        if (m.valid) validAt.push(i);
      });
      const start = fromWindow === 0 ? 0 : validAt[Math.round(fromWindow * PER_PARTITION)];
      const end = toWindow >= WINDOWS ? stream.length : validAt[Math.round(toWindow * PER_PARTITION)];
      const slice = stream.slice(start, end);
      for (let i = 0; i < slice.length; i += 500)
        await producer?.send({
          topic,
          acks: -1,
          messages: slice.slice(i, i + 500).map((m) => ({ partition: m.partition, value: m.value })),
        });
    }
  }

  /** Produces to `topic` each partition's timed messages of slots [from, to). */
  async function produceTimed(topic: string, from: number, to: number): Promise<void> {
    for (const stream of TIMED) {
      const slice = stream.filter((m) => m.slot >= from && m.slot < to);
      if (slice.length > 0)
        await producer?.send({
          topic,
          acks: -1,
          messages: slice.map((m) => ({ partition: m.partition, value: m.value })),
        });
    }
  }

  function configFor(group: string, windows: "count" | "time" = "count"): string {
    const dir = mkdtempSync(join(work, `${group}-`));
    writeFileSync(
      join(dir, "schema.json"),
      JSON.stringify({ type: "object", properties: { x: { type: "number" } } }),
    );
    const ref = seededRandom(7);
    const rows = Array.from(
      { length: 600 },
      () =>
        `${Math.round((ref() + ref() + ref() - 1.5) * 1e6) / 1e6},${["a", "b", "c"][Math.floor(ref() * 3)]}`,
    );
    writeFileSync(join(dir, "reference.csv"), `x,c\n${rows.join("\n")}\n`);
    const config = join(dir, "driftwatch.yaml");
    writeFileSync(
      config,
      [
        "sources:",
        "  s:",
        "    type: kafka",
        `    brokers: [${kafka?.brokers.join(", ")}]`,
        `    topic: ${group}.in`,
        `    group_id: ${group}`,
        "    session_timeout_secs: 6",
        "    schema: schema.json",
        `    dead_letter: { topic: ${group}.dlq }`,
        ...(windows === "count"
          ? ["    cluster: { count_windows: per_partition }"]
          : ["    event_time: /ts", "    cluster: { lateness_secs: 1000000 }"]),
        "features:",
        "  x: { source: s, path: /x, type: numeric }",
        "  c: { source: s, path: /c, type: categorical }",
        "monitors:",
        `  d: { type: drift, features: [x, c], reference: { type: file, path: reference.csv }, window: ${windows === "count" ? `{ type: tumbling, events: ${PER_PARTITION} }` : "{ type: tumbling, duration_secs: 60, time: event }"} }`,
        "state: { dir: state, checkpoint_interval_secs: 1 }",
        "",
      ].join("\n"),
    );
    return config;
  }

  /** Every record of a topic a read_committed consumer sees, once their number stops growing. */
  async function readTopic(topic: string, expected: number): Promise<{ key: string; value: Buffer }[]> {
    const records: { key: string; value: Buffer }[] = [];
    const consumer = client.consumer({ groupId: `verify-${topic}-${Date.now()}`, readUncommitted: false });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        records.push({ key: message.key?.toString() ?? "", value: message.value ?? Buffer.alloc(0) });
      },
    });
    let seen = -1;
    await poll(
      async () => {
        const settled = records.length >= expected && records.length === seen;
        seen = records.length;
        return settled ? true : undefined;
      },
      RESULT_MS,
      () => `${expected} records on ${topic} (${records.length} so far)`,
      3000,
    );
    await consumer.disconnect();
    return records;
  }

  const results = async (group: string, windows = WINDOWS): Promise<Result[]> =>
    (await readTopic(`${group}.driftwatch-results`, windows)).map((r) => {
      const parsed = JSON.parse(r.value.toString()) as Result;
      const { duration_secs: _d, ...result } = parsed.result;
      return { monitor: parsed.monitor, window: parsed.window, result };
    });

  /** Follows a group's results topic from the start, read-committed. */
  async function follow(group: string) {
    const seen: Result[] = [];
    const consumer = client.consumer({ groupId: `follow-${group}-${Date.now()}`, readUncommitted: false });
    await consumer.connect();
    await consumer.subscribe({ topics: [`${group}.driftwatch-results`], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const parsed = JSON.parse(message.value?.toString() ?? "") as Result;
        const { duration_secs: _d, ...result } = parsed.result;
        seen.push({ monitor: parsed.monitor, window: parsed.window, result });
      },
    });
    return {
      seen,
      /** Waits until window `index` has its result. */
      until: (index: number, daemons: readonly Daemon[]) =>
        poll(
          async () => (seen.some((r) => r.window === index) ? true : undefined),
          RESULT_MS,
          () =>
            `the result of window ${index} (have ${seen.map((r) => r.window).join(",")})\n${daemons.map((d) => `--- ${d.label}:\n${d.logTail(20)}`).join("\n")}`,
          200,
        ),
      stop: () => consumer.disconnect(),
    };
  }

  let single: Result[] | null = null;
  /** The results of one uninterrupted instance over the whole count-window stream, as group `group`'s topic names its partitions. */
  async function oneInstance(group: string): Promise<Result[]> {
    if (single === null) {
      await produce("one.in", 0, WINDOWS);
      const one = await startDaemon({
        config: configFor("one"),
        stateDir: join(work, "one-state"),
        label: "one",
      });
      await one.waitReady(RESTART_MS);
      single = await results("one");
      await one.stop();
    }
    return single.map((r) => JSON.parse(JSON.stringify(r).replaceAll("one.in/", `${group}.in/`)) as Result);
  }

  it("gives the windows of one uninterrupted instance across kill -9, a new instance and a removed one", async function () {
    this.timeout(10 * 60_000);
    const expected = await oneInstance("many");
    assert.equal(expected.length, WINDOWS, "one result per window");
    assert.ok(
      expected.some((r) => (r.result.evaluation as { dataset: { drift: boolean } }).dataset.drift),
      "the stream drifts",
    );

    // Three instances of another group, on a topic that gets the same stream in stages.
    const config = configFor("many");
    const stateOf = (n: number) => {
      const dir = join(work, `many-${n}`);
      mkdirSync(dir, { recursive: true });
      return dir;
    };
    const start = async (n: number) => {
      const d = await startDaemon({ config, stateDir: stateOf(n), label: `instance ${n}` });
      await d.waitReady(RESTART_MS);
      return d;
    };
    const instances = [await start(1), await start(2), await start(3)];
    // The first instance created the cluster's topics.
    const results$ = await follow("many");
    /** The instance that merges now (its leader gauge), once one does. */
    const leader = async (among: readonly Daemon[]) =>
      poll(
        async () => {
          for (const d of among)
            if (
              (await d.scrape().catch(() => null))?.value("driftwatch_cluster_leader", { source: "s" }) === 1
            )
              return d;
          return undefined;
        },
        RESTART_MS,
        () => "an instance leading the merges",
        200,
      );
    // Halfway through window 3: every partition's window 3 is open when the merger dies.
    await produce("many.in", 0, 3.5);
    await results$.until(2, instances);
    const first = await leader(instances);
    await first.kill();
    const rest = instances.filter((d) => d !== first);
    await produce("many.in", 3.5, 5.5);
    const fourth = await start(4);
    rest.push(fourth);
    await results$.until(4, rest);
    // The merger again, removed cleanly this time.
    const second = await leader(rest);
    await second.stop();
    const last = rest.filter((d) => d !== second);
    await produce("many.in", 5.5, WINDOWS);
    await results$.until(WINDOWS - 1, last);
    // Partitions moved and were read again from their committed offsets, mid-stream.
    const takeovers = [...rest, ...last]
      .flatMap((d) => d.stderr.split("\n"))
      .filter((line) => line.includes("partition taken over"))
      .map((line) => Number(/resume_offset=(\d+)/.exec(line)?.[1] ?? -1));
    assert.ok(
      takeovers.some((offset) => offset > 0),
      `some partition resumed mid-stream (resume offsets ${takeovers.join(", ")})`,
    );
    await new Promise((r) => setTimeout(r, 3000));
    await results$.stop();
    const got = results$.seen;
    assert.deepEqual(
      got.map((r) => r.window).sort((x, y) => x - y),
      Array.from({ length: WINDOWS }, (_, i) => i),
      "each window once",
    );
    for (const r of got)
      assert.deepEqual(
        r,
        expected.find((e) => e.window === r.window),
        `window ${r.window} as one instance gave it`,
      );
    const letters = await readTopic("many.dlq", REJECTED);
    assert.equal(letters.length, REJECTED, "each rejected event once in the dead-letter topic");
    await Promise.all(last.map((d) => d.stop()));
  });

  it("publishes every window once across a broker restart in the middle of a window", async function () {
    this.timeout(6 * 60_000);
    const expected = await oneInstance("outage");
    const config = configFor("outage");
    const daemons: Daemon[] = [];
    for (const n of [1, 2]) {
      const stateDir = join(work, `outage-${n}`);
      mkdirSync(stateDir, { recursive: true });
      const d = await startDaemon({ config, stateDir, label: `outage instance ${n}` });
      await d.waitReady(RESTART_MS);
      daemons.push(d);
    }
    const results$ = await follow("outage");
    await produce("outage.in", 0, 3.5);
    await results$.until(2, daemons);
    // The brokers go away with windows open on every partition, and come back.
    await kafka?.restart();
    await produce("outage.in", 3.5, WINDOWS);
    await results$.until(WINDOWS - 1, daemons);
    await new Promise((r) => setTimeout(r, 3000));
    await results$.stop();
    assert.deepEqual(
      results$.seen.map((r) => r.window).sort((a, b) => a - b),
      Array.from({ length: WINDOWS }, (_, i) => i),
      "each window once",
    );
    for (const r of results$.seen)
      assert.deepEqual(
        r,
        expected.find((e) => e.window === r.window),
        `window ${r.window} as one instance gave it`,
      );
    const letters = await readTopic("outage.dlq", REJECTED);
    assert.equal(letters.length, REJECTED, "each rejected event once in the dead-letter topic");
    await Promise.all(daemons.map((d) => d.stop(60_000)));
  });

  it("cuts event-time windows per partition, through empty panes, a late event and a kill -9, as one instance does", async function () {
    this.timeout(6 * 60_000);
    // The last window never closes: no event comes after it. Partition 2's panes jump from 2 to 5.
    const closing = TIMED_WINDOWS - 1;
    await produceTimed("time-one.in", 0, TIMED_WINDOWS);
    const one = await startDaemon({
      config: configFor("time-one", "time"),
      stateDir: join(work, "time-one-state"),
      label: "time one",
    });
    await one.waitReady(RESTART_MS);
    const expected = (await results("time-one", closing)).map(
      (r) => JSON.parse(JSON.stringify(r).replaceAll("time-one.in/", "time-many.in/")) as Result,
    );
    const late = (await one.scrape()).value("driftwatch_window_late_events_total", { monitor: "d" });
    await one.stop();
    assert.deepEqual(
      expected.map((r) => r.window).sort((a, b) => a - b),
      Array.from({ length: closing }, (_, i) => 30_000_000 + i),
      "one result per closed window, indexed by its span",
    );
    assert.equal(late, 1, "the late event counted");
    const third = expected.find((r) => r.window === 30_000_003)?.result.window as
      | { offsets: Record<string, unknown> }
      | undefined;
    assert.ok(third !== undefined && third.offsets["time-many.in/1"] !== undefined);
    assert.equal(third.offsets["time-many.in/2"], undefined, "partition 2 has no events in window 3");

    const config = configFor("time-many", "time");
    const start = async (n: number) => {
      const stateDir = join(work, `time-many-${n}`);
      mkdirSync(stateDir, { recursive: true });
      const d = await startDaemon({ config, stateDir, label: `time instance ${n}` });
      await d.waitReady(RESTART_MS);
      return d;
    };
    const first = [await start(1), await start(2)];
    const results$ = await follow("time-many");
    // Partition 2's pane of window 2 closes only with its next event, in slot 5: windows 2 to 4
    // are open on every instance when one dies.
    await produceTimed("time-many.in", 0, 5);
    await results$.until(30_000_001, first);
    await first[0].kill();
    const added = await start(3);
    await produceTimed("time-many.in", 5, TIMED_WINDOWS);
    await results$.until(30_000_000 + closing - 1, [first[1], added]);
    await new Promise((r) => setTimeout(r, 3000));
    await results$.stop();
    assert.deepEqual(
      results$.seen.map((r) => r.window).sort((a, b) => a - b),
      expected.map((r) => r.window).sort((a, b) => a - b),
      "each window once",
    );
    for (const r of results$.seen)
      assert.deepEqual(
        r,
        expected.find((e) => e.window === r.window),
        `window ${r.window} as one instance gave it`,
      );
    await Promise.all([first[1].stop(), added.stop()]);
  });
});
