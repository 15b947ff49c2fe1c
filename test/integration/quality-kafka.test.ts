/**
 * Model quality on a real broker: predictions and (later) labels on two topics, joined by id; a
 * concept change (the labels of the `eu` slice flip) that must show as a quality drop for eu only,
 * concept-drift detectors that fire after it and not before, target drift without prediction drift,
 * planted input outliers named by id, and a restart that counts no pair twice.
 *
 * The stream is seeded and every wait is on a count, so each drift monitor's reference and window
 * hold exactly one phase and each outlier window exactly one chunk of predictions, whatever order
 * the daemon reads the partitions in: their statistics do not depend on timing.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Admin, Kafka, logLevel, Partitioners, type Producer } from "kafkajs";
import type { PerformanceMonitorState } from "../../src/performance/monitor.js";
import type { Checkpoint } from "../../src/state/checkpoint.js";
import { seededRandom } from "../../src/stats/prng.js";
import { type Daemon, killAllDaemons, readCheckpoint, type Scrape, startDaemon } from "../support/daemon.js";
import { createTopic, type KafkaBroker, startKafka } from "../support/kafka.js";

const PREDICTIONS = "churn.predictions";
const LABELS = "churn.labels";
/** From produce to the metric: generous for a 2-core machine, far below any session timeout. */
const PROCESS_MS = 15_000;

/** Predictions per chunk: 500 that get a label and 5 that never do. */
const CHUNK = 505;
const UNLABELLED_PER_CHUNK = 5;
/** Chunks 0..3 are phase 1 (the model is right ~90 % of the time), 4..6 phase 2 (eu's labels flip). */
const PHASE_1_CHUNKS = [0, 1, 2, 3];
const PHASE_2_CHUNKS = [4, 5, 6];
/** Labels produced before their predictions, at the start of each phase: ids of the phase's last chunk. */
const EARLY_LABELS = 5;
/** Chunks with one planted outlier (chunk 0 is the outlier monitor's reference). */
const PLANTED_IN = new Set([1, 3, 5]);
/** Joined pairs per performance window. */
const WINDOW = 500;

type Label = "churn" | "stay";
type Region = "eu" | "us" | "apac";

/** One prediction and what became of it. */
interface Prediction {
  readonly id: string;
  readonly chunk: number;
  readonly region: Region;
  readonly tenure: number;
  readonly score: number;
  readonly predicted: Label;
  /** The true label, or null when none is ever produced. */
  readonly actual: Label | null;
  readonly planted: boolean;
}

interface Message {
  readonly key: string;
  readonly value: string;
}

const other = (label: Label): Label => (label === "churn" ? "stay" : "churn");

/**
 * The whole stream, from one seed. Every record draws the same four numbers, so a change to one
 * rule (a planted outlier, a flip) leaves every other record as it was. Scores are stratified
 * within each chunk (one per 1/505th of [0, 1), in shuffled order): the model's output is the same
 * distribution in both phases by construction, not by luck of the seed, so that a prediction-drift
 * alarm could only come from the daemon (plain draws gave chi2 p = 0.03 on the predicted labels).
 */
function generate(seed: number): Prediction[] {
  const random = seededRandom(seed);
  const records: Prediction[] = [];
  for (const chunk of [...PHASE_1_CHUNKS, ...PHASE_2_CHUNKS]) {
    const strata = shuffled(
      Array.from({ length: CHUNK }, (_, k) => k),
      seed + chunk,
    );
    for (let i = 0; i < CHUNK; i++) {
      const n = chunk * CHUNK + i;
      const r = random();
      const region: Region = r < 0.4 ? "eu" : r < 0.75 ? "us" : "apac";
      const tenure = Math.floor(random() * 73);
      const score = Math.round(((strata[i] + random()) / CHUNK) * 10_000) / 10_000;
      const predicted: Label = score >= 0.7 ? "churn" : "stay";
      const right = random() < 0.9;
      const unlabelled = i % 101 === 100; // i = 100, 201, 302, 403, 504
      const planted = PLANTED_IN.has(chunk) && i === 250;
      let actual: Label = right ? predicted : other(predicted);
      // The concept change: in phase 2 what the model learnt no longer holds for eu.
      if (PHASE_2_CHUNKS.includes(chunk) && region === "eu") actual = other(actual);
      records.push({
        id: `c${String(n).padStart(5, "0")}`,
        chunk,
        region,
        // Months of tenure; a planted outlier carries a corrupted value no customer can have.
        tenure: planted ? 900 + chunk : tenure,
        score,
        predicted,
        actual: unlabelled ? null : actual,
        planted,
      });
    }
  }
  return records;
}

const predictionMessage = (r: Prediction): Message => ({
  key: r.id,
  value: JSON.stringify({
    id: r.id,
    region: r.region,
    features: { tenure_months: r.tenure },
    prediction: { label: r.predicted, score: r.score },
  }),
});

const labelMessage = (r: Prediction): Message => ({
  key: r.id,
  value: JSON.stringify({ id: r.id, label: r.actual }),
});

/** Labels come back in no particular order: a seeded Fisher–Yates shuffle. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const random = seededRandom(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** The numbers a phase must produce, computed from the records alone. */
function expectedOf(records: readonly Prediction[]) {
  const labelled = records.filter((r) => r.actual !== null);
  const right = (rs: readonly Prediction[]) => rs.filter((r) => r.actual === r.predicted).length;
  const eu = labelled.filter((r) => r.region === "eu");
  return {
    labelled: labelled.length,
    right: right(labelled),
    eu: eu.length,
    euRight: right(eu),
  };
}

/** One closed performance window, read back from its verdict line. */
interface WindowVerdict {
  readonly index: number;
  readonly pairs: number;
  readonly accuracy: Readonly<Record<string, number>>;
  readonly drifts: readonly { detector: string; pair: number }[];
}

/**
 * Parses `[quality] window 4 (500 pairs): accuracy 0.57 [..] ... | eu: accuracy 0.1 ... |
 * elsewhere: accuracy 0.9 ... | ddm drift at pair 2071 | join: ...`.
 */
function parsePerformanceVerdict(line: string): WindowVerdict {
  const head = /^\[quality\] window (\d+) \((\d+) pairs\): accuracy ([\d.]+)/.exec(line);
  assert.ok(head, `a performance verdict: ${line}`);
  const accuracy: Record<string, number> = { all: Number(head[3]) };
  for (const m of line.matchAll(/\| ([a-z]+): accuracy ([\d.]+)/g)) accuracy[m[1]] = Number(m[2]);
  const drifts = [...line.matchAll(/\| ([a-z_]+) drift at pair (\d+)/g)].map((m) => ({
    detector: m[1],
    pair: Number(m[2]),
  }));
  return { index: Number(head[1]), pairs: Number(head[2]), accuracy, drifts };
}

describe("driftwatch run: model quality against a Kafka broker", () => {
  let kafka: KafkaBroker | undefined;
  let admin: Admin | undefined;
  let producer: Producer | undefined;
  let work: string;

  before(async function () {
    // The first run fetches the broker jars from Maven Central (startKafka bounds that at 5 min).
    this.timeout(6 * 60_000);
    assert.ok(existsSync("dist/cli/main.js"), "run `npm run build` first (npm test does)");
    // A port of its own: daemon-kafka.test.ts runs the example config's broker on 9092.
    kafka = await startKafka();
    const client = new Kafka({
      clientId: "quality-kafka-test",
      brokers: kafka.brokers,
      logLevel: logLevel.WARN,
    });
    admin = client.admin();
    await admin.connect();
    producer = client.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    await createTopic(kafka.brokers, PREDICTIONS, 3);
    await createTopic(kafka.brokers, LABELS, 3);
    work = mkdtempSync(join(tmpdir(), "driftwatch-quality-kafka-"));
  });

  afterEach(async () => {
    // A failed test must not leave its daemon consuming.
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

  async function produce(topic: string, messages: readonly Message[]): Promise<void> {
    for (let i = 0; i < messages.length; i += 500) {
      await producer?.send({ topic, acks: -1, messages: messages.slice(i, i + 500) });
    }
  }

  async function endOffsets(topic: string): Promise<Record<string, number>> {
    const offsets = await (admin as Admin).fetchTopicOffsets(topic);
    return Object.fromEntries(offsets.map((p) => [`${topic}/${p.partition}`, Number(p.high)]));
  }

  /** Two Kafka sources with their own groups, the five features, and the four monitors under test. */
  function writeConfig(dir: string): string {
    const path = join(dir, "driftwatch.yaml");
    const source = (name: string, topic: string) => [
      `  ${name}:`,
      "    type: kafka",
      `    brokers: [${kafka?.brokers.join(", ")}]`,
      `    topic: ${topic}`,
      `    group_id: quality-${name}`,
      "    session_timeout_secs: 6",
    ];
    writeFileSync(
      path,
      [
        "sources:",
        ...source("predictions", PREDICTIONS),
        ...source("labels", LABELS),
        "features:",
        "  region:          { source: predictions, path: /region, type: categorical }",
        "  tenure_months:   { source: predictions, path: /features/tenure_months, type: numeric }",
        "  predicted_label: { source: predictions, path: /prediction/label, type: categorical }",
        "  predicted_score: { source: predictions, path: /prediction/score, type: numeric }",
        "  actual_label:    { source: labels, path: /label, type: categorical }",
        "monitors:",
        "  quality:",
        "    type: performance",
        "    task: classification",
        "    predictions: { source: predictions, id: /id, label: /prediction/label, score: /prediction/score }",
        "    labels: { source: labels, id: /id, label: /label }",
        `    window: { type: tumbling, events: ${WINDOW} }`,
        "    slices:",
        "      eu: { feature: region, in: [eu] }",
        "      elsewhere: { feature: region, in: [us, apac] }",
        // DDM's default warm start of 30 lets p_min latch onto an early lucky streak: on 2000
        // stationary pairs at 10 % errors it false-alarms in ~40 % of random orders (1 in 5000 with
        // 200), and the order of pairs here depends on how the daemon interleaves partitions.
        "    detectors: [ { type: ddm, warm_start: 200 }, { type: adwin }, { type: page_hinkley } ]",
        "    positive: churn",
        // References and windows are exactly one phase each (see the counts below).
        "  prediction-drift:",
        "    type: drift",
        "    features: [predicted_label, predicted_score]",
        `    reference: { type: first, events: ${PHASE_1_CHUNKS.length * CHUNK} }`,
        `    window: { type: tumbling, events: ${PHASE_2_CHUNKS.length * CHUNK} }`,
        "  target-drift:",
        "    type: drift",
        "    features: [actual_label]",
        `    reference: { type: first, events: ${PHASE_1_CHUNKS.length * (CHUNK - UNLABELLED_PER_CHUNK)} }`,
        `    window: { type: tumbling, events: ${PHASE_2_CHUNKS.length * (CHUNK - UNLABELLED_PER_CHUNK)} }`,
        // Explicit thresholds: tenure (0..72) and score (0..1) are uniform, so no ordinary event
        // comes near them and the outlier counts are exactly the planted ones.
        "  input-outliers:",
        "    type: outliers",
        "    features: [tenure_months, predicted_score]",
        `    reference: { type: first, events: ${CHUNK} }`,
        "    scorers: [ { type: robust_z, threshold: { value: 6 } }, { type: mahalanobis, threshold: { value: 6 } } ]",
        `    window: { type: tumbling, events: ${CHUNK} }`,
        "    id: /id",
        "state: { dir: state, checkpoint_interval_secs: 3600 }",
        "",
      ].join("\n"),
    );
    return path;
  }

  /** Waits until both sources have joined their consumer groups. */
  async function joined(daemon: Daemon): Promise<void> {
    for (const source of ["predictions", "labels"])
      await daemon.waitForLog(new RegExp(`msg="joined consumer group".* source="?${source}\\b`), 30_000);
  }

  it("sees eu's accuracy drop, the detectors fire and the target drift only after eu's labels flip, and counts no pair twice after a restart", async function () {
    this.timeout(180_000);
    const records = generate(20_240_611);
    const chunkOf = (chunk: number) => records.filter((r) => r.chunk === chunk);
    const phase1 = records.filter((r) => PHASE_1_CHUNKS.includes(r.chunk));
    const phase2 = records.filter((r) => PHASE_2_CHUNKS.includes(r.chunk));
    const unlabelled = records.filter((r) => r.actual === null);
    const planted = records.filter((r) => r.planted);
    const want1 = expectedOf(phase1);
    const want2 = expectedOf(phase2);
    assert.equal(want1.labelled, 2000, "phase 1: four windows of pairs");
    assert.equal(want2.labelled, 1500, "phase 2: three windows of pairs");
    assert.equal(planted.length, PLANTED_IN.size);

    const dir = mkdtempSync(join(work, "quality-"));
    const config = writeConfig(dir);
    const stateDir = join(dir, "state");
    const daemon = await startDaemon({ config, stateDir, label: "quality daemon" });
    await daemon.waitReady(30_000);
    await joined(daemon);

    const t0 = Date.now();
    const note = (line: string) => console.log(`      t+${((Date.now() - t0) / 1000).toFixed(1)}s ${line}`);

    const q = { monitor: "quality" };
    const joinCount = (s: Scrape, outcome: string) => s.value("driftwatch_join_events", { ...q, outcome });
    const pending = (s: Scrape, side: "predictions" | "labels") =>
      s.value("driftwatch_join_pending", { ...q, side });
    const valid = (s: Scrape, source: string) =>
      s.value("driftwatch_events_total", { source, outcome: "valid" }) ?? 0;
    let predictionsSent = 0;
    let labelsSent = 0;
    let matched = 0;

    /**
     * One phase: its early labels first (they wait in the join), then chunk by chunk the
     * predictions, and after each chunk the labels of the one before, shuffled. Each step waits
     * until the daemon has read all of it, so labels are read after their predictions (early ones
     * excepted) and each outlier window is one chunk.
     */
    const runPhase = async (name: string, chunks: readonly number[]) => {
      const last = chunkOf(chunks[chunks.length - 1]);
      const early = last.filter((r) => r.actual !== null).slice(0, EARLY_LABELS);
      const earlyIds = new Set(early.map((r) => r.id));
      await produce(LABELS, early.map(labelMessage));
      labelsSent += early.length;
      const held = await daemon.waitFor(
        (s) => valid(s, "labels") === labelsSent && pending(s, "labels") === EARLY_LABELS,
        PROCESS_MS,
        `${name}: ${EARLY_LABELS} labels waiting for predictions not produced yet`,
      );
      assert.equal(
        joinCount(held, "orphan_labels") ?? 0,
        0,
        "a label ahead of its prediction waits, within the TTL",
      );
      note(`${name}: ${EARLY_LABELS} labels ahead of their predictions wait in the join`);

      const lateLabels = async (chunk: number) => {
        const labels = chunkOf(chunk).filter((r) => r.actual !== null && !earlyIds.has(r.id));
        await produce(LABELS, shuffled(labels, chunk).map(labelMessage));
        labelsSent += labels.length;
        matched += labels.length;
        await daemon.waitFor(
          (s) => valid(s, "labels") === labelsSent && joinCount(s, "matched") === matched,
          PROCESS_MS,
          `${name}: the labels of chunk ${chunk} joined (${matched} matched in all)`,
        );
      };
      for (const [k, chunk] of chunks.entries()) {
        const predictions = chunkOf(chunk);
        await produce(PREDICTIONS, predictions.map(predictionMessage));
        predictionsSent += predictions.length;
        matched += predictions.filter((r) => earlyIds.has(r.id)).length;
        await daemon.waitFor(
          (s) => valid(s, "predictions") === predictionsSent && joinCount(s, "matched") === matched,
          PROCESS_MS,
          `${name}: the predictions of chunk ${chunk} (${predictionsSent} in all)`,
        );
        if (k > 0) await lateLabels(chunks[k - 1]);
      }
      await lateLabels(chunks[chunks.length - 1]);
      note(`${name}: ${predictionsSent} predictions and ${labelsSent} labels read, ${matched} pairs`);
    };

    // Phase 1, t0: the model is right ~90 % of the time for every region.
    await runPhase("phase 1", PHASE_1_CHUNKS);
    const before = await daemon.waitFor(
      (s) => s.value("driftwatch_windows_evaluated_total", { ...q, trigger: "window_close" }) === 4,
      PROCESS_MS,
      "four windows of 500 pairs",
    );
    assert.equal(joinCount(before, "matched"), want1.labelled, "every labelled prediction joined once");
    assert.equal(
      pending(before, "predictions"),
      PHASE_1_CHUNKS.length * UNLABELLED_PER_CHUNK,
      "the unlabelled wait",
    );
    assert.equal(pending(before, "labels"), 0, "every early label found its prediction");
    for (const outcome of [
      "orphan_labels",
      "expired_predictions",
      "duplicates",
      "evicted_predictions",
      "evicted_labels",
    ])
      assert.equal(joinCount(before, outcome), 0, outcome);
    const cumulative = (s: Scrape, slice: string) =>
      s.value("driftwatch_performance", { ...q, metric: "accuracy", slice, scope: "cumulative" });
    // The join pairs the right prediction with the right label: accuracy is exactly the records'.
    assert.equal(cumulative(before, "all"), want1.right / want1.labelled);
    assert.equal(cumulative(before, "eu"), want1.euRight / want1.eu);
    assert.equal(
      before.value("driftwatch_performance_pairs", { ...q, slice: "eu", scope: "cumulative" }),
      want1.eu,
    );
    assert.deepEqual(
      before.all("driftwatch_concept_drift_total").filter((s) => s.value > 0),
      [],
      "no detector fired on the stationary phase",
    );
    // DDM's estimate is its running error rate: every phase-1 pair seen once, and no reset.
    const ddmBefore = before.value("driftwatch_concept_drift_estimate", { ...q, detector: "ddm" });
    const errorRate1 = 1 - want1.right / want1.labelled;
    assert.ok(
      Math.abs((ddmBefore ?? 1) - errorRate1) < 1e-12,
      `ddm's error rate ${ddmBefore}, want ${errorRate1}`,
    );
    const windows1 = daemon.verdicts
      .filter((l) => l.startsWith("[quality] window "))
      .map(parsePerformanceVerdict);
    assert.deepEqual(
      windows1.map((w) => [w.index, w.pairs]),
      [0, 1, 2, 3].map((i) => [i, WINDOW]),
    );
    for (const w of windows1) {
      assert.ok(
        w.accuracy.all >= 0.85 && w.accuracy.eu >= 0.8 && w.accuracy.elsewhere >= 0.8,
        JSON.stringify(w),
      );
      assert.deepEqual(w.drifts, [], `window ${w.index}: no drift`);
    }
    assert.ok(!daemon.verdicts.some((l) => l.includes("detected concept drift")), daemon.verdicts.join("\n"));
    // The drift monitors' references are exactly phase 1, and no drift window has closed yet.
    assert.equal(before.value("driftwatch_reference_events", { monitor: "prediction-drift" }), phase1.length);
    assert.equal(before.value("driftwatch_reference_events", { monitor: "target-drift" }), want1.labelled);
    assert.deepEqual(before.all("driftwatch_drift_detected"), []);
    assert.deepEqual(before.all("driftwatch_windows_evaluated_total", { monitor: "target-drift" }), []);
    assert.equal(
      before.value("driftwatch_outlier_events_total", { monitor: "input-outliers", scorer: "robust_z" }),
      planted.filter((r) => PHASE_1_CHUNKS.includes(r.chunk)).length,
    );
    note(
      `phase 1 checked: accuracy ${windows1.map((w) => w.accuracy.all).join(", ")}; eu ${windows1.map((w) => w.accuracy.eu).join(", ")}; no detector fired`,
    );

    // Phase 2, t1: eu's labels flip; the predictions come from the same distribution as before.
    await runPhase("phase 2", PHASE_2_CHUNKS);
    const after = await daemon.waitFor(
      (s) =>
        s.value("driftwatch_windows_evaluated_total", { ...q, trigger: "window_close" }) === 7 &&
        s.value("driftwatch_windows_evaluated_total", {
          monitor: "target-drift",
          trigger: "window_close",
        }) === 1 &&
        s.value("driftwatch_windows_evaluated_total", {
          monitor: "prediction-drift",
          trigger: "window_close",
        }) === 1 &&
        // Scored on a worker thread: its last window comes at the next tick after its last event.
        s.value("driftwatch_windows_evaluated_total", {
          monitor: "input-outliers",
          trigger: "window_close",
        }) === 6,
      PROCESS_MS,
      "seven performance windows, one window of each drift monitor and six outlier windows",
    );
    const all = expectedOf(records);
    assert.equal(joinCount(after, "matched"), all.labelled);
    assert.equal(pending(after, "predictions"), unlabelled.length);
    assert.equal(pending(after, "labels"), 0);
    assert.equal(joinCount(after, "orphan_labels"), 0);
    assert.equal(cumulative(after, "all"), all.right / all.labelled);
    assert.equal(cumulative(after, "eu"), all.euRight / all.eu);

    const windows = daemon.verdicts
      .filter((l) => l.startsWith("[quality] window "))
      .map(parsePerformanceVerdict);
    const windows2 = windows.slice(4);
    assert.deepEqual(
      windows2.map((w) => [w.index, w.pairs]),
      [4, 5, 6].map((i) => [i, WINDOW]),
    );
    for (const w of windows2) {
      assert.ok(w.accuracy.eu <= 0.25, `window ${w.index}: eu's accuracy drops (${JSON.stringify(w)})`);
      assert.ok(w.accuracy.elsewhere >= 0.8, `window ${w.index}: elsewhere it holds (${JSON.stringify(w)})`);
      assert.ok(w.accuracy.all >= 0.45 && w.accuracy.all <= 0.7, `window ${w.index}: overall in between`);
    }
    const windowAccuracy = (slice: string) =>
      after.value("driftwatch_performance", { ...q, metric: "accuracy", slice, scope: "window" }) ??
      Number.NaN;
    assert.ok(windowAccuracy("eu") <= 0.25 && windowAccuracy("all") >= windowAccuracy("eu") + 0.3);

    const fired = ["ddm", "adwin", "page_hinkley"].map(
      (detector) => after.value("driftwatch_concept_drift_total", { ...q, detector }) ?? 0,
    );
    assert.ok(
      fired.every((n) => n >= 1),
      `ddm, adwin and page_hinkley fired after the change (${fired.join(", ")})`,
    );
    const drifts = windows.flatMap((w) => w.drifts);
    assert.ok(
      drifts.every((d) => d.pair > want1.labelled),
      `every drift after pair ${want1.labelled}: ${JSON.stringify(drifts)}`,
    );
    assert.ok(
      daemon.verdicts.some((l) =>
        /^\[quality\] ddm detected concept drift \(estimate [\d.]+, 1 so far\)$/.test(l),
      ),
      daemon.verdicts.join("\n"),
    );

    // Target drift on the true labels; none on the predictions, which did not change.
    const detected = (monitor: string, feature: string) =>
      after.value("driftwatch_drift_detected", { monitor, feature });
    const driftLines = daemon.verdicts.filter((l) => /^\[(prediction|target)-drift\] /.test(l)).join("\n");
    assert.equal(detected("target-drift", "actual_label"), 1, driftLines);
    const targetP = after.value("driftwatch_drift_p_value", {
      monitor: "target-drift",
      feature: "actual_label",
      test: "chi2",
    });
    assert.ok((targetP ?? 1) < 1e-6, `target drift p-value ${targetP}`);
    assert.equal(detected("prediction-drift", "predicted_label"), 0, driftLines);
    assert.equal(detected("prediction-drift", "predicted_score"), 0, driftLines);

    // Outliers: each planted one, in its own window, by count and by id.
    for (const scorer of ["robust_z", "mahalanobis"])
      assert.equal(
        after.value("driftwatch_outlier_events_total", { monitor: "input-outliers", scorer }),
        planted.length,
        scorer,
      );
    const outlierLines = daemon.verdicts.filter((l) => l.startsWith("[input-outliers] window "));
    assert.equal(outlierLines.length, 6, outlierLines.join("\n"));
    for (const [w, line] of outlierLines.entries()) {
      assert.match(line, new RegExp(`^\\[input-outliers\\] window ${w} \\(${CHUNK} events\\): `));
      const plantedHere = planted.find((r) => r.chunk === w + 1);
      if (plantedHere) {
        assert.match(line, /robust_z 1 outlier \(/);
        assert.match(line, /mahalanobis 1 outlier \(/);
        assert.match(
          line,
          new RegExp(`most extreme: ${plantedHere.id} \\(robust_z [\\d.]+\\), ${plantedHere.id} `),
        );
      } else {
        assert.match(line, /robust_z 0 outliers .*mahalanobis 0 outliers/);
        assert.doesNotMatch(line, /most extreme/);
      }
    }
    note(
      `phase 2 checked: eu ${windows2.map((w) => w.accuracy.eu).join(", ")}; ${drifts.map((d) => `${d.detector}@${d.pair}`).join(", ")}`,
    );

    // t2: SIGTERM; the checkpoint holds both topics' end offsets and, waiting, the unlabelled ids.
    const stopMs = await daemon.stop(20_000);
    const checkpoint = readCheckpoint(stateDir);
    assert.ok(checkpoint, "SIGTERM wrote a checkpoint");
    assert.deepEqual(checkpoint.positions.predictions, await endOffsets(PREDICTIONS));
    assert.deepEqual(checkpoint.positions.labels, await endOffsets(LABELS));
    const quality = (checkpoint.monitors.quality as { state: PerformanceMonitorState }).state;
    assert.equal(quality.pairs, all.labelled);
    assert.deepEqual(
      quality.detectors.map((d) => d.drifts),
      fired,
      "each detector's drifts, as counted",
    );
    assert.deepEqual(
      quality.join.predictions.map(([id]) => id).sort(),
      unlabelled.map((r) => r.id).sort(),
      "the predictions still waiting are exactly the unlabelled ones",
    );
    note(`SIGTERM: exit 0 after ${stopMs} ms`);

    // The restart reads both topics again and must skip everything: same counts, no window.
    const restarted = await startDaemon({ config, stateDir, label: "restart" });
    await restarted.waitReady(30_000);
    await joined(restarted);
    const quiet = await restarted.waitFor(
      (s) => joinCount(s, "matched") !== undefined,
      PROCESS_MS,
      "the restored join counts",
    );
    await new Promise((r) => setTimeout(r, 2000));
    const still = await restarted.scrape();
    for (const s of [quiet, still]) {
      assert.deepEqual(s.all("driftwatch_events_total"), [], "no event read again");
      assert.equal(joinCount(s, "matched"), all.labelled, "no pair counted again");
      assert.equal(pending(s, "predictions"), unlabelled.length);
      assert.equal(pending(s, "labels"), 0);
    }
    assert.deepEqual(still.all("driftwatch_windows_evaluated_total"), [], "no new window");
    assert.deepEqual(restarted.verdicts, []);

    // t3: the labels of the predictions that waited through the restart still find them.
    await produce(
      LABELS,
      unlabelled.map((r) => labelMessage({ ...r, actual: r.predicted })),
    );
    const late = await restarted.waitFor(
      (s) => joinCount(s, "matched") === all.labelled + unlabelled.length,
      PROCESS_MS,
      "the waiting predictions joined after the restart",
    );
    assert.equal(pending(late, "predictions"), 0);
    assert.equal(valid(late, "labels"), unlabelled.length);
    assert.equal(valid(late, "predictions"), 0);
    await restarted.stop(20_000);
    // No window closes; a detector may leave its warning zone on these correct pairs (whether it
    // was in it depends on how the two topics' pairs interleaved before the restart).
    assert.deepEqual(
      restarted.verdicts.filter(
        (l) => !/^\[quality\] \S+ (left its warning zone|warning: the error is rising) /.test(l),
      ),
      [],
      `${unlabelled.length} pairs close no window`,
    );
    const last = (readCheckpoint(stateDir) as Checkpoint).monitors.quality as {
      state: PerformanceMonitorState;
    };
    assert.equal(last.state.pairs, all.labelled + unlabelled.length);
    assert.equal(last.state.window.index, 7);
    assert.equal(last.state.window.events, unlabelled.length);
    note(`restart: nothing counted again; the ${unlabelled.length} waiting predictions joined`);
  });
});
