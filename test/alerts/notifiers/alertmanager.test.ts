import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AlertmanagerNotifier } from "../../../src/alerts/notifiers/alertmanager.js";
import type { NotifiedAlert } from "../../../src/alerts/notifiers/types.js";
import { firing, resolved } from "./fixtures.js";
import { type Receiver, startReceiver } from "./receiver.js";

const alertmanagerBin = process.env.ALERTMANAGER_BIN ?? "/usr/bin/prometheus-alertmanager";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A free loopback port (bound and released; Alertmanager binds it right after). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Polls `check` every 200 ms until it returns a value, failing after `timeoutMs` with `describe()`. */
async function waitUntil<T>(
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  describe: () => string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${describe()}`);
    await sleep(200);
  }
}

describe("AlertmanagerNotifier", () => {
  let receiver: Receiver | undefined;
  afterEach(async () => {
    await receiver?.close();
    receiver = undefined;
  });

  it("posts the alert array to /api/v2/alerts under the base URL's path", async () => {
    receiver = await startReceiver();
    const notifier = new AlertmanagerNotifier({ type: "alertmanager", url: `${receiver.url}/am/` });
    const bare: NotifiedAlert = {
      labels: { alertname: "X" },
      annotations: {},
      startsAt: "2024-05-01T11:00:00Z",
    };
    assert.deepEqual(await notifier.notify([firing, resolved, bare]), { ok: true });
    assert.equal(receiver.requests[0].path, "/am/api/v2/alerts");
    assert.deepEqual(receiver.requests[0].body, [firing, resolved, bare]);
  });

  describe("against a real Alertmanager", function () {
    this.timeout(60_000);
    let process_: ChildProcess | undefined;
    let dir: string | undefined;
    let output = "";
    let amUrl = "";
    let hook: Receiver | undefined;

    before(async () => {
      if (!existsSync(alertmanagerBin))
        throw new Error(
          `${alertmanagerBin} not found: this test needs a real Alertmanager; run \`npm run setup\` (Debian package prometheus-alertmanager)`,
        );
      hook = await startReceiver();
      dir = await mkdtemp(join(tmpdir(), "driftwatch-am-"));
      const config = [
        "route:",
        "  receiver: driftwatch-test",
        "  group_by: [alertname, monitor]",
        "  group_wait: 1s",
        "  group_interval: 1s",
        "  repeat_interval: 1h",
        "receivers:",
        "  - name: driftwatch-test",
        "    webhook_configs:",
        `      - url: ${hook.url}/alertmanager-webhook`,
        "        send_resolved: true",
        "",
      ].join("\n");
      await writeFile(join(dir, "alertmanager.yml"), config);
      const port = await freePort();
      amUrl = `http://127.0.0.1:${port}`;
      process_ = spawn(
        alertmanagerBin,
        [
          `--config.file=${join(dir, "alertmanager.yml")}`,
          `--storage.path=${join(dir, "data")}`,
          `--web.listen-address=127.0.0.1:${port}`,
          "--cluster.listen-address=",
          "--log.level=info",
        ],
        { stdio: ["ignore", "pipe", "pipe"] },
      );
      process_.stdout?.on("data", (chunk: Buffer) => {
        output += chunk.toString();
      });
      process_.stderr?.on("data", (chunk: Buffer) => {
        output += chunk.toString();
      });
      await waitUntil(
        async () => {
          if (process_?.exitCode !== null) throw new Error(`alertmanager exited early:\n${output}`);
          const response = await fetch(`${amUrl}/-/ready`);
          return response.ok ? true : undefined;
        },
        20_000,
        () => `alertmanager to be ready; its log:\n${output.slice(-2_000)}`,
      ).catch((error: Error) => {
        throw new Error(`${error.message}${process_?.exitCode !== null ? `\n${output}` : ""}`);
      });
    });

    after(async () => {
      const child = process_;
      if (child && child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        const killTimer = setTimeout(() => child.kill("SIGKILL"), 5_000);
        await exited;
        clearTimeout(killTimer);
      }
      await hook?.close();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it("accepts a firing alert, routes it to a webhook, then resolves it", async () => {
      assert.ok(hook);
      const notifier = new AlertmanagerNotifier({ type: "alertmanager", url: amUrl });
      const startsAt = new Date(Date.now() - 60_000).toISOString();
      const labels = { ...firing.labels, alertname: "DriftwatchIntegration" };
      const alert: NotifiedAlert = { ...firing, labels, startsAt };

      assert.deepEqual(await notifier.notify([alert]), { ok: true });

      type ApiAlert = {
        labels: Record<string, string>;
        status: { state: string };
        annotations: Record<string, string>;
      };
      const listed = await waitUntil(
        async () => {
          const alerts = (await (await fetch(`${amUrl}/api/v2/alerts`)).json()) as ApiAlert[];
          return alerts.find((a) => a.labels.alertname === "DriftwatchIntegration");
        },
        10_000,
        () => "the alert in GET /api/v2/alerts",
      );
      assert.equal(listed.status.state, "active");
      assert.deepEqual(listed.labels, labels);
      assert.equal(listed.annotations.summary, firing.annotations.summary);

      type WebhookBody = { status: string; alerts: { status: string; labels: Record<string, string> }[] };
      const bodies = () => hook?.requests.map((r) => r.body as WebhookBody) ?? [];
      const fired = await waitUntil(
        async () => bodies().find((b) => b.status === "firing"),
        15_000,
        () =>
          `a firing notification from alertmanager; got ${JSON.stringify(bodies())}; log:\n${output.slice(-2_000)}`,
      );
      assert.deepEqual(fired.alerts[0].labels, labels);
      assert.equal(fired.alerts[0].status, "firing");

      const endsAt = new Date(Date.now() - 1_000).toISOString();
      assert.deepEqual(await notifier.notify([{ ...alert, endsAt }]), { ok: true });
      const done = await waitUntil(
        async () => bodies().find((b) => b.status === "resolved"),
        20_000,
        () =>
          `a resolved notification from alertmanager; got ${JSON.stringify(bodies())}; log:\n${output.slice(-2_000)}`,
      );
      assert.equal(done.alerts[0].status, "resolved");
      assert.deepEqual(done.alerts[0].labels, labels);
      assert.ok(hook.requests.every((r) => r.path === "/alertmanager-webhook"));
    });

    it("refuses an invalid alert with a non-retryable 400", async () => {
      const notifier = new AlertmanagerNotifier({ type: "alertmanager", url: amUrl });
      const result = await notifier.notify([
        { labels: {}, annotations: {}, startsAt: new Date().toISOString() },
      ]);
      assert.equal(result.ok, false);
      assert.ok(!result.ok && !result.retryable, JSON.stringify(result));
      assert.ok(!result.ok && result.reason.startsWith("HTTP 400"), JSON.stringify(result));
    });
  });
});
