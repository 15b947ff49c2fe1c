import { strict as assert } from "node:assert";
import { execFileSync, spawnSync } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileDeadLetter } from "../../src/sources/dead-letter.js";
import { killAllDaemons, poll, startDaemon } from "../support/daemon.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Fills the file system holding `dir` to the last byte; returns the filler's path. */
function fill(dir: string): string {
  const path = join(dir, "filler");
  const fd = openSync(path, "w");
  const chunk = Buffer.alloc(65536, 0x61);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
  } finally {
    closeSync(fd);
  }
  return path;
}

/** A dead-letter file's lines, asserting that each one is whole JSON. */
function letterLines(path: string): { detail: string; position: { offset: number } | null }[] {
  const text = readFileSync(path, "utf8");
  if (text === "") return [];
  assert.ok(text.endsWith("\n"), `${path} ends in a torn line: ${JSON.stringify(text.slice(-80))}`);
  return text
    .slice(0, -1)
    .split("\n")
    .map((line, i) => {
      try {
        return JSON.parse(line);
      } catch {
        throw new Error(`${path}: line ${i + 1} is not whole JSON: ${JSON.stringify(line.slice(0, 80))}`);
      }
    });
}

// On a full disk the file dead letter ended in a torn JSON line and its retry wrote the whole
// batch again; checkpoints failed while consumption ran ahead of what could be restored; and
// `--once` never finished.
describe("a full state disk", () => {
  const mounts: string[] = [];
  let work = "";

  /** A fresh tmpfs of `size` (e.g. "256k") at a new dir, unmounted in `after`. */
  function tmpfs(size: string): string {
    const dir = mkdtempSync(join(work, "tmpfs-"));
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir]);
    mounts.push(dir);
    return dir;
  }

  before(() => {
    assert.ok(existsSync("dist/cli/main.js"), "run `npm run build` first (npm test does)");
    work = mkdtempSync(join(tmpdir(), "driftwatch-disk-full-"));
  });

  afterEach(async () => {
    await killAllDaemons();
  });

  after(async () => {
    await killAllDaemons();
    for (const dir of mounts) {
      try {
        execFileSync("umount", [dir]);
      } catch {
        execFileSync("umount", ["-l", dir]);
      }
    }
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** N events, every 7th schema-invalid (`pad` bytes long) and every 11th malformed; returns the invalid line numbers. */
  function writeEvents(path: string, n: number, pad = 200): { valid: number; invalid: number[] } {
    const lines: string[] = [];
    const invalid: number[] = [];
    for (let i = 0; i < n; i++) {
      if (i % 11 === 5) {
        lines.push(`{"x":${i},`);
        invalid.push(i);
      } else if (i % 7 === 3) {
        lines.push(JSON.stringify({ x: `bad-${i}`, pad: "p".repeat(pad) }));
        invalid.push(i);
      } else lines.push(JSON.stringify({ x: i }));
    }
    writeFileSync(path, `${lines.join("\n")}\n`);
    return { valid: n - invalid.length, invalid };
  }

  function writeConfig(dir: string, o: { rate: number; persistTimeout?: number }): string {
    writeFileSync(
      join(dir, "schema.json"),
      JSON.stringify({ type: "object", properties: { x: { type: "number" } } }),
    );
    const path = join(dir, "driftwatch.yaml");
    writeFileSync(
      path,
      [
        "sources:",
        `  s: { type: file, path: events.jsonl, schema: schema.json, rate_per_sec: ${o.rate} }`,
        "features:",
        "  x: { source: s, path: /x, type: numeric }",
        "monitors:",
        "  m: { type: drift, features: [x], reference: { type: first, events: 10 }, window: { type: tumbling, events: 1000000 } }",
        `state: { dir: state, checkpoint_interval_secs: 0.2${o.persistTimeout ? `, persist_timeout_secs: ${o.persistTimeout}` : ""} }`,
        "",
      ].join("\n"),
    );
    return path;
  }

  it("leaves no torn dead-letter line when a write fails for lack of space, and the retry writes each letter once", async () => {
    const dir = tmpfs("64k");
    const path = join(dir, "dead-letter.jsonl");
    const sink = new FileDeadLetter(path);
    const letter = (i: number) => ({
      source: "s",
      reason: "schema",
      detail: `letter ${i}`,
      record: { value: JSON.stringify({ x: "y".repeat(300) }), position: { key: "line", offset: i } },
    });
    (await sink.write([0, 1, 2].map(letter))).settle();
    const before = readFileSync(path);
    const filler = fill(dir);
    // Larger than the room left in the file's last page: part of it would fit.
    const batch = Array.from({ length: 40 }, (_, i) => letter(3 + i));
    await assert.rejects(sink.write(batch), /ENOSPC/);
    assert.deepEqual(readFileSync(path), before, "the file is as it was before the failed write");
    rmSync(filler);
    (await sink.write(batch)).settle();
    await sink.close();
    const details = letterLines(path).map((l) => l.detail);
    assert.deepEqual(
      details,
      Array.from({ length: 43 }, (_, i) => `letter ${i}`),
      "each letter once, in order",
    );
  });

  it("holds consumption and answers /readyz 503 while the state dir is full, then resumes and counts every event once", async function () {
    this.timeout(120_000);
    const dir = mkdtempSync(join(work, "hold-"));
    const stateDir = tmpfs("2m");
    const { valid, invalid } = writeEvents(join(dir, "events.jsonl"), 3000);
    const config = writeConfig(dir, { rate: 500 });
    const daemon = await startDaemon({ config, stateDir, label: "full disk" });
    await daemon.waitReady(30_000);
    const counted = (s: Awaited<ReturnType<typeof daemon.scrape>>) =>
      (s.value("driftwatch_events_total", { outcome: "valid" }) ?? 0) +
      (s.value("driftwatch_events_total", { outcome: "invalid" }) ?? 0);
    await daemon.waitFor((s) => counted(s) > 200, 15_000, "the first events");
    const filler = fill(stateDir);
    const notReady = await poll(
      async () => {
        const r = await daemon.readyz();
        return r.status === 503 && /state: /.test(r.text) ? r.text : undefined;
      },
      15_000,
      () => `/readyz to answer 503 naming the state\n${daemon.logTail()}`,
    );
    assert.match(notReady, /no space left on device|ENOSPC/i, notReady);
    assert.ok(notReady.includes(stateDir), `the reason names the state dir: ${notReady}`);
    // A batch already past the gate may finish; after that nothing moves.
    await sleep(500);
    const held = counted(await daemon.scrape());
    await sleep(2500);
    const stillHeld = await daemon.scrape();
    assert.equal(counted(stillHeld), held, "no event is counted while state cannot be persisted");
    assert.ok(held < 3000, `the replay was still going when the disk filled (${held} counted)`);
    assert.ok(
      (stillHeld.value("driftwatch_checkpoints_total", { outcome: "failed" }) ?? 0) >= 2,
      "failed checkpoints are retried and counted",
    );
    letterLines(join(stateDir, "dead-letter-s.jsonl"));

    rmSync(filler);
    const done = await daemon.waitFor(
      (s) =>
        s.value("driftwatch_events_total", { outcome: "valid" }) === valid &&
        s.value("driftwatch_events_total", { outcome: "invalid" }) === invalid.length,
      30_000,
      `${valid} valid and ${invalid.length} invalid events`,
    );
    assert.equal(done.value("driftwatch_dead_letter_total", { outcome: "written" }), invalid.length);
    await daemon.waitReady(15_000);
    // A warning when the trouble starts and a line when it ends, not one per retry. (Space freed
    // by a dead-letter write cut back may let one checkpoint through: that is a change too.)
    const warnings = daemon.stderr
      .split("\n")
      .filter((line) => line.includes("state cannot be persisted") && line.includes("what=checkpoint"));
    const failed = done.value("driftwatch_checkpoints_total", { outcome: "failed" }) ?? 0;
    assert.ok(
      warnings.length >= 1 && warnings.length < failed,
      `${warnings.length} warnings for ${failed} failed checkpoints:\n${warnings.join("\n")}`,
    );
    assert.match(daemon.stderr, /state persisted again; consumption resumes/);
    await daemon.stop();
    const letters = letterLines(join(stateDir, "dead-letter-s.jsonl"));
    assert.deepEqual(
      letters.map((l) => l.position?.offset),
      invalid,
      "each rejected event once, in order",
    );
  });

  it("ends --once with one line naming the state dir and a non-zero exit when the state dir stays full", function () {
    this.timeout(90_000);
    const dir = mkdtempSync(join(work, "once-"));
    const stateDir = tmpfs("256k");
    // The dead letters fill the disk on their own, a little way into the replay.
    writeEvents(join(dir, "events.jsonl"), 2000, 4000);
    const config = writeConfig(dir, { rate: 5000, persistTimeout: 1 });
    const started = Date.now();
    const r = spawnSync(
      process.execPath,
      [
        "bin/driftwatch.js",
        "run",
        "--config",
        config,
        "--once",
        "--state-dir",
        stateDir,
        "--metrics-listen",
        "127.0.0.1:0",
      ],
      { encoding: "utf8", timeout: 60_000 },
    );
    assert.notEqual(
      r.status,
      null,
      `--once ended (after ${Date.now() - started} ms)\n${r.stderr.slice(-2000)}`,
    );
    assert.notEqual(r.status, 0, r.stderr);
    const lines = r.stderr.trimEnd().split("\n");
    const last = lines[lines.length - 1];
    assert.match(last, /^driftwatch: /, r.stderr);
    assert.ok(last.includes(stateDir), `the last line names the state dir: ${last}`);
    assert.match(last, /no space left on device|ENOSPC/i);
    assert.match(last, /read again on restart/);
    assert.ok(!lines.some((line) => /^\s+at /.test(line)), `no stack trace:\n${r.stderr}`);
  });

  it("ends on SIGTERM with one line and a non-zero exit when the final checkpoint cannot be written", async function () {
    this.timeout(90_000);
    const dir = mkdtempSync(join(work, "sigterm-"));
    const stateDir = tmpfs("2m");
    writeEvents(join(dir, "events.jsonl"), 3000);
    const config = writeConfig(dir, { rate: 500, persistTimeout: 1 });
    const daemon = await startDaemon({ config, stateDir, label: "sigterm" });
    await daemon.waitReady(30_000);
    await daemon.waitFor(
      (s) => (s.value("driftwatch_events_total", { outcome: "valid" }) ?? 0) > 100,
      15_000,
      "the first events",
    );
    fill(stateDir);
    await poll(
      async () => ((await daemon.readyz()).status === 503 ? true : undefined),
      15_000,
      () => `/readyz to answer 503\n${daemon.logTail()}`,
    );
    process.kill(daemon.pid, "SIGTERM");
    const exit = await Promise.race([daemon.exited, sleep(30_000).then(() => null)]);
    assert.notEqual(exit, null, `the daemon exits after SIGTERM\n${daemon.logTail()}`);
    assert.equal(exit?.code, 2, daemon.logTail());
    const lines = daemon.stderr.trimEnd().split("\n");
    const last = lines[lines.length - 1];
    assert.match(last, /^driftwatch: cannot write the final checkpoint in /, daemon.logTail());
    assert.ok(last.includes(stateDir), last);
    assert.match(last, /read again on restart/);
    assert.ok(!lines.some((line) => /^\s+at /.test(line)), `no stack trace:\n${daemon.stderr}`);
  });
});
