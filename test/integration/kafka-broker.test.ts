import assert from "node:assert/strict";
import { type Admin, type Consumer, Kafka, logLevel, Partitioners, type Producer } from "kafkajs";
import { createTopic, type KafkaBroker, startKafka } from "../support/kafka.js";

const MESSAGE_COUNT = 1000;
const PARTITIONS = 3;
const CONSUME_TIMEOUT_MS = 30_000;

describe("kafka broker (scripts/kafka-up.sh)", () => {
  const topic = "broker-check";
  const groupId = "broker-check-group";
  let kafka: KafkaBroker | undefined;
  let client: Kafka;
  let admin: Admin | undefined;
  let producer: Producer | undefined;
  let consumer: Consumer | undefined;

  before(async function () {
    // The first run fetches the broker jars from Maven Central; later runs start in seconds.
    // startKafka bounds the script at 5 min and readiness at 30 s, so its own error comes first.
    this.timeout(6 * 60_000);
    kafka = await startKafka();
    await createTopic(kafka.brokers, topic, PARTITIONS);
    client = new Kafka({ clientId: "kafka-broker-test", brokers: kafka.brokers, logLevel: logLevel.WARN });
    admin = client.admin();
    await admin.connect();
  });

  after(async function () {
    this.timeout(90_000);
    await consumer?.disconnect().catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
    await admin?.disconnect().catch(() => undefined);
    await kafka?.stop();
  });

  it("delivers every produced message once to a group that commits manually", async () => {
    assert.ok(admin, "admin client connected in before()");

    // Distinct keys spread the messages over all partitions through the default (murmur2) partitioner.
    producer = client.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    for (let start = 0; start < MESSAGE_COUNT; start += 100) {
      const messages = Array.from({ length: 100 }, (_, j) => ({
        key: `key-${start + j}`,
        value: String(start + j),
      }));
      await producer.send({ topic, acks: -1, messages });
    }

    const endOffsets = await admin.fetchTopicOffsets(topic);
    assert.equal(endOffsets.length, PARTITIONS);
    assert.equal(
      endOffsets.reduce((sum, p) => sum + Number(p.high), 0),
      MESSAGE_COUNT,
    );
    for (const p of endOffsets) assert.ok(Number(p.high) > 0, `partition ${p.partition} got no messages`);

    const seen: number[] = [];
    const gaps: string[] = [];
    const nextOffset = new Map<number, bigint>();
    let allConsumed: () => void = () => undefined;
    const done = new Promise<void>((resolve) => {
      allConsumed = resolve;
    });

    consumer = client.consumer({ groupId });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const running = consumer;
    await running.run({
      autoCommit: false,
      eachBatch: async ({ batch, heartbeat }) => {
        if (batch.messages.length === 0) return;
        for (const message of batch.messages) {
          const offset = BigInt(message.offset);
          const expected = nextOffset.get(batch.partition) ?? 0n;
          // Recorded, not asserted: a throw here would only make kafkajs retry the batch.
          if (offset !== expected) {
            gaps.push(`partition ${batch.partition}: got ${offset}, expected ${expected}`);
          }
          seen.push(Number(message.value?.toString()));
          nextOffset.set(batch.partition, offset + 1n);
        }
        // Manual commit after the batch is processed: the committed offset is the next one to read.
        await running.commitOffsets([
          { topic, partition: batch.partition, offset: String(nextOffset.get(batch.partition)) },
        ]);
        await heartbeat();
        if (seen.length >= MESSAGE_COUNT) allConsumed();
      },
    });

    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`consumed ${seen.length} of ${MESSAGE_COUNT} in ${CONSUME_TIMEOUT_MS} ms`)),
        CONSUME_TIMEOUT_MS,
      );
    });
    try {
      await Promise.race([done, timeout]);
    } finally {
      clearTimeout(timer);
    }
    await consumer.disconnect();
    consumer = undefined;

    assert.deepEqual(gaps, [], "each partition is read in order, without gaps or repeats");
    assert.equal(seen.length, MESSAGE_COUNT);
    assert.deepEqual(
      [...seen].sort((a, b) => a - b),
      Array.from({ length: MESSAGE_COUNT }, (_, i) => i),
    );

    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    assert.ok(committed, "group has committed offsets for the topic");
    assert.equal(committed.partitions.length, PARTITIONS);
    for (const { partition, offset } of committed.partitions) {
      const high = endOffsets.find((p) => p.partition === partition)?.high;
      assert.equal(offset, String(nextOffset.get(partition)), `partition ${partition} commit = consumed`);
      assert.equal(offset, high, `partition ${partition} commit = end offset`);
    }
  });
});
