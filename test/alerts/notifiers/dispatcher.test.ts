// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${NAME}` is the config syntax for environment references, not a template
import assert from "node:assert/strict";
import { Dispatcher, type NotificationOutcome } from "../../../src/alerts/notifiers/dispatcher.js";
import { buildNotifiers } from "../../../src/alerts/notifiers/registry.js";
import type { NotifiedAlert, Notifier, NotifyResult } from "../../../src/alerts/notifiers/types.js";
import { WebhookNotifier } from "../../../src/alerts/notifiers/webhook.js";
import { Logger } from "../../../src/log.js";
import { firing, resolved } from "./fixtures.js";
import { captureLines, type Receiver, startReceiver } from "./receiver.js";

/** Records outcomes as `notifier:outcome` strings, and sleeps without waiting. */
function harness() {
  const outcomes: string[] = [];
  const sleeps: number[] = [];
  const logs = captureLines();
  return {
    outcomes,
    sleeps,
    logs,
    options: {
      logger: new Logger("debug", { component: "notifiers" }, logs.write),
      onOutcome: (notifier: string, outcome: NotificationOutcome) => outcomes.push(`${notifier}:${outcome}`),
      sleep: async (ms: number) => {
        sleeps.push(ms);
      },
      random: () => 0.5,
    },
  };
}

/** A notifier that answers from a script and records what it was given; `gate` holds each call. */
class ScriptedNotifier implements Notifier {
  readonly calls: (readonly NotifiedAlert[])[] = [];
  gate: Promise<void> = Promise.resolve();
  constructor(
    readonly name: string,
    private readonly results: NotifyResult[] = [{ ok: true }],
  ) {}
  async notify(alerts: readonly NotifiedAlert[]): Promise<NotifyResult> {
    this.calls.push(alerts);
    await this.gate;
    return this.results[Math.min(this.calls.length - 1, this.results.length - 1)];
  }
}

describe("Dispatcher", () => {
  let receiver: Receiver | undefined;
  afterEach(async () => {
    await receiver?.close();
    receiver = undefined;
  });

  it("retries a 500 with backoff, then counts the delivery as sent", async () => {
    receiver = await startReceiver({ statuses: [500, 500, 200] });
    const h = harness();
    const dispatcher = new Dispatcher([new WebhookNotifier({ type: "webhook", url: receiver.url })], {
      ...h.options,
      initialBackoffMs: 1_000,
    });
    dispatcher.enqueue([firing]);
    await dispatcher.flush();
    assert.equal(receiver.requests.length, 3);
    assert.deepEqual(h.outcomes, ["webhook:retried", "webhook:retried", "webhook:sent"]);
    // Equal jitter with random() = 0.5: 3/4 of 1 s, then of 2 s.
    assert.deepEqual(h.sleeps, [750, 1_500]);
  });

  it("does not retry a 400 and counts it as failed", async () => {
    receiver = await startReceiver({ statuses: [400] });
    const h = harness();
    const dispatcher = new Dispatcher(
      [new WebhookNotifier({ type: "webhook", url: receiver.url })],
      h.options,
    );
    dispatcher.enqueue([firing]);
    await dispatcher.flush();
    assert.equal(receiver.requests.length, 1);
    assert.deepEqual(h.outcomes, ["webhook:failed"]);
    assert.match(h.logs.lines.join(""), /level=error msg="Notification failed; giving up".*reason="HTTP 400/);
  });

  it("retries a timeout, and gives up after maxAttempts", async () => {
    receiver = await startReceiver({ delayMs: 1_000 });
    const h = harness();
    const dispatcher = new Dispatcher(
      [new WebhookNotifier({ type: "webhook", url: receiver.url, timeout_secs: 0.1 })],
      { ...h.options, maxAttempts: 3 },
    );
    dispatcher.enqueue([firing]);
    await dispatcher.flush();
    assert.equal(receiver.requests.length, 3);
    assert.deepEqual(h.outcomes, ["webhook:retried", "webhook:retried", "webhook:failed"]);
    assert.match(h.logs.lines.at(-1) ?? "", /reason="timed out after 0.1s" retryable=true attempts=3/);
  });

  it("caps the backoff", () => {
    const h = harness();
    const dispatcher = new Dispatcher([], {
      ...h.options,
      initialBackoffMs: 1_000,
      maxBackoffMs: 5_000,
      random: () => 1,
    });
    assert.deepEqual(
      [1, 2, 3, 4, 5, 10].map((retry) => dispatcher.backoffMs(retry)),
      [1_000, 2_000, 4_000, 5_000, 5_000, 5_000],
    );
    const low = new Dispatcher([], { ...h.options, initialBackoffMs: 1_000, random: () => 0 });
    assert.equal(low.backoffMs(1), 500, "jitter never goes below half the ceiling");
  });

  it("returns from enqueue at once and drops the oldest batch when a queue is full", async () => {
    const h = harness();
    const slow = new ScriptedNotifier("slow");
    let release = () => {};
    slow.gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const fast = new ScriptedNotifier("fast");
    const dispatcher = new Dispatcher([slow, fast], { ...h.options, queueCapacity: 2 });
    const batches = [1, 2, 3, 4, 5].map((n) => [
      { ...firing, labels: { ...firing.labels, batch: String(n) } },
    ]);
    for (const batch of batches) {
      const started = Date.now();
      dispatcher.enqueue(batch);
      assert.ok(Date.now() - started < 20, "enqueue does not wait for a blocked notifier");
      // Let the fast notifier deliver before the next batch comes; the slow one stays blocked.
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.equal(fast.calls.length, 5, "a blocked notifier does not hold up the others");
    // Batch 1 is in flight; 2..5 compete for 2 places: 2 and 3 are dropped.
    release();
    await dispatcher.flush();
    assert.deepEqual(
      slow.calls.map((c) => c[0].labels.batch),
      ["1", "4", "5"],
    );
    assert.deepEqual(
      fast.calls.map((c) => c[0].labels.batch),
      ["1", "2", "3", "4", "5"],
    );
    const count = (what: string) => h.outcomes.filter((o) => o === what).length;
    assert.equal(count("slow:dropped"), 2);
    assert.equal(count("slow:sent"), 3);
    assert.equal(count("fast:sent"), 5);
    const overflowLogs = h.logs.lines.filter((l) => l.includes("Notification queue full"));
    assert.equal(overflowLogs.length, 1, "an overflow is logged once, not per drop");
    assert.match(overflowLogs[0], /level=error .*notifier=slow .*capacity=2/);
  });

  it("delivers one notifier's batches in order, so a resolution follows its firing", async () => {
    const h = harness();
    const notifier = new ScriptedNotifier("ordered", [
      { ok: false, retryable: true, reason: "HTTP 503" },
      { ok: true },
    ]);
    const dispatcher = new Dispatcher([notifier], h.options);
    dispatcher.enqueue([firing]);
    dispatcher.enqueue([resolved]);
    await dispatcher.flush();
    assert.deepEqual(notifier.calls, [[firing], [firing], [resolved]]);
  });

  it("counts a throwing notifier as failed instead of crashing the pipeline", async () => {
    const h = harness();
    const broken: Notifier = {
      name: "broken",
      notify: () => Promise.reject(new Error("boom at https://hooks.example.com/T0/secret-token")),
    };
    const dispatcher = new Dispatcher([broken], h.options);
    dispatcher.enqueue([firing]);
    await dispatcher.flush();
    assert.deepEqual(h.outcomes, ["broken:failed"]);
    const log = h.logs.lines.join("");
    assert.match(log, /notifier threw: boom at https:\/\/hooks.example.com/);
    assert.doesNotMatch(log, /secret-token/);
  });

  it("never logs a secret URL from the environment", async () => {
    receiver = await startReceiver({ statuses: [503, 503, 404] });
    const env = { ALERT_HOOK: `${receiver.url}/hooks/T0123/B0456/very-secret-token?key=hunter2` };
    const h = harness();
    const notifiers = buildNotifiers(
      [
        { type: "webhook", url: "${ALERT_HOOK}" },
        { type: "slack", url: "${ALERT_HOOK}" },
      ],
      { env },
    );
    const dispatcher = new Dispatcher(notifiers, h.options);
    dispatcher.enqueue([firing]);
    await dispatcher.flush();
    assert.ok(receiver.requests.length >= 3);
    const log = h.logs.lines.join("");
    assert.match(log, /msg="Notification failed; retrying"/);
    assert.ok(log.includes(`endpoint=${receiver.url}`), "the redacted endpoint is logged");
    for (const secret of ["very-secret-token", "hunter2", "T0123", "/hooks/"])
      assert.ok(!log.includes(secret), `${secret} leaked into the log:\n${log}`);
  });

  it("on close, drops what it cannot deliver before the deadline and counts it", async () => {
    const h = harness();
    const failing = new ScriptedNotifier("down", [{ ok: false, retryable: true, reason: "HTTP 503" }]);
    const dispatcher = new Dispatcher([failing], {
      ...h.options,
      // A real wait, interrupted by close()'s deadline.
      sleep: (ms, signal) =>
        new Promise<void>((resolve, reject) => {
          const timer = setTimeout(resolve, ms);
          signal.addEventListener("abort", () => {
            clearTimeout(timer);
            reject(signal.reason);
          });
        }),
      initialBackoffMs: 60_000,
    });
    dispatcher.enqueue([firing]);
    dispatcher.enqueue([resolved]);
    const started = Date.now();
    await dispatcher.close(100);
    assert.ok(Date.now() - started < 2_000, "close is bounded by its deadline");
    assert.deepEqual(h.outcomes, ["down:dropped", "down:dropped"]);
    dispatcher.enqueue([firing]);
    assert.deepEqual(h.outcomes.at(-1), "down:dropped", "a closed dispatcher drops and counts");
  });

  it("on close, delivers what is queued when the receivers are up", async () => {
    const h = harness();
    const notifier = new ScriptedNotifier("up");
    const dispatcher = new Dispatcher([notifier], h.options);
    dispatcher.enqueue([firing]);
    dispatcher.enqueue([resolved]);
    await dispatcher.close(1_000);
    assert.deepEqual(h.outcomes, ["up:sent", "up:sent"]);
  });
});
