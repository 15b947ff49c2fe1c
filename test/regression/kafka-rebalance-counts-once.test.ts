import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kafka, logLevel, Partitioners } from "kafkajs";
import { killAllDaemons, startDaemon } from "../support/daemon.js";
import { createTopic, type KafkaBroker, startKafka } from "../support/kafka.js";

// The Kafka source was handed a copy of the pipeline's positions, so after a consumer-group
// rebalance it skipped nothing and counted every event since the last commit a second time.
describe("regression: a consumer-group rebalance", () => {
  let kafka: KafkaBroker | undefined;
  let dir = "";

  before(async function () {
    this.timeout(6 * 60_000);
    kafka = await startKafka();
    dir = mkdtempSync(join(tmpdir(), "driftwatch-rebalance-"));
  });

  after(async function () {
    this.timeout(90_000);
    await killAllDaemons();
    await kafka?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("does not count events again when the daemon's partitions move and come back", async function () {
    this.timeout(120_000);
    const brokers = kafka?.brokers ?? [];
    await createTopic(brokers, "t", 3);
    const config = join(dir, "c.yaml");
    writeFileSync(
      config,
      [
        "sources:",
        "  s:",
        "    type: kafka",
        `    brokers: [${brokers.join(", ")}]`,
        "    topic: t",
        "    group_id: g",
        "    session_timeout_secs: 6",
        "features:",
        "  x: { source: s, path: /x, type: numeric }",
        "monitors:",
        "  m: { type: drift, features: [x], reference: { type: first, events: 1000 }, window: { type: tumbling, events: 1000 } }",
        // No checkpoint (and so no commit) while the rebalances happen.
        "state: { dir: state, checkpoint_interval_secs: 3600 }",
        "",
      ].join("\n"),
    );
    const daemon = await startDaemon({ config, stateDir: join(dir, "state"), label: "daemon" });
    await daemon.waitReady(30_000);
    await daemon.waitForLog(/joined consumer group/, 30_000);
    const client = new Kafka({ clientId: "rebalance-test", brokers, logLevel: logLevel.NOTHING });
    const producer = client.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({
      topic: "t",
      acks: -1,
      messages: Array.from({ length: 90 }, (_, i) => ({ key: String(i), value: JSON.stringify({ x: i }) })),
    });
    const valid = { outcome: "valid" };
    await daemon.waitFor((s) => s.value("driftwatch_events_total", valid) === 90, 15_000, "90 events");
    // A second member joins the group (a rebalance) and, without consuming, leaves (another one).
    const other = client.consumer({ groupId: "g", sessionTimeout: 6000 });
    await other.connect();
    await other.subscribe({ topics: ["t"], fromBeginning: true });
    await other.run({
      eachBatchAutoResolve: false,
      autoCommit: false,
      eachBatch: async () => {
        await new Promise((r) => setTimeout(r, 10));
      },
    });
    await new Promise((r) => setTimeout(r, 8000));
    await other.disconnect();
    await daemon.waitForLog(
      /joined consumer group[\s\S]*joined consumer group[\s\S]*joined consumer group/,
      30_000,
    );
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal(
      (await daemon.scrape()).value("driftwatch_events_total", valid),
      90,
      "each event counted once",
    );
    await daemon.stop(15_000);
    await producer.disconnect();
  });
});
