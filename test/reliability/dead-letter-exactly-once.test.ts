import { strict as assert } from "node:assert";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { type Admin, Kafka, logLevel, Partitioners, type Producer } from "kafkajs";
import type { DriftMonitorState } from "../../src/drift/monitor.js";
import type { Checkpoint } from "../../src/state/checkpoint.js";
import { type Daemon, killAllDaemons, poll, readCheckpoint, startDaemon } from "../support/daemon.js";
import { createTopic, type KafkaBroker, startKafka } from "../support/kafka.js";

const N = 4500;
/**
 * Messages a stream may send before its kill: at 200 a second, 5 s for a kill condition to hold.
 * A stream runs until its kill and a little after, so no fixed range can end before the kill.
 */
const STREAM_BUDGET = 1000;
/** Messages each stream sends after its kill, for the next run to find waiting. */
const STREAM_TAIL = 40;
const PARTITIONS = 3;
/** kafkajs retries a join for as long as a killed member's session lasts (6 s in this config). */
const RESTART_MS = 30_000;
const PROCESS_MS = 20_000;

interface Message {
  readonly partition: number;
  readonly key: string;
  readonly value: Buffer;
  readonly valid: boolean;
}

/**
 * The stream: mostly valid events, with schema violations, malformed JSON, and malformed events
 * whose bytes are not UTF-8. Message i goes to partition i % 3, so its offset there is ⌊i / 3⌋.
 */
const MESSAGES: readonly Message[] = Array.from({ length: N }, (_, i) => {
  const partition = i % PARTITIONS;
  const key = `k${i}`;
  if (i % 10 === 3)
    return { partition, key, value: Buffer.from(JSON.stringify({ x: `bad-${i}` })), valid: false };
  if (i % 10 === 7)
    return {
      partition,
      key,
      value: Buffer.concat([Buffer.from('{"x":'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from(`${i}}`)]),
      valid: false,
    };
  if (i % 25 === 11) return { partition, key, value: Buffer.from(`{"x":${i},`), valid: false };
  return { partition, key, value: Buffer.from(JSON.stringify({ x: i })), valid: true };
});
const VALID = MESSAGES.filter((m) => m.valid).length;
/** Each rejected message by its origin `partition/offset`, with its bytes. */
const REJECTED = new Map(
  MESSAGES.flatMap((m, i) =>
    m.valid ? [] : [[`${m.partition}/${Math.floor(i / PARTITIONS)}`, m.value] as const],
  ),
);

const sumOf = (positions: Readonly<Record<string, number>>) =>
  Object.values(positions).reduce((a, b) => a + b, 0);

/** Events a drift monitor's state holds (its window never closes in this test). */
function eventsIn(checkpoint: Checkpoint, monitor: string): number {
  const state = (checkpoint.monitors[monitor] as { state: DriftMonitorState }).state;
  return state.window.emitted * 1_000_000 + (state.window.open?.events ?? 0);
}

// Dead letters were at-least-once: every kill -9 left letters written for events beyond the last
// checkpoint, and the restart wrote them again (117–446 duplicate lines per trial in the file).
describe("dead letters under kill -9", () => {
  let kafka: KafkaBroker | undefined;
  let client: Kafka;
  let admin: Admin | undefined;
  let producer: Producer | undefined;
  let work = "";

  before(async function () {
    this.timeout(6 * 60_000);
    assert.ok(existsSync("dist/cli/main.js"), "run `npm run build` first (npm test does)");
    kafka = await startKafka();
    client = new Kafka({ clientId: "dead-letter-test", brokers: kafka.brokers, logLevel: logLevel.WARN });
    admin = client.admin();
    await admin.connect();
    producer = client.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    work = mkdtempSync(join(tmpdir(), "driftwatch-dl-once-"));
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

  /** Produces messages [from, to) to both input topics, in order. */
  async function produce(from: number, to: number): Promise<void> {
    const slice = MESSAGES.slice(from, to).map(({ partition, key, value }) => ({ partition, key, value }));
    for (const topic of ["in.file", "in.topic"]) await producer?.send({ topic, acks: -1, messages: slice });
  }

  /**
   * Produces messages from `from` on, `perTick` at a time every `tickMs`, in the background, until
   * `to` or until `stop(tail)` has let `tail` more go out.
   */
  function produceSteadily(from: number, to: number, perTick: number, tickMs: number) {
    let sent = from;
    let end = to;
    const done = (async () => {
      while (sent < end) {
        const started = Date.now();
        const next = Math.min(end, sent + perTick);
        await produce(sent, next);
        sent = next;
        await new Promise((r) => setTimeout(r, Math.max(0, tickMs - (Date.now() - started))));
      }
    })();
    return {
      done,
      sent: () => sent,
      stop: (tail: number) => {
        end = Math.min(end, sent + tail);
      },
    };
  }

  async function endOffsets(topic: string): Promise<Record<string, number>> {
    const offsets = await (admin as Admin).fetchTopicOffsets(topic);
    return Object.fromEntries(offsets.map((p) => [`${topic}/${p.partition}`, Number(p.high)]));
  }

  /** Every record of the dead-letter topic a read_committed consumer sees, once their number settles. */
  async function readTopic(topic: string, expected: number) {
    const records: { origin: string; value: Buffer; reason: string }[] = [];
    const consumer = client.consumer({ groupId: `verify-${Date.now()}`, readUncommitted: false });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const header = (name: string) => message.headers?.[name]?.toString() ?? "";
        records.push({
          origin: `${header("driftwatch-partition")}/${header("driftwatch-offset")}`,
          value: message.value ?? Buffer.alloc(0),
          reason: header("driftwatch-reason"),
        });
      },
    });
    // Wait for at least the expected number, then a while longer: a duplicate would arrive too.
    let seen = -1;
    await poll(
      async () => {
        const settled = records.length >= expected && records.length === seen;
        seen = records.length;
        return settled ? true : undefined;
      },
      PROCESS_MS,
      () => `${expected} records on ${topic} (${records.length} so far)`,
      3000,
    );
    await consumer.disconnect();
    return records;
  }

  it("writes each rejected event once to a dead-letter file and a dead-letter topic, and counts each valid event once", async function () {
    this.timeout(360_000);
    for (const topic of ["in.file", "in.topic", "in.dlq"])
      await createTopic(kafka?.brokers ?? [], topic, PARTITIONS);
    const dir = mkdtempSync(join(work, "run-"));
    writeFileSync(
      join(dir, "schema.json"),
      JSON.stringify({ type: "object", properties: { x: { type: "number" } } }),
    );
    writeFileSync(
      join(dir, "reference.csv"),
      `xf,xk\n${Array.from({ length: 20 }, (_, i) => `${i},${i}`).join("\n")}\n`,
    );
    const source = (name: string, topic: string, deadLetter: string) => [
      `  ${name}:`,
      "    type: kafka",
      `    brokers: [${kafka?.brokers.join(", ")}]`,
      `    topic: ${topic}`,
      `    group_id: g-${name}`,
      "    session_timeout_secs: 6",
      "    schema: schema.json",
      `    dead_letter: ${deadLetter}`,
    ];
    const monitor = (name: string, feature: string) =>
      `  ${name}: { type: drift, features: [${feature}], reference: { type: file, path: reference.csv }, window: { type: tumbling, events: 1000000 } }`;
    const config = join(dir, "driftwatch.yaml");
    writeFileSync(
      config,
      [
        "sources:",
        ...source("f", "in.file", "{ path: dead-letter.jsonl }"),
        ...source("k", "in.topic", "{ topic: in.dlq }"),
        "features:",
        "  xf: { source: f, path: /x, type: numeric }",
        "  xk: { source: k, path: /x, type: numeric }",
        "monitors:",
        monitor("mf", "xf"),
        monitor("mk", "xk"),
        "state: { dir: state, checkpoint_interval_secs: 0.5 }",
        "",
      ].join("\n"),
    );
    const stateDir = join(dir, "state");
    mkdirSync(stateDir, { recursive: true });
    const runs: Daemon[] = [];
    const start = async () => {
      const daemon = await startDaemon({ config, stateDir, label: `run ${runs.length + 1}` });
      runs.push(daemon);
      await daemon.waitReady(RESTART_MS);
      return daemon;
    };
    const positionsOnDisk = (source: string) => sumOf(readCheckpoint(stateDir)?.positions[source] ?? {});
    /**
     * Events a run has processed beyond the checkpoint on disk, per source: what a kill leaves to
     * be read again, letters included. The scrape comes first: a checkpoint in between only lowers it.
     */
    const beyond = async (daemon: Daemon, from: { f: number; k: number }) => {
      const s = await daemon.scrape();
      const processed = (source: "f" | "k") =>
        from[source] +
        (s.value("driftwatch_events_total", { source, outcome: "valid" }) ?? 0) +
        (s.value("driftwatch_events_total", { source, outcome: "invalid" }) ?? 0);
      return { f: processed("f") - positionsOnDisk("f"), k: processed("k") - positionsOnDisk("k") };
    };
    const timeline: string[] = [];
    const note = (line: string) => {
      timeline.push(line);
      console.log(`      ${line}`);
    };
    let produced = 0;
    /**
     * Starts a run, then produces messages steadily from where the last stream ended; kills the run
     * once `ready` holds and each source has 15 events beyond the checkpoint; lets the stream send
     * its tail, which the next run finds waiting.
     */
    const killWhen = async (label: string, ready: (daemon: Daemon, sent: number) => Promise<boolean>) => {
      const from = { f: positionsOnDisk("f"), k: positionsOnDisk("k") };
      const daemon = await start();
      // The stream starts once both consumers have joined their groups: on a loaded machine a
      // join can take seconds, which the stream's budget is not meant to cover.
      await daemon.waitFor(
        (s) =>
          s.value("driftwatch_source_up", { source: "f" }) === 1 &&
          s.value("driftwatch_source_up", { source: "k" }) === 1,
        RESTART_MS,
        `${label}: both sources consuming`,
      );
      const first = produced;
      const stream = produceSteadily(first, first + STREAM_BUDGET, 20, 100);
      let seen = { f: 0, k: 0 };
      const at = await poll(
        async () => {
          if (!(await ready(daemon, stream.sent() - first))) return undefined;
          seen = await beyond(daemon, from);
          return seen.f >= 15 && seen.k >= 15 ? seen : undefined;
        },
        PROCESS_MS,
        () =>
          `${label}: 15 events beyond the checkpoint in both sources (last seen ${JSON.stringify(seen)})\n${daemon.logTail()}`,
        5,
      );
      await daemon.kill();
      const sent = stream.sent();
      note(`${label}: killed with ${at.f} + ${at.k} events beyond the checkpoint, ${sent - first} sent`);
      assert.ok(
        sent < first + STREAM_BUDGET,
        `the stream was still flowing at ${label}: its condition held within ${STREAM_BUDGET} messages (${timeline.join("; ")})`,
      );
      stream.stop(STREAM_TAIL);
      await stream.done;
      produced = stream.sent();
    };

    // Kill 1: soon after start.
    await killWhen("kill 1", async () => true);
    // Kill 2: mid-stream, after a few checkpoints.
    await killWhen("kill 2", async (daemon, sent) => {
      const checkpoints =
        (await daemon.scrape()).value("driftwatch_checkpoints_total", { outcome: "ok" }) ?? 0;
      return checkpoints >= 3 && sent >= 150;
    });
    // Kill 3: just after a checkpoint, while events keep arriving.
    const before3 = readCheckpoint(stateDir)?.written_at ?? 0;
    await killWhen(
      "kill 3",
      async (_daemon, sent) => (readCheckpoint(stateDir)?.written_at ?? 0) > before3 && sent >= 100,
    );

    // The last run gets the rest and stops cleanly once its checkpoint covers both topics.
    const run4 = await start();
    await produce(produced, N);
    const end = { f: await endOffsets("in.file"), k: await endOffsets("in.topic") };
    await poll(
      () => {
        const checkpoint = readCheckpoint(stateDir);
        return checkpoint !== null &&
          isDeepStrictEqual(checkpoint.positions.f, end.f) &&
          isDeepStrictEqual(checkpoint.positions.k, end.k)
          ? true
          : undefined;
      },
      PROCESS_MS,
      () => `a checkpoint at the end of both topics (${timeline.join("; ")})\n${run4.logTail()}`,
      100,
    );
    await run4.stop();
    const last = readCheckpoint(stateDir) as Checkpoint;
    assert.equal(eventsIn(last, "mf"), VALID, "every valid event of in.file counted once");
    assert.equal(eventsIn(last, "mk"), VALID, "every valid event of in.topic counted once");

    // The dead-letter file: whole lines, each rejected event once, with its original bytes.
    const text = readFileSync(join(dir, "dead-letter.jsonl"), "utf8");
    assert.ok(text.endsWith("\n"), "no torn line");
    const lines = text
      .slice(0, -1)
      .split("\n")
      .map(
        (line) =>
          JSON.parse(line) as {
            kafka: { partition: number; offset: string };
            value?: string;
            value_base64?: string;
          },
      );
    const inFile = new Map<string, Buffer>();
    const fileDuplicates: string[] = [];
    for (const line of lines) {
      const origin = `${line.kafka.partition}/${line.kafka.offset}`;
      if (inFile.has(origin)) fileDuplicates.push(origin);
      const bytes =
        line.value_base64 !== undefined
          ? Buffer.from(line.value_base64, "base64")
          : Buffer.from(line.value ?? "");
      inFile.set(origin, bytes);
    }
    assert.deepEqual(fileDuplicates, [], `no rejected event twice in the file (${timeline.join("; ")})`);
    assert.deepEqual(
      [...inFile.keys()].sort(),
      [...REJECTED.keys()].sort(),
      "every rejected event in the file",
    );
    for (const [origin, bytes] of REJECTED)
      assert.deepEqual(inFile.get(origin), bytes, `the original bytes of ${origin} in the file`);

    // The dead-letter topic, read as committed: each rejected event once, with its original bytes.
    const records = await readTopic("in.dlq", REJECTED.size);
    const onTopic = new Map<string, Buffer>();
    const topicDuplicates: string[] = [];
    for (const record of records) {
      if (onTopic.has(record.origin)) topicDuplicates.push(record.origin);
      onTopic.set(record.origin, record.value);
    }
    assert.deepEqual(topicDuplicates, [], `no rejected event twice on the topic (${timeline.join("; ")})`);
    assert.deepEqual(
      [...onTopic.keys()].sort(),
      [...REJECTED.keys()].sort(),
      "every rejected event on the topic",
    );
    for (const [origin, bytes] of REJECTED)
      assert.deepEqual(onTopic.get(origin), bytes, `the original bytes of ${origin} on the topic`);
  });
});
