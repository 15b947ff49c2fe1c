/**
 * The HTTP source bounds what a client can hold: connections, the time to send headers and body,
 * and the body's size; a deep or malformed element rejects only itself, and every request is
 * counted. Before, 1 000 slow connections were held for 70 s, and a deep body got a 500 that no
 * metric, log or dead letter recorded.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type Daemon, freePort, killAllDaemons, startDaemon } from "../support/daemon.js";

const SCHEMA = resolve("drift/weather/schemas/weather-input.json");
const DEMO = readFileSync("drift/demo/seattle-weather.jsonl", "utf8").trimEnd().split("\n");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function deep(depth: number): string {
  return `{"date":"2012-01-01","weather":"sun","temp_max":${"[".repeat(depth)}1${"]".repeat(depth)}}`;
}

describe("the HTTP source under hostile clients", () => {
  let work: string;
  let daemon: Daemon;
  let url: string;
  let port: number;

  before(async function () {
    this.timeout(60_000);
    assert.ok(existsSync("dist/cli/main.js"), "run `npm run build` first (npm test does)");
    work = mkdtempSync(join(tmpdir(), "driftwatch-http-limits-"));
    port = await freePort();
    url = `http://127.0.0.1:${port}/v1/events`;
    const config = join(work, "http.yaml");
    writeFileSync(
      config,
      [
        "sources:",
        "  inputs:",
        "    type: http",
        `    listen: 127.0.0.1:${port}`,
        `    schema: ${SCHEMA}`,
        "    max_body_bytes: 200000",
        "    max_connections: 50",
        "    header_timeout_secs: 1",
        "    body_timeout_secs: 2",
        `    dead_letter: { path: ${join(work, "dead.jsonl")} }`,
        "features:",
        "  temp_max: { source: inputs, path: /temp_max, type: numeric }",
        "monitors:",
        "  m:",
        "    type: drift",
        "    features: [temp_max]",
        "    reference: { type: first, events: 100 }",
        "    window: { type: tumbling, events: 100 }",
        "state: { dir: state }",
      ].join("\n"),
    );
    daemon = await startDaemon({ config, stateDir: join(work, "state") });
    await daemon.waitReady(30_000);
  });

  after(async () => {
    await killAllDaemons();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  async function post(body: string, type = "application/json"): Promise<{ status: number; json: unknown }> {
    const response = await fetch(url, { method: "POST", body, headers: { "content-type": type } });
    return { status: response.status, json: await response.json() };
  }

  it("rejects a deep body as too_deep with 202, counted and dead-lettered", async () => {
    const answer = await post(deep(10_000));
    assert.deepEqual(answer, { status: 202, json: { received: 1, accepted: 0, rejected: 1 } });
    const scrape = await daemon.scrape();
    assert.equal(
      scrape.value("driftwatch_events_invalid_total", { source: "inputs", reason: "too_deep" }),
      1,
    );
    assert.equal(scrape.value("driftwatch_http_requests_total", { source: "inputs", code: "202" }), 1);
  });

  it("rejects only the bad elements of an array or NDJSON body, each with its own bytes", async () => {
    const array = `[${DEMO[0]}, ${deep(5000)}, {"date": 1}, ${DEMO[1]}]`;
    assert.deepEqual(await post(array), { status: 202, json: { received: 4, accepted: 2, rejected: 2 } });
    const ndjson = [DEMO[2], deep(5000), "{not json", DEMO[3]].join("\n");
    assert.deepEqual(await post(ndjson, "application/x-ndjson"), {
      status: 202,
      json: { received: 4, accepted: 2, rejected: 2 },
    });
    await daemon.stop();
    const letters = readFileSync(join(work, "dead.jsonl"), "utf8")
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as { reason: string; value: string });
    assert.deepEqual(
      letters.map((l) => l.reason),
      ["too_deep", "too_deep", "schema", "too_deep", "malformed_json"],
    );
    // The element's own text, as sent: not a re-serialisation of the parsed value.
    assert.equal(letters[2].value, `{"date": 1}`);
    daemon = await startDaemon({ config: join(work, "http.yaml"), stateDir: join(work, "state") });
    await daemon.waitReady(30_000);
  });

  it("answers 413 to a body over max_body_bytes and stays up", async () => {
    const answer = await post(`[${`${DEMO[0]},`.repeat(3000)}${DEMO[0]}]`);
    assert.equal(answer.status, 413);
    assert.equal((await post(DEMO[0])).status, 202);
  });

  it("drops connections over max_connections and times out slow clients, then serves again", async function () {
    this.timeout(60_000);
    // One that sends its headers and then a body that never completes.
    const slowBody = connect(port, "127.0.0.1");
    slowBody.on("error", () => {});
    let slowReply = "";
    slowBody.on("data", (chunk) => {
      slowReply += chunk.toString();
    });
    const slowClosed = new Promise<void>((resolve) => slowBody.on("close", () => resolve()));
    slowBody.write(
      `POST /v1/events HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"date":`,
    );
    const sockets: Socket[] = [];
    const closed: Promise<string>[] = [];
    for (let i = 0; i < 300; i++) {
      const socket = connect(port, "127.0.0.1");
      socket.on("error", () => {});
      let reply = "";
      socket.on("data", (chunk) => {
        reply += chunk.toString();
      });
      closed.push(new Promise((resolve) => socket.on("close", () => resolve(reply))));
      // Headers that never end: a slowloris client.
      socket.write(`POST /v1/events HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n`);
      sockets.push(socket);
    }
    const started = Date.now();
    const replies = await Promise.all(closed);
    await slowClosed;
    const elapsed = Date.now() - started;
    // Every slow connection is gone well before Node's defaults (60 s headers, 300 s request).
    assert.ok(elapsed < 30_000, `slow clients held for ${elapsed} ms`);
    assert.ok(replies.filter((r) => r.startsWith("HTTP/1.1 408")).length >= 1, "some got 408");
    assert.match(slowReply, /^HTTP\/1.1 408/, "the slow body got 408");
    const scrape = await daemon.scrape();
    const dropped =
      scrape.value("driftwatch_http_requests_total", { source: "inputs", code: "dropped" }) ?? 0;
    const timedOut = scrape.value("driftwatch_http_requests_total", { source: "inputs", code: "408" }) ?? 0;
    assert.ok(dropped >= 250 - 50, `dropped ${dropped}`);
    assert.ok(timedOut >= 1, `408: ${timedOut}`);
    assert.equal((await post(DEMO[4])).status, 202);
    for (const socket of sockets) socket.destroy();
    await sleep(10);
  });
});
