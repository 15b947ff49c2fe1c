/**
 * End to end: a real Kafka broker, the daemon, a real Prometheus and a real Alertmanager (Debian
 * packages, on loopback with temporary configs) and a local webhook receiver.
 *
 * Produce a reference and a normal window at t0, drifted events at t1, normal events at t2; expect
 *   - the daemon's own webhook to get a firing DatasetDrift/FeatureDrift shortly after t1;
 *   - Prometheus to scrape the daemon, evaluate the shipped rules without errors, fire the drift
 *     rule, and Alertmanager to deliver that alert shortly after t1;
 *   - every dashboard panel query to answer from that Prometheus (with data where this scenario
 *     produces the metric);
 *   - both alerts to resolve shortly after t2.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Kafka, logLevel, Partitioners, type Producer } from "kafkajs";
import { promqlExpressions } from "../../dashboards/generate/registry.js";
import { type Daemon, killAllDaemons, poll, startDaemon } from "../support/daemon.js";
import { createTopic, type KafkaBroker, startKafka } from "../support/kafka.js";
import {
  alertmanagerBin,
  type Delivery,
  type Prometheus,
  prometheusBin,
  requireBinary,
  type Service,
  startAlertmanager,
  startPrometheus,
  startWebhookReceiver,
  type WebhookReceiver,
} from "../support/prometheus.js";

const SHIPPED_RULES = resolve("dashboards/rules/driftwatch.rules.yml");
const TOPIC = "e2e.inputs";
/** A second source no monitor reads: bad events go there so that the windows stay exact. */
const EXTRAS = "e2e.extras";
const MONITOR = "e2e-drift";
const REFERENCE_EVENTS = 300;
const WINDOW_EVENTS = 100;
/** The fast copy of the shipped DatasetDrift alert (see `fastRules`). */
const FAST_ALERT = "DriftwatchDatasetDriftE2E";
/** Bound on each wait from producing to an observed effect. */
const DETECT_MS = 20_000;
/** Bound on a notification's way through Prometheus and Alertmanager (1s scrape, 1s eval, 1s group_wait). */
const NOTIFY_MS = 30_000;

/**
 * The shipped rule `DriftwatchDatasetDrift` with `for: 0s` instead of `for: 30m`: a test-only
 * copy, so that the Prometheus → Alertmanager path fires within seconds. The shipped file itself
 * is loaded unchanged next to it. Keep `expr` equal to the shipped one.
 */
const fastRules = [
  "groups:",
  "  - name: driftwatch-e2e",
  "    rules:",
  `      - alert: ${FAST_ALERT}`,
  "        expr: driftwatch_drifted_features_share and driftwatch_dataset_drift == 1",
  "        for: 0s",
  "        labels: { severity: warning }",
  "        annotations: { summary: test-only copy of DriftwatchDatasetDrift with for 0s }",
  "",
].join("\n");

/**
 * Dashboard panels allowed to return no series in this scenario, with the reason. Every other
 * panel query must return data.
 */
const ALLOWED_EMPTY: readonly { readonly pattern: RegExp; readonly reason: string }[] = [];

/** A seeded uniform generator (mulberry32), so every run produces the same events and verdicts. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rand = random(20240501);
function normal(mean: number, sd: number): number {
  const u = 1 - rand();
  return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}
function pick(weights: Readonly<Record<string, number>>): string {
  let u = rand();
  for (const [value, weight] of Object.entries(weights)) {
    u -= weight;
    if (u <= 0) return value;
  }
  return Object.keys(weights)[0] ?? "";
}

/** `n` events; drifted ones shift both numeric features and the category mix. */
let nextId = 0;

/**
 * `n` events; drifted ones shift both numeric features and the category mix, and the model
 * behind `prediction` gets worse (10% → 40% errors).
 */
function events(n: number, drifted: boolean): { value: string }[] {
  return Array.from({ length: n }, () => {
    const label = rand() < 0.5 ? "yes" : "no";
    const wrong = rand() < (drifted ? 0.4 : 0.1);
    const prediction = wrong ? (label === "yes" ? "no" : "yes") : label;
    const confidence = 0.5 + 0.5 * rand();
    return {
      value: JSON.stringify({
        id: `e${nextId++}`,
        amount: normal(drifted ? 3 : 0, 1),
        latency_ms: normal(drifted ? 180 : 100, 20),
        channel: pick(drifted ? { web: 0.1, app: 0.2, store: 0.7 } : { web: 0.6, app: 0.3, store: 0.1 }),
        prediction,
        score: prediction === "yes" ? confidence : 1 - confidence,
        label,
      }),
    };
  });
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/**
 * A reference file like the normal events, for a monitor segmented by channel: drawn from a
 * generator of its own, so that the events' seeded stream (and every verdict above) is unchanged.
 */
function segmentsReference(n: number): string {
  const r = random(7);
  const gauss = (mean: number, sd: number) =>
    mean + sd * Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const lines = ["amount,latency_ms,channel"];
  for (let i = 0; i < n; i++) {
    const u = r();
    lines.push(`${gauss(0, 1)},${gauss(100, 20)},${u < 0.6 ? "web" : u < 0.9 ? "app" : "store"}`);
  }
  return `${lines.join("\n")}\n`;
}

describe("alerting end to end: Kafka → daemon → Prometheus → Alertmanager → webhook", function () {
  this.timeout(120_000);
  let kafka: KafkaBroker | undefined;
  let producer: Producer | undefined;
  let receiver: WebhookReceiver | undefined;
  let alertmanager: Service | undefined;
  let prometheus: Prometheus | undefined;
  let daemon: Daemon | undefined;
  let work = "";

  before(async function () {
    this.timeout(6 * 60_000); // the first broker start fetches its jars
    requireBinary(prometheusBin, "prometheus");
    requireBinary(alertmanagerBin, "prometheus-alertmanager");
    assert.ok(existsSync("dist/cli/main.js"), "run `npm run build` first (npm run test:e2e does)");
    work = mkdtempSync(join(tmpdir(), "driftwatch-e2e-"));
    kafka = await startKafka();
    await createTopic(kafka.brokers, TOPIC, 1);
    await createTopic(kafka.brokers, EXTRAS, 1);
    const client = new Kafka({ clientId: "driftwatch-e2e", brokers: kafka.brokers, logLevel: logLevel.WARN });
    producer = client.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();

    receiver = await startWebhookReceiver();
    alertmanager = await startAlertmanager({ webhookUrl: `${receiver.url}/alertmanager` });

    // A suite whose channel set leaves out "store" (10% of normal events), so that the
    // data-quality panels see failing expectations and unexpected values.
    const suite = join(work, "inputs.yaml");
    writeFileSync(
      suite,
      [
        "name: inputs",
        "expectations:",
        "  - type: expect_column_values_to_be_in_set",
        "    kwargs: { column: channel, value_set: [web, app] }",
        "  - type: expect_column_values_to_not_be_null",
        "    kwargs: { column: amount }",
        "  - type: expect_column_mean_to_be_between",
        "    kwargs: { column: latency_ms, min_value: 50, max_value: 150 }",
        "",
      ].join("\n"),
    );
    const reference = join(work, "segments-reference.csv");
    writeFileSync(reference, segmentsReference(600));
    // Two windows of 400 for the thresholds drawn from it.
    const thresholdsReference = join(work, "thresholds-reference.csv");
    writeFileSync(thresholdsReference, segmentsReference(800));
    const config = join(work, "driftwatch.yaml");
    writeFileSync(
      config,
      [
        "sources:",
        "  inputs:",
        "    type: kafka",
        `    brokers: [${kafka.brokers.join(", ")}]`,
        `    topic: ${TOPIC}`,
        "    group_id: driftwatch-e2e",
        "    session_timeout_secs: 6",
        "  extras:",
        "    type: kafka",
        `    brokers: [${kafka.brokers.join(", ")}]`,
        `    topic: ${EXTRAS}`,
        "    group_id: driftwatch-e2e-extras",
        "    session_timeout_secs: 6",
        "features:",
        "  extra_value: { source: extras, path: /value, type: numeric }",
        "  amount: { source: inputs, path: /amount, type: numeric }",
        "  latency_ms: { source: inputs, path: /latency_ms, type: numeric }",
        "  channel: { source: inputs, path: /channel, type: categorical }",
        "monitors:",
        `  ${MONITOR}:`,
        "    type: drift",
        "    features: [amount, latency_ms, channel]",
        `    reference: { type: first, events: ${REFERENCE_EVENTS} }`,
        `    window: { type: tumbling, events: ${WINDOW_EVENTS} }`,
        "    alerts: [{ type: dataset_drift }, { type: feature_drift }]",
        // The same numeric inputs by PSI with thresholds drawn from a reference file of normal
        // rows, so that the threshold series of the drift dashboard have data: one window of the
        // first 400 (normal) events, as e2e-segments; no second window closes, so it never drifts
        // beside the monitor whose alerts this test follows.
        "  e2e-thresholds:",
        "    type: drift",
        "    features: [amount, latency_ms]",
        "    numeric_test: psi",
        `    reference: { type: file, path: ${thresholdsReference} }`,
        `    window: { type: tumbling, events: ${REFERENCE_EVENTS + WINDOW_EVENTS} }`,
        "    thresholds: { std: 3 }",
        // Small outlier and performance monitors on the same events, so that the outlier and
        // model-quality dashboard panels have data too.
        "  e2e-outliers:",
        "    type: outliers",
        "    features: [amount, latency_ms]",
        `    reference: { type: first, events: ${REFERENCE_EVENTS} }`,
        "    scorers: [{ type: robust_z }]",
        `    window: { type: tumbling, events: ${WINDOW_EVENTS} }`,
        "    id: /id",
        // The two numeric inputs taken together, for the multivariate dashboard's panels.
        "  e2e-joint:",
        "    type: multivariate",
        "    features: [amount, latency_ms]",
        "    test: mmd",
        `    reference: { type: first, events: ${REFERENCE_EVENTS} }`,
        `    window: { type: tumbling, events: ${WINDOW_EVENTS} }`,
        "    alerts: [{ type: multivariate_drift }]",
        // Every event's latency tested as it comes, for the online drift panels.
        "  e2e-online:",
        "    type: online_drift",
        "    feature: latency_ms",
        `    reference: { type: first, events: ${REFERENCE_EVENTS} }`,
        "    ert: 500",
        "    window_sizes: [10, 30]",
        "    n_bootstraps: 5000",
        "    alerts: [{ type: online_drift }]",
        "  e2e-performance:",
        "    type: performance",
        "    task: classification",
        "    predictions: { source: inputs, id: /id, label: /prediction, score: /score }",
        "    labels: { source: inputs, id: /id, label: /label }",
        `    window: { type: tumbling, events: ${WINDOW_EVENTS} }`,
        "    detectors: [{ type: ddm }]",
        "    positive: yes",
        // Estimated before labels from the first 300 pairs, so the "Before the labels arrive" panels have data.
        `    estimation: { reference: { pairs: ${REFERENCE_EVENTS} }, chunk_size: ${WINDOW_EVENTS} }`,
        // Segmented by channel, against a reference file of normal rows: one window of the first
        // 400 (normal) events, so that the "Segments" panels have data; a tiny alpha keeps it from
        // alerting, and no second window closes.
        "  e2e-segments:",
        "    type: drift",
        "    features: [amount, latency_ms]",
        "    segment_by: channel",
        `    reference: { type: file, path: ${reference} }`,
        `    window: { type: tumbling, events: ${REFERENCE_EVENTS + WINDOW_EVENTS} }`,
        "    alpha: 0.000001",
        "  e2e-checks:",
        "    type: checks",
        "    source: inputs",
        `    suite: ${suite}`,
        `    window: { same_as: ${MONITOR} }`,
        "    id: /id",
        "state: { dir: state, checkpoint_interval_secs: 1 }",
        "alerting: { repeat_interval_secs: 60, evaluation_interval_secs: 1 }",
        "notifiers:",
        `  - { type: webhook, url: "${receiver.url}/daemon" }`,
        `  - { type: alertmanager, url: "${alertmanager.url}" }`,
        "",
      ].join("\n"),
    );
    daemon = await startDaemon({ config, stateDir: join(work, "state"), label: "e2e daemon" });
    await daemon.waitReady(30_000);

    const fast = join(work, "fast.rules.yml");
    writeFileSync(fast, fastRules);
    prometheus = await startPrometheus({
      scrapeTarget: daemon.metricsAddress,
      ruleFiles: [SHIPPED_RULES, fast],
      alertmanager: alertmanager.address,
    });
    // Prometheus learns its Alertmanager through service discovery, which publishes its first
    // update about 5 s after start: wait for it, so the latencies below measure the alert path.
    type Alertmanagers = { data: { activeAlertmanagers: { url: string }[] } };
    const prom = prometheus;
    await poll(
      async () => {
        const { data } = await prom.getJson<Alertmanagers>("/api/v1/alertmanagers");
        return data.activeAlertmanagers.length > 0 ? true : undefined;
      },
      20_000,
      () => `Prometheus to discover its Alertmanager; its log:\n${prom.logTail()}`,
      200,
    );
  });

  after(async function () {
    this.timeout(60_000);
    const stopped = daemon
      ? await daemon.stop().then(
          () => null,
          (error: Error) => error,
        )
      : null;
    await killAllDaemons();
    await prometheus?.stop();
    await alertmanager?.stop();
    await receiver?.close();
    await producer?.disconnect().catch(() => undefined);
    await kafka?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
    if (stopped) throw stopped;
  });

  /** Produces `messages` and returns the time the broker acknowledged the last one. */
  async function produce(messages: { value: string }[]): Promise<number> {
    await producer?.send({ topic: TOPIC, acks: -1, messages });
    return Date.now();
  }

  async function windowsEvaluated(count: number): Promise<void> {
    await daemon?.waitFor(
      (s) =>
        s.all("driftwatch_windows_evaluated_total", { monitor: MONITOR }).reduce((a, x) => a + x.value, 0) >=
        count,
      DETECT_MS,
      `${count} evaluated window(s)`,
    );
  }

  const deliveries = (path: string) => receiver?.deliveries.filter((d) => d.path === path) ?? [];
  const describeDeliveries = () =>
    JSON.stringify(
      receiver?.deliveries.map((d) => ({
        path: d.path,
        status: d.body.status,
        alerts: d.body.alerts.map((a) => `${a.labels.alertname}/${a.labels.feature ?? ""}:${a.status}`),
      })),
    );

  /** Waits for a delivery on `path` after `since` with an alert `alertname` in `status`. */
  function delivery(
    path: string,
    alertname: string,
    status: "firing" | "resolved",
    since: number,
  ): Promise<Delivery> {
    return poll(
      () =>
        deliveries(path).find(
          (d) =>
            d.at >= since &&
            d.body.alerts.some((a) => a.labels.alertname === alertname && a.status === status),
        ),
      NOTIFY_MS,
      () =>
        `a ${status} ${alertname} on ${path}; deliveries: ${describeDeliveries()}\n` +
        `--- alertmanager ---\n${alertmanager?.logTail()}\n--- prometheus ---\n${prometheus?.logTail()}\n` +
        `--- daemon ---\n${daemon?.logTail()}`,
      50,
    );
  }

  let driftProducedAt = 0;

  it("produces a reference and a normal window: no drift, no alert", async () => {
    // Bad events on the extras source: malformed JSON, a wrongly typed and a missing feature,
    // so that the invalid-event and feature-quality panels have data.
    await producer?.send({
      topic: EXTRAS,
      acks: -1,
      messages: [
        { value: "{not json" },
        { value: JSON.stringify({ value: "text" }) },
        { value: "{}" },
        { value: JSON.stringify({ value: 1 }) },
      ],
    });
    await produce(events(REFERENCE_EVENTS + WINDOW_EVENTS, false));
    await windowsEvaluated(1);
    const scrape = await daemon?.scrape();
    assert.equal(scrape?.value("driftwatch_dataset_drift", { monitor: MONITOR }), 0);
    assert.deepEqual(
      scrape?.all("driftwatch_drift_detected", { monitor: MONITOR }).map((s) => s.value),
      [0, 0, 0],
      "the seeded normal window drifts in no feature",
    );
    assert.deepEqual(deliveries("/daemon"), []);
    assert.deepEqual(deliveries("/alertmanager"), []);
  });

  it("drifted events: the daemon's notifier delivers DatasetDrift and FeatureDrift with context", async () => {
    driftProducedAt = await produce(events(WINDOW_EVENTS, true));
    const fired = await delivery("/daemon", "DatasetDrift", "firing", driftProducedAt);
    console.log(
      `      daemon webhook: last drifted event produced → firing DatasetDrift delivered in ${seconds(fired.at - driftProducedAt)}`,
    );
    const dataset = fired.body.alerts.find((a) => a.labels.alertname === "DatasetDrift");
    assert.equal(dataset?.labels.monitor, MONITOR);
    assert.equal(dataset?.annotations.drifted_features, "3/3");
    assert.ok(dataset?.annotations.summary?.includes(MONITOR), JSON.stringify(dataset));
    assert.ok(dataset?.annotations.top_features, JSON.stringify(dataset));

    const features = await poll(
      () => {
        const names = new Set(
          deliveries("/daemon")
            .flatMap((d) => d.body.alerts)
            .filter((a) => a.labels.alertname === "FeatureDrift" && a.status === "firing")
            .map((a) => a.labels.feature),
        );
        return names.size === 3 ? names : undefined;
      },
      NOTIFY_MS,
      () => `a firing FeatureDrift for each feature; deliveries: ${describeDeliveries()}`,
    );
    assert.deepEqual([...features].sort(), ["amount", "channel", "latency_ms"]);
    const feature = deliveries("/daemon")
      .flatMap((d) => d.body.alerts)
      .find((a) => a.labels.alertname === "FeatureDrift" && a.labels.feature === "amount");
    assert.equal(feature?.labels.monitor, MONITOR);
    for (const key of ["statistic", "threshold", "n_reference", "n_current"])
      assert.ok(feature?.annotations[key] !== undefined, `annotation ${key} in ${JSON.stringify(feature)}`);
    assert.equal(feature?.annotations.n_reference, String(REFERENCE_EVENTS));
    assert.equal(feature?.annotations.n_current, String(WINDOW_EVENTS));

    // The daemon's alertmanager notifier: the same alert reaches the receiver through Alertmanager.
    const routed = await delivery("/alertmanager", "DatasetDrift", "firing", driftProducedAt);
    const viaAlertmanager = routed.body.alerts.find((a) => a.labels.alertname === "DatasetDrift");
    assert.equal(viaAlertmanager?.labels.monitor, MONITOR);
    assert.equal(viaAlertmanager?.labels.job, undefined, "the daemon's own alert, not a scraped one");
    console.log(
      `      daemon → Alertmanager → webhook: DatasetDrift delivered in ${seconds(routed.at - driftProducedAt)}`,
    );
  });

  it("Prometheus scrapes the daemon, evaluates the shipped rules, and Alertmanager delivers the drift alert", async () => {
    type Targets = {
      data: { activeTargets: { labels: Record<string, string>; health: string; lastError: string }[] };
    };
    const target = await poll(
      async () => {
        const { data } = await (prometheus as Prometheus).getJson<Targets>("/api/v1/targets");
        return data.activeTargets.find((t) => t.labels.job === "driftwatch" && t.health === "up");
      },
      10_000,
      () => "the driftwatch target to be up",
    );
    assert.equal(target.labels.instance, daemon?.metricsAddress);

    type Rules = {
      data: {
        groups: {
          name: string;
          file: string;
          rules: { name: string; health: string; lastError?: string }[];
        }[];
      };
    };
    const rules = await poll(
      async () => {
        const { data } = await (prometheus as Prometheus).getJson<Rules>("/api/v1/rules");
        const all = data.groups.flatMap((g) => g.rules.map((r) => ({ ...r, group: g.name, file: g.file })));
        return all.every((r) => r.health !== "unknown") ? all : undefined;
      },
      10_000,
      () => "every rule to be evaluated once",
    );
    const shipped = rules.filter((r) => r.file === SHIPPED_RULES);
    assert.ok(shipped.length >= 20, `the shipped file's rules are loaded: ${shipped.length}`);
    assert.deepEqual(
      rules.filter((r) => r.health !== "ok").map((r) => `${r.group}/${r.name}: ${r.health} ${r.lastError}`),
      [],
    );

    const fired = await delivery("/alertmanager", FAST_ALERT, "firing", driftProducedAt);
    console.log(
      `      Prometheus → Alertmanager → webhook: last drifted event produced → firing ${FAST_ALERT} delivered in ${seconds(fired.at - driftProducedAt)}`,
    );
    const alert = fired.body.alerts.find((a) => a.labels.alertname === FAST_ALERT);
    assert.equal(alert?.labels.monitor, MONITOR);
    assert.equal(alert?.labels.job, "driftwatch");
  });

  it("every dashboard panel query answers from Prometheus, with data where this scenario makes the metric", async () => {
    const expressions = promqlExpressions();
    assert.ok(expressions.length > 0);
    const empty: string[] = [];
    const unexplained: string[] = [];
    for (const e of expressions) {
      const where = `${e.dashboard} / ${e.panel} / ${e.refId}: ${e.resolved}`;
      const data = await (prometheus as Prometheus).query(e.resolved).catch((error: Error) => {
        throw new Error(`${where}: ${error.message}`);
      });
      const hasData = Array.isArray(data.result) ? data.result.length > 0 : data.result !== null;
      if (hasData) continue;
      const allowed = ALLOWED_EMPTY.find((a) => a.pattern.test(e.resolved));
      if (allowed) empty.push(`${where} (${allowed.reason})`);
      else unexplained.push(where);
    }
    console.log(
      `      ${expressions.length} panel queries, ${expressions.length - empty.length} with data; allowed empty:`,
    );
    for (const line of empty) console.log(`        ${line}`);
    assert.deepEqual(unexplained, [], "panel queries without data over metrics this scenario produces");
  });

  it("normal events again: the daemon's alerts and the Prometheus alert resolve", async () => {
    const normalProducedAt = await produce(events(WINDOW_EVENTS, false));
    const daemonResolved = await delivery("/daemon", "DatasetDrift", "resolved", normalProducedAt);
    await poll(
      () => {
        const resolved = new Set(
          deliveries("/daemon")
            .filter((d) => d.at >= normalProducedAt)
            .flatMap((d) => d.body.alerts)
            .filter((a) => a.labels.alertname === "FeatureDrift" && a.status === "resolved")
            .map((a) => a.labels.feature),
        );
        return resolved.size === 3 ? true : undefined;
      },
      NOTIFY_MS,
      () => `a resolved FeatureDrift for each feature; deliveries: ${describeDeliveries()}`,
    );
    const routedResolved = await delivery("/alertmanager", "DatasetDrift", "resolved", normalProducedAt);
    const promResolved = await delivery("/alertmanager", FAST_ALERT, "resolved", normalProducedAt);
    console.log(
      `      resolved after the normal window was produced: daemon webhook ${seconds(daemonResolved.at - normalProducedAt)}, ` +
        `daemon via Alertmanager ${seconds(routedResolved.at - normalProducedAt)}, Prometheus rule via Alertmanager ${seconds(promResolved.at - normalProducedAt)}`,
    );
    const scrape = await daemon?.scrape();
    assert.equal(scrape?.value("driftwatch_dataset_drift", { monitor: MONITOR }), 0);
  });
});
