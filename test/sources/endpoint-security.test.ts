import { strict as assert } from "node:assert";
import { readFileSync, rmSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { join } from "node:path";
import { loadConfig } from "../../src/config/load.js";
import { Logger } from "../../src/log.js";
import { Pipeline } from "../../src/pipeline.js";
import { scratch } from "../support/cli.js";
import { freePort } from "../support/daemon.js";
import { makeTestPki, type TestPki } from "../support/tls.js";

const TOKEN = "t0ken-that-must-not-leak";
const { dir, file } = scratch("driftwatch-endpoint-security-");
let pki: TestPki;

/** A request over HTTPS trusting the test CA: status and body. */
function https(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      { method: options.method ?? "GET", headers: options.headers, ca: readFileSync(pki.ca) },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c) => {
          text += c;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

describe("bearer tokens and TLS on the HTTP source and the metrics server", () => {
  before(() => {
    pki = makeTestPki(dir);
    file("token.txt", `${TOKEN}\n`);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("takes events only with the token, over HTTPS, and serves /metrics only with it", async () => {
    const [sourcePort, metricsPort] = [await freePort(), await freePort()];
    process.env.DW_TEST_SOURCE_TOKEN = TOKEN;
    const logs: string[] = [];
    const config = file(
      "https.yaml",
      `sources:
  web:
    type: http
    listen: 127.0.0.1:${sourcePort}
    auth: { token_env: DW_TEST_SOURCE_TOKEN }
    tls: { cert_file: broker.crt, key_file: broker.key }
features:
  x: { source: web, path: /x, type: numeric }
monitors:
  m: { type: drift, features: [x], reference: { type: first, events: 2 }, window: { type: tumbling, events: 2 } }
metrics:
  listen: 127.0.0.1:${metricsPort}
  auth: { token_file: token.txt }
  tls: { cert_file: broker.crt, key_file: broker.key }
state: { dir: state }
`,
    );
    const pipeline = await Pipeline.create(loadConfig(config), {
      log: new Logger("debug", {}, (line) => logs.push(line)),
    });
    await pipeline.start();
    try {
      const events = `https://localhost:${sourcePort}/v1/events`;
      const post = (headers: Record<string, string>) =>
        https(events, {
          method: "POST",
          headers: { "content-type": "application/json", ...headers },
          body: '{"x":1}',
        });
      const none = await post({});
      assert.equal(none.status, 401);
      assert.equal(none.headers["www-authenticate"], "Bearer");
      assert.equal((await post({ authorization: "Bearer nope" })).status, 401);
      assert.equal((await post({ authorization: `Bearer ${TOKEN}x` })).status, 401);
      assert.equal((await post({ authorization: `Bearer ${TOKEN}` })).status, 202);
      // Plain HTTP on the TLS port gets nothing through.
      await assert.rejects(fetch(`http://127.0.0.1:${sourcePort}/v1/events`, { method: "POST", body: "{}" }));

      const metrics = `https://localhost:${metricsPort}`;
      const denied = await https(`${metrics}/metrics`);
      assert.equal(denied.status, 401);
      const scrape = await https(`${metrics}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
      assert.equal(scrape.status, 200);
      assert.match(scrape.text, /^driftwatch_http_requests_total\{source="web",code="401"\} 3$/m);
      assert.match(scrape.text, /^driftwatch_events_total\{source="web",outcome="valid"\} 1$/m);
      assert.equal((await https(`${metrics}/healthz`)).status, 200, "probes need no token");
      pipeline.setUnready("source web", "broker kafka.internal:9093 unreachable");
      const anonymous = await https(`${metrics}/readyz`);
      assert.deepEqual(
        [anonymous.status, anonymous.text],
        [503, "not ready\n"],
        "no reasons without the token",
      );
      const named = await https(`${metrics}/readyz`, { headers: { authorization: `bearer ${TOKEN}` } });
      assert.match(named.text, /source web: broker kafka\.internal:9093 unreachable/);
      for (const text of [scrape.text, logs.join("")])
        assert.ok(!text.includes(TOKEN), "the token is in neither the metrics nor the log");
    } finally {
      await pipeline.stop();
      delete process.env.DW_TEST_SOURCE_TOKEN;
    }
  });

  it("names a token that is not there, and a certificate file that is not, as config problems", () => {
    const config = file(
      "bad.yaml",
      `sources:
  web:
    type: http
    listen: 127.0.0.1:0
    auth: { token_env: DW_TEST_UNSET }
    tls: { cert_file: nope.crt, key_file: broker.key }
features:
  x: { source: web, path: /x, type: numeric }
monitors:
  m: { type: drift, features: [x], reference: { type: first, events: 2 }, window: { type: tumbling, events: 2 } }
metrics: { listen: 127.0.0.1:0, auth: { token_env: DW_TEST_UNSET, token_file: token.txt } }
`,
    );
    assert.throws(
      () => loadConfig(config),
      (error: { problems?: { path: string; message: string }[] }) => {
        assert.deepEqual(
          error.problems?.map((p) => `${p.path} ${p.message}`),
          [
            "/sources/web/auth/token_env environment variable DW_TEST_UNSET is not set",
            `/sources/web/tls/cert_file file not found: ${join(dir, "nope.crt")}`,
            "/metrics/auth give exactly one of token_env, token_file",
            "/metrics/auth/token_env environment variable DW_TEST_UNSET is not set",
          ],
        );
        return true;
      },
    );
  });
});
