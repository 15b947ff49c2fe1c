import { strict as assert } from "node:assert";
import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { damages } from "../support/checkpoint-damages.js";
import { Daemon, freePort, killAllDaemons, poll, type Scrape, startDaemon } from "../support/daemon.js";

// kill -9 mid-stream, then damage the newest checkpoint generation in each way a crash or a bad
// disk can, and restart the real daemon: it must restore the previous generation and end with
// exactly the numbers of an uninterrupted run, or refuse in one line (exit 2), and start afresh
// only when --reset-state says so. Before generations and checksums, a truncated side file was
// zero-filled (KS 0.73 p=0 where the uninterrupted run had 0.0054 p=1), a side file of random
// bytes hung the daemon, and a garbled checkpoint.json or a missing side file ended it with a
// SyntaxError or ENOENT stack.

const DATA = resolve("drift/demo/seattle-weather.jsonl");
const SCHEMA = resolve("drift/weather/schemas/weather-input.json");
const EVENTS = 1461;
const FEATURES = ["temp_max", "temp_min", "precipitation", "wind", "weather"];
/**
 * The drift monitor's reference is the first 1000 events: it grows with every event until then,
 * so each generation's side file differs, and a restart gets every window's numbers from it.
 * Windows of 91 events: 5 after the reference (the last, index 4, ends at event 1455).
 */
const LAST_DRIFT_WINDOW = 4;
/** The outlier monitor fits an Isolation Forest on the first 366 events; 12 windows of 91 follow. */
const LAST_OUTLIER_WINDOW = 11;
/** Generous bounds for a 2-core machine; none is a speed assertion. */
const RUN_MS = 60_000;

/** A config replaying the demo year by year: slowly for the run that is killed, at full speed otherwise. */
function writeConfig(dir: string, rate: number | null): string {
  const path = join(dir, rate === null ? "fast.yaml" : "slow.yaml");
  writeFileSync(
    path,
    [
      "sources:",
      "  weather:",
      "    type: file",
      `    path: ${JSON.stringify(DATA)}`,
      ...(rate === null ? [] : [`    rate_per_sec: ${rate}`]),
      `    schema: ${JSON.stringify(SCHEMA)}`,
      "    event_time: /date",
      "features:",
      ...FEATURES.map(
        (f) =>
          `  ${f}: { source: weather, path: /${f}, type: ${f === "weather" ? "categorical" : "numeric"} }`,
      ),
      "monitors:",
      "  weather-drift:",
      "    type: drift",
      `    features: [${FEATURES.join(", ")}]`,
      "    reference: { type: first, events: 1000 }",
      "    window: { type: tumbling, events: 91 }",
      "  weather-outliers:",
      "    type: outliers",
      "    features: [temp_max, temp_min, precipitation, wind]",
      "    reference: { type: first, events: 366 }",
      "    scorers: [{ type: robust_z, threshold: { value: 4 } }, { type: isolation_forest, seed: 1 }]",
      "    window: { type: tumbling, events: 91 }",
      "    id: /date",
      "state: { dir: unused, checkpoint_interval_secs: 0.2 }",
      "",
    ].join("\n"),
  );
  return path;
}

/** The final windows' numbers, every digit: statistics, p-values, outlier ratios and thresholds. */
function finalNumbers(scrape: Scrape): string[] {
  const names = [
    "driftwatch_drift_statistic",
    "driftwatch_drift_p_value",
    "driftwatch_drift_detected",
    "driftwatch_outlier_ratio",
    "driftwatch_outlier_threshold",
  ];
  const lines = scrape.samples
    .filter((s) => names.includes(s.name))
    .map((s) => `${s.name}${JSON.stringify(s.labels)} ${Object.is(s.value, -0) ? "-0" : String(s.value)}`)
    .sort();
  assert.ok(lines.length >= 2 * FEATURES.length, `the final windows' numbers are exported:\n${scrape.own}`);
  return lines;
}

/** Waits for both monitors' last windows, then returns their numbers and verdict lines. */
async function lastWindows(daemon: Daemon): Promise<{ numbers: string[]; verdicts: string[] }> {
  const last = [
    `[weather-drift] window ${LAST_DRIFT_WINDOW} `,
    `[weather-outliers] window ${LAST_OUTLIER_WINDOW} `,
  ];
  const seen = () => last.every((prefix) => daemon.verdicts.some((line) => line.startsWith(prefix)));
  const scrape = await daemon.waitFor(seen, RUN_MS, "the last window of both monitors", 100);
  const verdicts = daemon.verdicts.filter((line) => last.some((prefix) => line.startsWith(prefix)));
  return { numbers: finalNumbers(scrape), verdicts };
}

/** The positions (file lines) a checkpoint file holds, or null while it does not exist. */
function lineOf(dir: string, file: string): number | null {
  try {
    const document = JSON.parse(readFileSync(join(dir, file), "utf8")) as {
      positions: { weather?: { line?: number } };
    };
    return document.positions.weather?.line ?? 0;
  } catch {
    return null; // not written yet, or replaced while it was read
  }
}

/** `driftwatch run` with extra flags (startDaemon passes none), as a Daemon for its waits. */
async function startWith(config: string, stateDir: string, flags: string[]): Promise<Daemon> {
  const port = await freePort();
  const args = ["bin/driftwatch.js", "run", "--config", config, "--state-dir", stateDir];
  args.push("--metrics-listen", `127.0.0.1:${port}`, ...flags);
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  return new Daemon(child, `127.0.0.1:${port}`, `daemon ${child.pid} ${flags.join(" ")}`);
}

describe("driftwatch run after kill -9 and a damaged checkpoint", function () {
  this.timeout(5 * 60_000);
  let work = "";
  let fast = "";
  let killed = "";
  let uninterrupted: { numbers: string[]; verdicts: string[] };

  before(async () => {
    assert.ok(existsSync("dist/cli/main.js"), "run `npm run build` first (npm test does)");
    work = mkdtempSync(join(tmpdir(), "driftwatch-ckpt-kill-"));
    fast = writeConfig(work, null);
    const slow = writeConfig(work, 250);

    const baseline = await startDaemon({
      config: fast,
      stateDir: join(work, "uninterrupted"),
      label: "uninterrupted",
    });
    uninterrupted = await lastWindows(baseline);
    await baseline.stop();

    killed = join(work, "killed");
    const victim = await startDaemon({ config: slow, stateDir: killed, label: "killed" });
    // Kill once the previous generation holds part of the reference (so both generations have a
    // side file) and the newest one is still far from the end of the stream.
    await poll(
      () => ((lineOf(killed, "checkpoint.previous.json") ?? 0) >= 400 ? true : undefined),
      RUN_MS,
      () =>
        `two generations past event 400 in ${killed}: ${readdirSync(killed).join(", ")}\n${victim.logTail()}`,
    );
    await victim.kill();
    const newest = lineOf(killed, "checkpoint.json") ?? EVENTS;
    assert.ok(newest < 900, `killed mid-stream (the newest checkpoint is at line ${newest} of ${EVENTS})`);
  });

  afterEach(async () => {
    await killAllDaemons();
  });

  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  function copyOfKilled(name: string): string {
    const dir = join(work, name.replace(/\W+/g, "-"));
    cpSync(killed, dir, { recursive: true });
    return dir;
  }

  it("resumes the newest generation with exactly the numbers of an uninterrupted run", async () => {
    const dir = copyOfKilled("intact");
    const daemon = await startDaemon({ config: fast, stateDir: dir, label: "intact" });
    assert.deepEqual(await lastWindows(daemon), uninterrupted);
    assert.equal((await daemon.scrape()).value("driftwatch_checkpoint_restores_total", { outcome: "ok" }), 1);
    await daemon.stop();
  });

  for (const [name, damage] of Object.entries(damages)) {
    it(`restores the previous generation after ${name}, with exactly the numbers of an uninterrupted run`, async () => {
      const dir = copyOfKilled(name);
      const previous = lineOf(dir, "checkpoint.previous.json");
      damage(dir);
      const daemon = await startDaemon({ config: fast, stateDir: dir, label: name });
      assert.deepEqual(await lastWindows(daemon), uninterrupted);
      const scrape = await daemon.scrape();
      assert.equal(scrape.value("driftwatch_checkpoint_restores_total", { outcome: "fallback" }), 1);
      const warnings = daemon.stderr
        .split("\n")
        .filter((line) => line.includes("newest checkpoint is damaged"));
      assert.equal(warnings.length, 1, daemon.logTail());
      assert.match(warnings[0], /level=warn/);
      assert.match(warnings[0], /damaged="checkpoint\.json/);
      assert.match(warnings[0], /used="checkpoint\.previous\.json \(generation \d+\)"/);
      assert.ok(existsSync(join(dir, "damaged", "checkpoint.json")), "the damaged file is kept aside");
      assert.ok(previous !== null && previous >= 400, `the previous generation was at line ${previous}`);
      await daemon.stop();
    });
  }

  it("refuses to start in one line when no generation is usable, and starts afresh with --reset-state", async () => {
    const dir = copyOfKilled("none-usable");
    damages["a truncated side file"](dir);
    writeFileSync(join(dir, "checkpoint.previous.json"), "{}");
    const refused = spawnSync(
      process.execPath,
      ["bin/driftwatch.js", "run", "--config", fast, "--state-dir", dir, "--metrics-listen", "127.0.0.1:0"],
      { encoding: "utf8", timeout: RUN_MS },
    );
    assert.equal(refused.status, 2, refused.stderr);
    const lines = refused.stderr.split("\n").filter((line) => line !== "");
    assert.equal(lines.length, 1, `one line:\n${refused.stderr}`);
    assert.match(
      lines[0],
      new RegExp(
        `^driftwatch: state dir ${dir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} has no usable checkpoint: ` +
          "checkpoint\\.json \\(generation \\d+\\): values-\\d+\\.f64: \\d+ bytes, expected \\d+; " +
          "checkpoint\\.previous\\.json: not a driftwatch checkpoint \\(no checksum header\\); " +
          "run with --reset-state",
      ),
    );
    assert.equal(refused.stdout, "", "no window was evaluated");

    const reset = await startWith(fast, dir, ["--reset-state"]);
    // Afresh means from the first event: the same numbers as the uninterrupted run.
    assert.deepEqual(await lastWindows(reset), uninterrupted);
    assert.equal(
      (await reset.scrape()).value("driftwatch_checkpoint_restores_total", { outcome: "reset" }),
      1,
    );
    assert.match(reset.stderr, /level=warn msg="no usable checkpoint; starting afresh \(--reset-state\)"/);
    const aside = readdirSync(join(dir, "damaged"));
    assert.ok(
      aside.includes("checkpoint.json") && aside.includes("checkpoint.previous.json"),
      aside.join(", "),
    );
    await reset.stop();
  });
});
