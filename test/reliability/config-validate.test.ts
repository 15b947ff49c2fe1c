import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { BIN, type Outcome } from "../support/cli.js";

/**
 * `validate` passed a config whose notifier URL named an environment variable that was not set,
 * which `run` then refused: validate must check what run checks before it starts anything
 * (environment references, reference files, suites, schemas), and say what it cannot check.
 */

/** Runs the CLI with exactly `env` as its environment (plus PATH). */
function driftwatchWith(env: Record<string, string>, ...args: string[]): Outcome {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "", ...env },
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const head = `sources:
  inputs: { type: file, path: events.jsonl }
features:
  temp_max: { source: inputs, path: /temp_max, type: numeric }
  weather: { source: inputs, path: /weather, type: categorical }
monitors:
`;

const drift = (reference: string): string => `  m:
    type: drift
    features: [temp_max, weather]
    reference: ${reference}
    window: { type: tumbling, events: 10 }
`;

describe("driftwatch validate checks what run checks", () => {
  let dir = "";
  let n = 0;
  const file = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const config = (text: string): string => file(`c${n++}.yaml`, text);

  before(() => {
    assert.ok(existsSync("dist/cli/main.js"), "run `npm run build` first (npm test does)");
    dir = mkdtempSync(join(tmpdir(), "driftwatch-validate-"));
    copyFileSync("drift/weather/reference.csv", join(dir, "reference.csv"));
    file("events.jsonl", '{"temp_max":1,"weather":"sun"}\n');
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("reports a notifier URL whose environment variable is not set, as run does", () => {
    const path = config(
      `${head}${drift("{ type: file, path: reference.csv }")}notifiers:\n  - { type: webhook, url: "\${HOOK_URL}/alerts" }\n`,
    );
    const r = driftwatchWith({}, "validate", "--config", path);
    assert.equal(r.code, 2, r.stderr);
    assert.ok(!/^\s+at /m.test(r.stderr), r.stderr);
    assert.match(
      r.stderr,
      /line 13: \/notifiers\/0\/url +environment variable "HOOK_URL" not set or empty; export it before starting driftwatch/,
    );
    // run refuses the same config for the same reason, before consuming anything.
    const run = driftwatchWith(
      {},
      "run",
      "--config",
      path,
      "--once",
      "--state-dir",
      join(dir, "state"),
      "--metrics-listen",
      "127.0.0.1:0",
    );
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /HOOK_URL/);
    // With the variable set, both accept it.
    const ok = driftwatchWith({ HOOK_URL: "https://hooks.example.com/x" }, "validate", "--config", path);
    assert.equal(ok.code, 0, ok.stderr);
  });

  it("reports a header that names an unset variable and two notifiers with one name", () => {
    const path = config(
      `${head}${drift("{ type: file, path: reference.csv }")}notifiers:\n` +
        `  - { type: webhook, url: "https://a.example.com", headers: { Authorization: "Bearer \${TOKEN}" } }\n` +
        "  - { type: webhook, url: https://b.example.com }\n",
    );
    const r = driftwatchWith({}, "validate", "--config", path);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /\/notifiers\/0\/headers\/Authorization +environment variable "TOKEN" not set/);
    assert.match(r.stderr, /\/notifiers\/1\/name +notifier name "webhook" is already used by notifiers\/0/);
  });

  it("reads drift references as run does: a malformed file, a missing column, a file that is no profile", () => {
    file("bad.csv", "temp_max,weather\n1,sun\n2\n");
    file("narrow.csv", "temp_max\n1\n2\n");
    file("not-a-profile.json", '{"hello": 1}\n');
    const path = config(
      head +
        drift("{ type: file, path: bad.csv }") +
        drift("{ type: file, path: narrow.csv }").replace("  m:", "  m2:") +
        drift("{ type: profile, path: not-a-profile.json }").replace("  m:", "  m3:"),
    );
    const r = driftwatchWith({}, "validate", "--config", path);
    assert.equal(r.code, 2, r.stderr);
    assert.ok(!/^\s+at /m.test(r.stderr), r.stderr);
    const shown = (name: string): string => join(dir, name);
    assert.ok(r.stderr.includes(`/monitors/m/reference/path`), r.stderr);
    assert.ok(r.stderr.includes(`${shown("bad.csv")}:3: expected 2 fields, found 1`), r.stderr);
    assert.match(
      r.stderr,
      /\/monitors\/m2\/reference\/path +.*narrow\.csv: reference has no column "weather"/,
    );
    assert.match(
      r.stderr,
      /\/monitors\/m3\/reference\/path +.*not-a-profile\.json: not a driftwatch profile/,
    );
    assert.equal(
      r.stderr.trimEnd().split("\n")[0],
      `driftwatch: ${relative(process.cwd(), path)}: 3 problems`,
    );
  });

  it("reads outlier and checks references as run does", () => {
    file("suite.yaml", "name: s\nexpectations:\n  - { type: expect_schema_to_match_reference }\n");
    file("events-ref.jsonl", '{"temp_max": 1}\n{"temp_max": \n');
    const path = config(
      `${head}  o:
    type: outliers
    features: [temp_max]
    reference: { type: file, path: narrow-weather.csv }
    window: { type: tumbling, events: 10 }
  c:
    type: checks
    source: inputs
    suite: suite.yaml
    reference: { type: file, path: events-ref.jsonl }
    window: { type: tumbling, events: 10 }
`,
    );
    file("narrow-weather.csv", "weather\nsun\n");
    const r = driftwatchWith({}, "validate", "--config", path);
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      r.stderr,
      /\/monitors\/o\/reference\/path +.*narrow-weather\.csv: reference has no column "temp_max"/,
    );
    assert.match(r.stderr, /\/monitors\/c\/reference\/path +.*events-ref\.jsonl:2: /);
  });

  it("says what it cannot check without starting the daemon", () => {
    const path = config(
      `sources:
  inputs: { type: kafka, brokers: [127.0.0.1:9092], topic: t, group_id: g }
  web: { type: http, listen: 127.0.0.1:8080 }
features:
  temp_max: { source: inputs, path: /temp_max, type: numeric }
  weather: { source: inputs, path: /weather, type: categorical }
monitors:
${drift("{ type: file, path: reference.csv }")}notifiers:
  - { type: alertmanager, url: http://127.0.0.1:9093 }
`,
    );
    const r = driftwatchWith({}, "validate", "--config", path);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /valid \(2 sources, 2 features, 1 monitors\)/);
    assert.match(r.stdout, /^not checked \(only `run` can\):/m);
    assert.match(
      r.stdout,
      /Kafka brokers 127\.0\.0\.1:9092 reachable, credentials and certificates accepted, topic "t" readable/,
    );
    assert.match(r.stdout, /listen address 127\.0\.0\.1:8080 \(source web\) free/);
    assert.match(r.stdout, /metrics listen address 127\.0\.0\.1:9464 free/);
    assert.match(r.stdout, /state directory .* writable, and its checkpoint usable/);
    assert.match(r.stdout, /notifier endpoints answering: alertmanager/);
  });
});
