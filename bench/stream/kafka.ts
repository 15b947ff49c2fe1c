/**
 * Part 2: end to end from a real broker. The benchmark messages are produced once to a topic with
 * a few partitions; then, round by round, a bare kafkajs consumer (JSON.parse only) and the
 * daemon's `Pipeline` with a kafka source each consume the whole topic in a fresh consumer group.
 *
 * Both consume with the same client settings (`kafkaClient`) and the same consumer options as
 * `KafkaSource` (eachBatch, no auto-commit). Each side's throughput is counted from the moment
 * it joined its group (kafkajs' GROUP_JOIN) until every message has been processed: for the
 * baseline, parsed; for the pipeline, included in its positions (so decoded, windowed and, where a
 * window closed, evaluated). Connecting and joining, which are the same on both sides, are timed
 * apart. Completion is polled every 10 ms on both sides.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import avro from "avsc";
import { type Consumer, Kafka, logLevel, Partitioners } from "kafkajs";
import { Logger } from "../../src/log.js";
import { kafkaClient } from "../../src/sources/kafka-client.js";
import { createTopic, type KafkaBroker, startKafka } from "../../test/support/kafka.js";
import { eventAvroSchema, eventText } from "./events.js";
import {
  acceptedEvents,
  collectGarbage,
  createPipeline,
  freshStateDir,
  type MonitorShape,
  quietLog,
  type RunSummary,
  summarise,
  type Timing,
  workDir,
  writeConfig,
} from "./harness.js";

const TOPIC = "bench-stream";

/** The events' Avro type (the same schema the pipeline's source is given as `value_schema`). */
const avroType = avro.Type.forSchema(eventAvroSchema as avro.Schema, { wrapUnions: "never" });
/** Messages per produce request (about 300 KB per partition's record batch). */
const PRODUCE_BATCH = 1500;
const PRODUCE_IN_FLIGHT = 4;
const POLL_MS = 10;
/** A run that makes no progress for this long has failed. */
const STALL_MS = 60_000;

/** Options of part 2. */
export interface KafkaOptions extends MonitorShape {
  /** The wire format of the messages: JSON text (default) or bare Avro records. */
  readonly format?: "json" | "avro";
  readonly messages: number;
  readonly partitions: number;
  readonly rounds: number;
}

/** One consumer's run: from `start` to joining the group, and from joining to the last message. */
interface KafkaRun {
  readonly joinMs: number;
  readonly consume: Timing;
}

/** What part 2 reports. */
export interface KafkaResult {
  readonly baseline: RunSummary;
  readonly pipeline: RunSummary;
  readonly baselineJoinMs: readonly number[];
  readonly pipelineJoinMs: readonly number[];
  readonly produceRate: number;
  readonly evaluations: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `done()` reaches `total`, polling; throws when progress stalls. */
async function waitFor(what: string, done: () => number, total: number): Promise<void> {
  let last = -1;
  let lastChange = Date.now();
  for (;;) {
    const n = done();
    if (n >= total) return;
    if (n !== last) {
      last = n;
      lastChange = Date.now();
    } else if (Date.now() - lastChange > STALL_MS) {
      throw new Error(`${what}: stalled at ${n} of ${total} messages`);
    }
    await sleep(POLL_MS);
  }
}

async function produce(
  brokers: string[],
  messages: number,
  partitions: number,
  format: "json" | "avro",
): Promise<number> {
  const kafka = new Kafka({ clientId: "driftwatch-bench-producer", brokers, logLevel: logLevel.WARN });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const started = performance.now();
  try {
    let next = 0;
    const sendNext = async (): Promise<void> => {
      while (next < messages) {
        const from = next;
        next = Math.min(messages, next + PRODUCE_BATCH);
        const batch = [];
        for (let i = from; i < next; i++)
          batch.push({
            partition: i % partitions,
            value: format === "avro" ? avroType.toBuffer(JSON.parse(eventText(i))) : eventText(i),
          });
        await producer.send({ topic: TOPIC, acks: -1, messages: batch });
      }
    };
    await Promise.all(Array.from({ length: PRODUCE_IN_FLIGHT }, sendNext));
  } finally {
    await producer.disconnect();
  }
  const seconds = (performance.now() - started) / 1000;
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(TOPIC);
    const total = offsets.reduce((sum, p) => sum + Number(p.high), 0);
    if (total !== messages) throw new Error(`topic holds ${total} messages, produced ${messages}`);
  } finally {
    await admin.disconnect();
  }
  return messages / seconds;
}

/**
 * The baseline: a consumer like KafkaSource's whose batch handler only decodes: JSON.parse, or
 * avsc's `fromBuffer` with the same library and schema the pipeline's Avro decoder uses.
 */
async function runBaseline(
  brokers: string[],
  group: string,
  total: number,
  format: "json" | "avro",
): Promise<KafkaRun> {
  const consumer: Consumer = kafkaClient(
    { brokers, resolvePath: (path) => path },
    "driftwatch-bench",
    quietLog,
  ).consumer({
    groupId: group,
    allowAutoTopicCreation: false,
  });
  let parsed = 0;
  let joined = 0;
  let cpuAtJoin = process.cpuUsage();
  consumer.on(consumer.events.GROUP_JOIN, () => {
    joined = performance.now();
    cpuAtJoin = process.cpuUsage();
  });
  collectGarbage();
  const started = performance.now();
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [TOPIC], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch, heartbeat, isRunning, isStale }) => {
        if (!isRunning() || isStale()) return;
        for (const message of batch.messages) {
          const value = message.value ?? Buffer.alloc(0);
          const event = format === "avro" ? avroType.fromBuffer(value) : JSON.parse(value.toString("utf8"));
          if (event !== null) parsed++;
        }
        await heartbeat();
      },
    });
    await waitFor("baseline consumer", () => parsed, total);
    const cpu = process.cpuUsage(cpuAtJoin);
    return {
      joinMs: joined - started,
      consume: { wallMs: performance.now() - joined, cpuMs: (cpu.user + cpu.system) / 1000 },
    };
  } finally {
    await consumer.disconnect();
  }
}

/** The daemon's pipeline with a kafka source in a fresh group and a fresh state dir. */
async function runPipeline(
  brokers: string[],
  group: string,
  total: number,
  shape: MonitorShape,
  format: "json" | "avro",
): Promise<KafkaRun & { evaluations: number }> {
  let decoding = {};
  if (format === "avro") {
    mkdirSync(workDir, { recursive: true });
    const schema = join(workDir, "event.avsc");
    writeFileSync(schema, JSON.stringify(eventAvroSchema));
    decoding = { format: "avro", value_schema: schema };
  }
  const loaded = writeConfig(
    `kafka-${format}`,
    { type: "kafka", brokers, topic: TOPIC, group_id: group, client_id: "driftwatch-bench", ...decoding },
    shape,
  );
  let joined = 0;
  let cpuAtJoin = process.cpuUsage();
  // Info lines are dropped (the benchmark stays quiet) except the one that says the group was joined.
  const log = new Logger("info", {}, (line) => {
    if (line.includes('msg="joined consumer group"')) {
      joined = performance.now();
      cpuAtJoin = process.cpuUsage();
    } else if (!line.includes(" level=info ")) {
      process.stderr.write(line);
    }
  });
  let evaluations = 0;
  const pipeline = await createPipeline(loaded, freshStateDir(group), {
    log,
    onResult: () => {
      evaluations++;
    },
  });
  collectGarbage();
  const started = performance.now();
  try {
    await pipeline.start();
    const processed = () => {
      let n = 0;
      for (const next of Object.values(pipeline.currentPositions.bench ?? {})) n += next;
      return n;
    };
    await waitFor("pipeline", processed, total);
    const cpu = process.cpuUsage(cpuAtJoin);
    const run = {
      joinMs: joined - started,
      consume: { wallMs: performance.now() - joined, cpuMs: (cpu.user + cpu.system) / 1000 },
      evaluations,
    };
    const accepted = await acceptedEvents(pipeline);
    if (accepted !== total) throw new Error(`pipeline accepted ${accepted} of ${total} messages`);
    return run;
  } finally {
    await pipeline.stop();
  }
}

/** Runs part 2: starts a broker, produces, consumes round by round, and stops the broker. */
export async function benchKafka(options: KafkaOptions): Promise<KafkaResult> {
  let broker: KafkaBroker | undefined;
  // On Ctrl-C, stop the broker before exiting (startKafka's exit hook covers one still starting).
  const stopBroker = () => {
    (broker?.stop() ?? Promise.resolve()).catch(() => {}).finally(() => process.exit(130));
  };
  process.once("SIGINT", stopBroker);
  process.once("SIGTERM", stopBroker);
  try {
    broker = await startKafka();
    const brokers = broker.brokers;
    await createTopic(brokers, TOPIC, options.partitions);
    const format = options.format ?? "json";
    const produceRate = await produce(brokers, options.messages, options.partitions, format);

    const baselineRuns: KafkaRun[] = [];
    const pipelineRuns: KafkaRun[] = [];
    let evaluations = 0;
    for (let round = 0; round < options.rounds; round++) {
      const baseline = () => runBaseline(brokers, `bench-baseline-${round}`, options.messages, format);
      const pipeline = () =>
        runPipeline(brokers, `bench-pipeline-${round}`, options.messages, options, format);
      if (round % 2 === 0) {
        baselineRuns.push(await baseline());
        const run = await pipeline();
        pipelineRuns.push(run);
        evaluations = run.evaluations;
      } else {
        const run = await pipeline();
        pipelineRuns.push(run);
        evaluations = run.evaluations;
        baselineRuns.push(await baseline());
      }
    }
    return {
      baseline: summarise(
        baselineRuns.map((r) => r.consume),
        options.messages,
      ),
      pipeline: summarise(
        pipelineRuns.map((r) => r.consume),
        options.messages,
      ),
      baselineJoinMs: baselineRuns.map((r) => r.joinMs),
      pipelineJoinMs: pipelineRuns.map((r) => r.joinMs),
      produceRate,
      evaluations,
    };
  } finally {
    process.removeListener("SIGINT", stopBroker);
    process.removeListener("SIGTERM", stopBroker);
    await broker?.stop();
  }
}
