import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SchemaRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import { Kafka, logLevel, Partitioners, type Producer } from "kafkajs";
import protobuf from "protobufjs";
import { loadConfig } from "../../src/config/load.js";
import { Logger } from "../../src/log.js";
import { Pipeline } from "../../src/pipeline.js";
import { type Daemon, killAllDaemons, poll, startDaemon } from "../support/daemon.js";
import { createTopic, type KafkaBroker, startKafka } from "../support/kafka.js";
import { SchemaRegistryStandIn } from "../support/schema-registry.js";
import { makeTestPki, type TestPki, unsecuredToken } from "../support/tls.js";

// A real broker with a SASL_SSL listener (certificates made here with openssl, SCRAM users
// written when its storage is formatted): the daemon consumes through every mechanism and writes
// its dead letters through the same secured connection; every misconfiguration keeps it running,
// not ready, saying why in one line, and retrying.

const SECRET = "alice-s3cret-do-not-leak";
const DEMO = readFileSync("drift/demo/seattle-weather.jsonl", "utf8").trimEnd().split("\n");

describe("driftwatch run against a secured Kafka cluster (SASL_SSL)", () => {
  let kafka: KafkaBroker;
  let pki: TestPki;
  let work: string;
  let producer: Producer;
  let plain: Kafka;
  const daemons: Daemon[] = [];

  before(async function () {
    this.timeout(6 * 60_000);
    work = mkdtempSync(join(tmpdir(), "driftwatch-secured-"));
    pki = makeTestPki(work);
    kafka = await startKafka({
      saslSsl: { keystore: pki.brokerKeystore, truststore: pki.ca, users: `alice:${SECRET}` },
    });
    // The test's own producer uses the plaintext listener: what is under test is the daemon's side.
    plain = new Kafka({ clientId: "secured-test", brokers: kafka.brokers, logLevel: logLevel.NOTHING });
    producer = plain.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    writeFileSync(join(work, "password.txt"), `${SECRET}\n`);
    writeFileSync(join(work, "token.txt"), unsecuredToken("alice"));
    process.env.DRIFTWATCH_TEST_KAFKA_PASSWORD = SECRET;
  });

  afterEach(async () => {
    for (const daemon of daemons.splice(0)) await daemon.kill();
  });

  after(async function () {
    this.timeout(60_000);
    delete process.env.DRIFTWATCH_TEST_KAFKA_PASSWORD;
    await killAllDaemons();
    await producer?.disconnect();
    await kafka?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  /** A config reading `topic` through the secured listener with `security` (YAML, indented 4). */
  function config(name: string, topic: string, security: string, brokers = kafka.secureBrokers): string {
    const file = join(work, `${name}.yaml`);
    writeFileSync(
      file,
      `sources:
  inputs:
    type: kafka
    brokers: [${brokers.join(", ")}]
    topic: ${topic}
    group_id: ${name}
    session_timeout_secs: 6
    dead_letter: { topic: ${topic}.dlq }
${security}
features:
  temp_max: { source: inputs, path: /temp_max, type: numeric }
monitors:
  drift:
    type: drift
    features: [temp_max]
    reference: { type: first, events: 20 }
    window: { type: tumbling, events: 20 }
`,
    );
    return file;
  }

  async function daemonOf(file: string, name: string): Promise<Daemon> {
    const daemon = await startDaemon({ config: file, stateDir: join(work, `${name}-state`), label: name });
    daemons.push(daemon);
    return daemon;
  }

  const cases: [string, string][] = [
    [
      "scram-sha-256 with the password from the environment and mutual TLS",
      `    tls: { ca_file: ca.pem, cert_file: client.crt, key_file: client.key }
    sasl: { mechanism: scram-sha-256, username: alice, password_env: DRIFTWATCH_TEST_KAFKA_PASSWORD }`,
    ],
    [
      "scram-sha-512 with the password from a file",
      `    tls: { ca_file: ca.pem }
    sasl: { mechanism: scram-sha-512, username: alice, password_file: password.txt }`,
    ],
    [
      "plain",
      `    tls: { ca_file: ca.pem }
    sasl: { mechanism: plain, username: alice, password_env: DRIFTWATCH_TEST_KAFKA_PASSWORD }`,
    ],
    [
      "oauthbearer with the token from a file",
      `    tls: { ca_file: ca.pem }
    sasl: { mechanism: oauthbearer, token_file: token.txt }`,
    ],
  ];
  for (const [i, [what, security]] of cases.entries()) {
    it(`consumes and dead-letters through ${what}, and never shows the secret`, async function () {
      this.timeout(120_000);
      const topic = `secured.${i}`;
      await createTopic(kafka.brokers, topic, 2);
      const good = DEMO.slice(0, 45);
      await producer.send({
        topic,
        acks: -1,
        messages: [...good.map((value) => ({ value })), { value: "{not json" }],
      });
      const daemon = await daemonOf(config(`secured-${i}`, topic, security), `secured-${i}`);
      await daemon.waitReady(60_000);
      const scrape = await daemon.waitFor(
        (s) =>
          s.value("driftwatch_events_total", { source: "inputs", outcome: "valid" }) === good.length &&
          s.value("driftwatch_dead_letter_total", { source: "inputs", outcome: "written" }) === 1,
        60_000,
        "every event counted and the bad one written to the dead-letter topic",
      );
      assert.equal(
        scrape.value("driftwatch_windows_evaluated_total", { monitor: "drift", trigger: "window_close" }),
        1,
      );
      // The dead letter is on the topic, read back through the plaintext listener.
      const consumer = plain.consumer({ groupId: `check-${i}` });
      const letters: string[] = [];
      await consumer.connect();
      await consumer.subscribe({ topics: [`${topic}.dlq`], fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          letters.push(`${message.headers?.["driftwatch-reason"]?.toString()} ${message.value?.toString()}`);
        },
      });
      const deadline = Date.now() + 30_000;
      while (letters.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      await consumer.disconnect();
      assert.equal(letters.length, 1);
      assert.equal(letters[0], "malformed_json {not json", "the original bytes, with their reason");
      const metrics = (await daemon.scrape()).text;
      await daemon.stop();
      for (const [where, text] of [
        ["log", daemon.stderr],
        ["metrics", metrics],
      ] as const)
        assert.ok(!text.includes(SECRET), `the ${where} must not hold the password`);
    });
  }

  it("decodes Avro and Protobuf (through the schema registry, and from a schema_dir) over SASL_SSL, to the numbers the same rows give as JSON", async function () {
    this.timeout(120_000);
    const registry = new SchemaRegistryStandIn();
    await registry.start();
    try {
      const serializer = new SchemaRegistry({ host: registry.url });
      const schema = {
        type: "record",
        name: "Day",
        fields: [
          { name: "date", type: "string" },
          { name: "temp_max", type: "double" },
        ],
      };
      const proto =
        'syntax = "proto3";\npackage secured;\nmessage Day { string date = 1; double temp_max = 2; }\n';
      const { id } = await serializer.register(
        { type: SchemaType.AVRO, schema: JSON.stringify(schema) },
        { subject: "secured.avro-value" },
      );
      const { id: protoId } = await serializer.register(
        { type: SchemaType.PROTOBUF, schema: proto },
        { subject: "secured.protobuf-value" },
      );
      // The same .proto as a local file named by the id the records carry.
      mkdirSync(join(work, "schemas"), { recursive: true });
      writeFileSync(join(work, "schemas", `${protoId}.proto`), proto);
      const Day = protobuf.parse(proto, { keepCase: true }).root.lookupType("secured.Day");
      const header = Buffer.alloc(5);
      header.writeInt32BE(protoId, 1);
      const rows = DEMO.slice(0, 60).map((line) => {
        const { date, temp_max } = JSON.parse(line) as { date: string; temp_max: number };
        return { date, temp_max };
      });
      // Protobuf records in the Confluent wire format: header, message indexes [0] as one 0 byte, message.
      const protobufRecords = rows.map((row) =>
        Buffer.concat([header, Buffer.from([0]), Day.encode(row).finish()]),
      );
      const sources: { name: string; format: string; keys: string; values: Buffer[] }[] = [
        {
          name: "avro",
          format: "avro",
          keys: `    schema_registry: { url: "${registry.url}" }\n`,
          values: await Promise.all(rows.map((row) => serializer.encode(id, row))),
        },
        {
          name: "protobuf",
          format: "protobuf",
          keys: `    schema_registry: { url: "${registry.url}" }\n`,
          values: protobufRecords,
        },
        { name: "protodir", format: "protobuf", keys: "    schema_dir: schemas\n", values: protobufRecords },
        {
          name: "json",
          format: "json",
          keys: "",
          values: rows.map((row) => Buffer.from(JSON.stringify(row))),
        },
      ];
      for (const { name, values } of sources) {
        await createTopic(kafka.brokers, `secured.${name}`, 1);
        await producer.send({
          topic: `secured.${name}`,
          acks: -1,
          messages: values.map((value) => ({ value })),
        });
      }
      const security = `    tls: { ca_file: ca.pem }
    sasl: { mechanism: scram-sha-512, username: alice, password_file: password.txt }`;
      const file = join(work, "avro-secured.yaml");
      writeFileSync(
        file,
        `sources:
${sources
  .map(
    ({ name, format, keys }) => `  ${name}:
    type: kafka
    brokers: [${kafka.secureBrokers[0]}]
    topic: secured.${name}
    group_id: secured-${name}
    format: ${format}
${keys}${security}`,
  )
  .join("\n")}
features:
${sources.map(({ name }) => `  ${name}_t: { source: ${name}, path: /temp_max, type: numeric }`).join("\n")}
monitors:
${sources
  .map(
    ({ name }) =>
      `  ${name}: { type: drift, features: [${name}_t], reference: { type: first, events: 20 }, window: { type: tumbling, events: 20 } }`,
  )
  .join("\n")}
`,
      );
      // The daemon runs in this process: the registry stand-in must keep answering while it reads.
      const pipeline = await Pipeline.create(loadConfig(file), {
        log: new Logger("error"),
        metricsListen: null,
        stateDir: join(work, "avro-secured-state"),
      });
      await pipeline.start();
      try {
        await poll(
          async () => {
            const values = (await pipeline.metrics.eventsTotal.get()).values.filter(
              (v) => v.labels.outcome === "valid",
            );
            return values.length === sources.length && values.every((v) => v.value === rows.length)
              ? true
              : undefined;
          },
          60_000,
          () => "the 60 rows of every topic through the secured listener",
        );
      } finally {
        await pipeline.stop();
      }
      const statistics = (await pipeline.metrics.driftStatistic.get()).values;
      const of = (monitor: string) =>
        statistics.filter((v) => v.labels.monitor === monitor).map((v) => v.value);
      assert.equal(of("json").length, 1);
      for (const { name } of sources) assert.deepEqual(of(name), of("json"), `${name} gives what JSON gives`);
    } finally {
      await registry.stop();
    }
  });

  const failures: [string, string, RegExp, string[]?][] = [
    [
      "a wrong password",
      `    tls: { ca_file: ca.pem }
    sasl: { mechanism: scram-sha-256, username: alice, password_file: wrong.txt }`,
      /authentication failed/i,
    ],
    [
      "a certificate no trusted CA signed",
      `    tls: { ca_file: other-ca.pem }
    sasl: { mechanism: plain, username: alice, password_env: DRIFTWATCH_TEST_KAFKA_PASSWORD }`,
      /unable to verify|self[- ]signed|certificate/i,
    ],
    [
      "a host name the certificate does not carry",
      `    tls: { ca_file: ca.pem }
    sasl: { mechanism: plain, username: alice, password_env: DRIFTWATCH_TEST_KAFKA_PASSWORD }`,
      /does not match certificate's altnames/,
      // The certificate names localhost; 127.0.0.1 is the same broker by another name.
    ],
  ];
  for (const [i, [what, security, cause]] of failures.entries()) {
    it(`keeps running, not ready, with one line naming the source and the cause, on ${what}`, async function () {
      this.timeout(120_000);
      writeFileSync(join(work, "wrong.txt"), "not-the-password\n");
      const topic = `refused.${i}`;
      await createTopic(kafka.brokers, topic, 1);
      const port = kafka.secureBrokers[0].split(":")[1];
      const brokers = i === 2 ? [`127.0.0.1:${port}`] : kafka.secureBrokers;
      const daemon = await daemonOf(config(`refused-${i}`, topic, security, brokers), `refused-${i}`);
      await daemon.waitForLog(/msg="kafka source cannot consume"/, 60_000);
      const line =
        daemon.stderr.split("\n").find((l) => l.includes('msg="kafka source cannot consume"')) ?? "";
      assert.match(line, /source=inputs/);
      assert.match(line, cause);
      // Not ready, with the cause; and it tries again (a second attempt is counted).
      const ready = await daemon.readyz();
      assert.equal(ready.status, 503);
      assert.match(ready.text, cause);
      await daemon.waitFor(
        (s) =>
          s.value("driftwatch_source_up", { source: "inputs" }) === 0 &&
          (s.value("driftwatch_source_restarts_total", { source: "inputs" }) ?? 0) >= 1,
        60_000,
        "the source down and retried",
      );
      assert.doesNotMatch(daemon.stderr, /^\s+at /m, "no stack trace");
      assert.ok(!daemon.stderr.includes(SECRET), "the log must not hold the password");
      await daemon.stop();
    });
  }

  it("waits for a topic that does not exist yet, not ready, and consumes it once it is created", async function () {
    this.timeout(120_000);
    const topic = "late.topic";
    const daemon = await daemonOf(config("late", topic, "", kafka.brokers), "late");
    await daemon.waitForLog(/msg="kafka source cannot consume".*does not exist \(yet\)/, 60_000);
    const ready = await daemon.readyz();
    assert.equal(ready.status, 503);
    assert.match(ready.text, /topic \\?"late\.topic\\?" does not exist/);
    await new Promise((r) => setTimeout(r, 10_000));
    await createTopic(kafka.brokers, topic, 2);
    await producer.send({ topic, acks: -1, messages: DEMO.slice(0, 30).map((value) => ({ value })) });
    await daemon.waitFor(
      (s) => s.value("driftwatch_events_total", { source: "inputs", outcome: "valid" }) === 30,
      90_000,
      "the 30 events of the topic created late",
    );
    await daemon.waitReady(30_000);
    assert.doesNotMatch(daemon.stderr, /^\s+at /m, "no stack trace");
    await daemon.stop();
  });
});
