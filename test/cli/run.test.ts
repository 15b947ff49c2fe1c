import { strict as assert } from "node:assert";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dir = mkdtempSync(join(tmpdir(), "driftwatch-run-"));

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${String(last)})` : ""}`);
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

describe("driftwatch run", () => {
  it("replays the demo, prints a verdict per window and exits 0 with --once", () => {
    const r = spawnSync(
      process.execPath,
      [
        "bin/driftwatch.js",
        "run",
        "--config",
        "drift/demo/driftwatch.yaml",
        "--once",
        "--state-dir",
        join(dir, "demo"),
        "--metrics-listen",
        "127.0.0.1:0",
      ],
      { encoding: "utf8", timeout: 60000 },
    );
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout
      .trim()
      .split("\n")
      .filter((line) => line.startsWith("[weather-drift]"));
    assert.equal(lines.length, 12, "(1461 - 366) / 91 windows");
    const outliers = r.stdout
      .trim()
      .split("\n")
      .filter((line) => line.startsWith("[weather-outliers]"));
    assert.equal(outliers.length, 12);
    assert.match(
      outliers[0],
      /^\[weather-outliers\] window 0 \(91 events\): robust_z \d+ outliers? \([\d.]+%, threshold 4\) \| isolation_forest \d+ outliers? /,
    );
    assert.match(
      lines[2],
      /^\[weather-drift\] window 2 \(91 events, 2013-07-02\.\.2013-09-30\): DRIFT 5\/5 features drifted \| temp_max ks 0\.5674 p=5\.70e-22 drift/,
    );
    assert.match(r.stderr, /msg="stopping" why="all file sources replayed"/);
    const checkpoint = JSON.parse(readFileSync(join(dir, "demo", "checkpoint.json"), "utf8"));
    assert.deepEqual(checkpoint.positions, { weather: { line: 1461 } });
  });

  it("reloads its config on SIGHUP and keeps the running one when the new one is invalid", async () => {
    const config = join(dir, "reload.yaml");
    const write = (monitors: string): void =>
      writeFileSync(
        config,
        `sources:\n  web: { type: http, listen: "127.0.0.1:0" }\nfeatures:\n  t: { source: web, path: /t, type: numeric }\nmonitors:\n${monitors}\nstate: { dir: ${join(dir, "reload-state")} }\n`,
      );
    write(
      "  a: { type: drift, features: [t], reference: { type: first, events: 2 }, window: { type: tumbling, events: 2 } }",
    );
    const port = 19000 + Math.floor(Math.random() * 1000);
    const child = spawn(
      process.execPath,
      ["bin/driftwatch.js", "run", "--config", config, "--metrics-listen", `127.0.0.1:${port}`],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let stderr = "";
    child.stderr?.on("data", (d) => {
      stderr += d;
    });
    const exit = exited(child);
    const scrape = async (): Promise<string> => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    try {
      await until("the daemon to be ready", async () =>
        (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200 ? true : undefined,
      );
      assert.match(await scrape(), /^driftwatch_config_last_reload_successful 1$/m);
      write(
        "  a: { type: drift, features: [t], reference: { type: first, events: 2 }, window: { type: tumbling, events: 2 } }\n  b: { type: drift, features: [t], reference: { type: first, events: 5 }, window: { type: tumbling, events: 5 } }",
      );
      child.kill("SIGHUP");
      await until("monitor b", async () =>
        /^driftwatch_reference_events\{monitor="b"\} 0$/m.test(await scrape()) ? true : undefined,
      );
      writeFileSync(config, "sources: [\n");
      child.kill("SIGHUP");
      await until("the failed reload", async () =>
        /^driftwatch_config_last_reload_successful 0$/m.test(await scrape()) ? true : undefined,
      );
      assert.match(
        await scrape(),
        /^driftwatch_reference_events\{monitor="b"\} 0$/m,
        "the running config carries on",
      );
      assert.match(stderr, /msg="config reload failed; keeping the running config"/);
    } finally {
      child.kill("SIGTERM");
    }
    assert.equal(await exit, 0, stderr);
  });

  it("exits 2 with every config problem listed and no stack trace", () => {
    const config = join(dir, "bad.yaml");
    writeFileSync(config, "sources: {}\nfeatures: {}\nmonitors: {}\nextra: 1\n");
    const r = spawnSync(process.execPath, ["bin/driftwatch.js", "run", "--config", config], {
      encoding: "utf8",
    });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /bad\.yaml: 3 problems\n/);
    assert.match(r.stderr, /line 4: \/extra +unknown key "extra"/);
    assert.ok(!/\n\s+at /.test(r.stderr), r.stderr);
  });
});
