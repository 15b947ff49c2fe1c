/**
 * `driftwatch reference set` against a running daemon: a file at once, a window when it closes;
 * the change applies between batches (the window in flight loses nothing), is logged, counted,
 * exported as `driftwatch_reference_info` and checkpointed before the command returns, so a kill -9
 * right after it keeps the new reference.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { resolve } from "node:path";
import { driftwatch, scratch } from "../support/cli.js";
import { type Daemon, freePort, killAllDaemons, poll, startDaemon } from "../support/daemon.js";

const DEMO = readFileSync("drift/demo/seattle-weather.jsonl", "utf8").trimEnd().split("\n");
const TOKEN = "reference-admin-token";

describe("driftwatch reference set", () => {
  const { dir, file } = scratch("driftwatch-reference-");
  let daemon: Daemon;
  let url: string;
  let config: string;
  const state = `${dir}/state`;

  before(async function () {
    this.timeout(60_000);
    assert.ok(existsSync("dist/cli/main.js"), "run `npm run build` first (npm test does)");
    const port = await freePort();
    url = `http://127.0.0.1:${port}/v1/events`;
    file("token.txt", `${TOKEN}\n`);
    // The replacement: the same rows, 15 degrees warmer.
    file(
      "warm.csv",
      `temp_max\n${DEMO.slice(0, 100)
        .map((line) => (JSON.parse(line) as { temp_max: number }).temp_max + 15)
        .join("\n")}\n`,
    );
    config = file(
      "reference.yaml",
      `sources:
  inputs: { type: http, listen: "127.0.0.1:${port}", schema: ${resolve("drift/weather/schemas/weather-input.json")} }
features:
  temp_max: { source: inputs, path: /temp_max, type: numeric }
monitors:
  m: { type: drift, features: [temp_max], reference: { type: first, events: 100 }, window: { type: tumbling, events: 100 } }
  rolling: { type: drift, features: [temp_max], reference: { type: rolling, windows: 2 }, window: { type: tumbling, events: 100 } }
  o: { type: outliers, features: [temp_max], reference: { type: first, events: 100 }, scorers: [{ type: robust_z }], window: { type: tumbling, events: 100 } }
metrics: { listen: "127.0.0.1:9464", auth: { token_file: token.txt } }
`,
    );
    daemon = await start();
  });

  after(async () => {
    await killAllDaemons();
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(): Promise<Daemon> {
    const started = await startDaemon({ config, stateDir: state, token: TOKEN });
    await started.waitReady(30_000);
    return started;
  }

  async function send(from: number, to: number): Promise<void> {
    const response = await fetch(url, {
      method: "POST",
      body: DEMO.slice(from, to).join("\n"),
      headers: { "content-type": "application/x-ndjson" },
    });
    assert.equal(response.status, 202);
  }

  /** `reference set` against the running daemon (its metrics address is not the config's). */
  const setOf = (...args: string[]) =>
    driftwatch("reference", "set", "--config", config, "--url", `http://${daemon.metricsAddress}`, ...args);
  /** `reference set` of monitor m. */
  const set = (...args: string[]) => setOf("--monitor", "m", ...args);

  it("replaces the reference with a file at once, keeps the window in flight, and survives a kill -9", async function () {
    this.timeout(120_000);
    await send(0, 150); // the first 100 are the reference; 50 are in the open window
    await daemon.waitFor(
      (s) => s.value("driftwatch_events_total", { source: "inputs", outcome: "valid" }) === 150,
      30_000,
      "150 events counted",
    );
    let scrape = await daemon.scrape();
    assert.equal(scrape.value("driftwatch_reference_info", { monitor: "m", reference: "first:100" }), 1);
    assert.equal(
      scrape.value("driftwatch_reference_info", { monitor: "rolling", reference: "rolling:2" }),
      1,
    );

    const anonymous = await fetch(`http://${daemon.metricsAddress}/admin/reference`, {
      method: "POST",
      body: JSON.stringify({ monitor: "m", from: "window:9" }),
    });
    assert.equal(anonymous.status, 401, "the admin endpoint needs the metrics token");

    const r = set("--from", `${dir}/warm.csv`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "m: the reference is now file:warm.csv\n");
    scrape = await daemon.scrape();
    assert.equal(scrape.value("driftwatch_reference_info", { monitor: "m", reference: "file:warm.csv" }), 1);
    assert.equal(
      scrape.value("driftwatch_reference_info", { monitor: "m", reference: "first:100" }),
      undefined,
    );
    assert.equal(scrape.value("driftwatch_reference_changes_total", { monitor: "m" }), 1);
    assert.match(
      daemon.stderr,
      /msg="reference changed" monitor=m from=first:100 to=file:warm\.csv events=100/,
    );

    // An outlier monitor's scorers are refitted on the file's rows.
    const outliers = setOf("--monitor", "o", "--from", `${dir}/warm.csv`);
    assert.equal(outliers.stdout, "o: the reference is now file:warm.csv\n", outliers.stderr);
    scrape = await daemon.scrape();
    assert.equal(scrape.value("driftwatch_reference_events", { monitor: "o" }), 100);

    // Checkpointed before the command returned: a kill -9 now keeps it.
    await daemon.kill();
    daemon = await start();
    scrape = await daemon.scrape();
    assert.equal(scrape.value("driftwatch_reference_info", { monitor: "m", reference: "file:warm.csv" }), 1);
    assert.equal(scrape.value("driftwatch_reference_info", { monitor: "o", reference: "file:warm.csv" }), 1);
    await send(150, 200);
    await daemon.waitFor(
      (s) => s.value("driftwatch_windows_evaluated_total", { monitor: "m", trigger: "window_close" }) === 1,
      30_000,
      "window 0 closed",
    );
    scrape = await daemon.scrape();
    assert.equal(
      scrape.value("driftwatch_window_events", { monitor: "m" }),
      100,
      "the window in flight kept its 50",
    );
    assert.equal(
      scrape.value("driftwatch_drift_detected", { monitor: "m", feature: "temp_max" }),
      1,
      "15 degrees off",
    );
  });

  it("takes a window still to come as the reference when it closes, and refuses what cannot be", async function () {
    this.timeout(120_000);
    const closed = set("--from", "window:0");
    assert.equal(closed.code, 2);
    assert.equal(
      closed.stderr,
      'driftwatch: m: window 0 of monitor "m" has closed, and windows are not kept; name one still to come (the next is 1) or give a file\n',
    );
    const r = set("--from", "window:1");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "m: the reference becomes window:1 when that window closes\n");
    await send(200, 300);
    await daemon.waitFor(
      (s) => s.value("driftwatch_reference_info", { monitor: "m", reference: "window:1" }) === 1,
      30_000,
      "window 1 is the reference",
    );
    const scrape = await daemon.scrape();
    // Window 1 itself was compared with the warm file.
    assert.equal(
      scrape.value("driftwatch_windows_evaluated_total", { monitor: "m", trigger: "window_close" }),
      2,
    );
    await poll(
      () => (daemon.stderr.includes("to=window:1") ? true : undefined),
      10_000,
      () => daemon.logTail(),
    );

    for (const [args, message] of [
      [
        ["--monitor", "nope", "--from", "window:5"],
        /^driftwatch: nope: no monitor named "nope"; monitors: m, rolling, o\n$/,
      ],
      [["--monitor", "rolling", "--from", "window:5"], /rolling reference, which moves by itself/],
      [["--from", `${dir}/missing.csv`], /missing\.csv/],
      [["--from", "window:x"], /^driftwatch: --from "window:x": a window is window:N/],
    ] as const) {
      const refused = setOf(...(args[0] === "--monitor" ? [] : ["--monitor", "m"]), ...args);
      assert.equal(refused.code, 2, refused.stderr);
      assert.match(refused.stderr, message);
      assert.equal(refused.stderr.trim().split("\n").length, 1, refused.stderr);
    }
  });
});
