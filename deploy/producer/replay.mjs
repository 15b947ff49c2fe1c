// Demo producer for `docker compose up`: waits for Kafka, creates the topic, and replays a JSON Lines
// file onto it at a steady rate, looping. Runs in the daemon's image (kafkajs is a dependency):
//
//   node deploy/producer/replay.mjs [config.json]      (default: config.json next to this script)
//
// The config's `file` is relative to the config file. KAFKA_BROKERS (comma-separated), TOPIC and
// RATE_PER_SEC override the config.
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Kafka, logLevel } from "kafkajs";

const configPath = resolve(
  process.argv[2] ?? resolve(dirname(fileURLToPath(import.meta.url)), "config.json"),
);
const config = JSON.parse(readFileSync(configPath, "utf8"));
const brokers = process.env.KAFKA_BROKERS ? process.env.KAFKA_BROKERS.split(",") : config.brokers;
const topic = process.env.TOPIC ?? config.topic;
const rate = Number(process.env.RATE_PER_SEC ?? config.rate_per_sec);
if (!(rate > 0)) throw new Error(`rate_per_sec must be positive, got ${rate}`);
const lines = readFileSync(resolve(dirname(configPath), config.file), "utf8")
  .split("\n")
  .filter((line) => line.trim() !== "");

const sleep = (ms) => new Promise((done) => setTimeout(done, ms));
const log = (msg, fields = {}) =>
  console.log(JSON.stringify({ ts: new Date().toISOString(), msg, ...fields }));

const kafka = new Kafka({ clientId: "driftwatch-demo-producer", brokers, logLevel: logLevel.WARN });

/** Retries `step` until it succeeds: Kafka may still be electing its controller. */
async function untilReady(what, step) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (error) {
      log(`waiting for Kafka (${what})`, { attempt, reason: String(error?.message ?? error) });
      await sleep(Math.min(1000 * attempt, 10_000));
    }
  }
}

const admin = kafka.admin();
await untilReady("admin connect", () => admin.connect());
const topics = [topic, config.dead_letter_topic].filter(Boolean);
await untilReady("create topics", () =>
  admin.createTopics({
    waitForLeaders: true,
    topics: topics.map((name) => ({ topic: name, numPartitions: 1, replicationFactor: 1 })),
  }),
);
await admin.disconnect();

const producer = kafka.producer({ allowAutoTopicCreation: false });
await untilReady("producer connect", () => producer.connect());

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    stopping = true;
  });
}

log("replaying", { file: config.file, events: lines.length, topic, brokers, rate_per_sec: rate });
const interval = 1000 / rate;
let next = Date.now();
let sent = 0;
for (let pass = 1; !stopping; pass++) {
  for (const line of lines) {
    if (stopping) break;
    await untilReady("send", () => producer.send({ topic, messages: [{ value: line }] }));
    sent++;
    next += interval;
    const wait = next - Date.now();
    if (wait > 0) await sleep(wait);
    else next = Date.now(); // fell behind (Kafka was away): keep the rate, do not burst
  }
  log("pass done", { pass, sent });
  if (!config.loop) break;
}
await producer.disconnect();
log("stopped", { sent });
