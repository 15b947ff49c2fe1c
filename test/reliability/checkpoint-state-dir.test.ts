import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type Checkpoint, CheckpointStore } from "../../src/state/checkpoint.js";
import { sideFileOf } from "../support/checkpoint-damages.js";

// A read-only state dir, a garbled checkpoint.json or a missing side file stopped `run` with a raw
// EROFS, SyntaxError or ENOENT stack (or, for a read-only dir, let it run without ever being able
// to checkpoint). Each is now one line on stderr naming the dir (and the errno or what is wrong),
// exit code 2, before any event is consumed.

const NOBODY = 65534;

function mount(...args: string[]): void {
  const result = spawnSync("mount", args, { encoding: "utf8" });
  assert.equal(result.status, 0, `mount ${args.join(" ")}: ${result.stderr}`);
}

/** A config any user can read, replaying the demo through one drift monitor. */
function writeConfig(dir: string): string {
  const path = join(dir, "driftwatch.yaml");
  writeFileSync(
    path,
    [
      "sources:",
      `  weather: { type: file, path: ${JSON.stringify(resolve("drift/demo/seattle-weather.jsonl"))} }`,
      "features:",
      "  temp_max: { source: weather, path: /temp_max, type: numeric }",
      "monitors:",
      "  m: { type: drift, features: [temp_max], reference: { type: first, events: 366 }, window: { type: tumbling, events: 91 } }",
      "state: { dir: unused }",
      "",
    ].join("\n"),
  );
  chmodSync(path, 0o644);
  return path;
}

/** `driftwatch run --once` on a state dir, bounded; as another user when `uid` is given. */
function run(config: string, stateDir: string, uid?: number) {
  const args = ["bin/driftwatch.js", "run", "--config", config, "--state-dir", stateDir, "--once"];
  args.push("--metrics-listen", "127.0.0.1:0");
  return spawnSync(process.execPath, args, {
    encoding: "utf8",
    timeout: 60_000,
    killSignal: "SIGKILL",
    ...(uid === undefined ? {} : { uid, gid: uid }),
  });
}

/** Asserts exit code 2, no verdict, and exactly `line` on stderr. */
function assertRefused(result: ReturnType<typeof run>, line: string | RegExp): void {
  assert.equal(result.signal, null, `ended by itself:\n${result.stderr}`);
  assert.equal(result.status, 2, result.stderr);
  assert.equal(result.stdout, "", "no event was consumed");
  const lines = result.stderr.split("\n").filter((l) => l !== "");
  assert.equal(lines.length, 1, `one line:\n${result.stderr}`);
  if (typeof line === "string") assert.equal(lines[0], line);
  else assert.match(lines[0], line);
}

/** A checkpoint with a side file (366 reference values), as a run of this config writes it. */
function checkpoint(): Checkpoint {
  return {
    format: "driftwatch-checkpoint",
    version: 2,
    written_at: 1,
    config_hash: "h",
    positions: { weather: { line: 366 } },
    monitors: {
      m: {
        hash: "x",
        type: "drift",
        state: {
          collecting: {
            events: 366,
            features: {
              temp_max: {
                kind: "numeric",
                values: Array.from({ length: 366 }, (_, i) => i),
                missing: 0,
                invalid: 0,
              },
            },
          },
          window: { open: null, closed: [], emitted: 0, late: 0 },
        },
      },
    },
  };
}

describe("driftwatch run on a state dir it cannot use", function () {
  this.timeout(3 * 60_000);
  let work = "";
  let config = "";
  const mounted: string[] = [];

  before(() => {
    assert.ok(existsSync("dist/cli/main.js"), "run `npm run build` first (npm test does)");
    work = mkdtempSync(join(tmpdir(), "driftwatch-state-dir-"));
    // Readable by the unprivileged user of the permission test.
    chmodSync(work, 0o755);
    config = writeConfig(work);
  });

  after(() => {
    for (const dir of mounted) spawnSync("umount", [dir]);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("refuses a read-only state dir holding a checkpoint, naming the dir and EROFS", () => {
    const dir = join(work, "read-only");
    mkdirSync(dir);
    mount("-t", "tmpfs", "-o", "size=1m", "tmpfs", dir);
    mounted.push(dir);
    new CheckpointStore(dir).save(checkpoint());
    mount("-o", "remount,ro", dir);
    assertRefused(
      run(config, dir),
      `driftwatch: state dir ${dir} is not writable (EROFS: read-only file system)`,
    );
  });

  it("refuses a state dir it cannot create on a read-only file system, naming EROFS", () => {
    const parent = join(work, "read-only-parent");
    mkdirSync(parent);
    mount("-t", "tmpfs", "-o", "size=1m,ro", "tmpfs", parent);
    mounted.push(parent);
    const dir = join(parent, "state");
    assertRefused(
      run(config, dir),
      `driftwatch: state dir ${dir} is not writable (EROFS: read-only file system)`,
    );
  });

  it("refuses a state dir its user may not write, naming EACCES", () => {
    const dir = join(work, "not-mine");
    mkdirSync(dir, { mode: 0o755 }); // root's, as the daemon runs unprivileged
    assertRefused(
      run(config, dir, NOBODY),
      `driftwatch: state dir ${dir} is not writable (EACCES: permission denied)`,
    );
  });

  it("refuses a garbled checkpoint.json with no other generation in one line", () => {
    const dir = join(work, "garbled");
    mkdirSync(dir);
    writeFileSync(join(dir, "checkpoint.json"), '{"format":"driftwatch-checkpoint","positions":{');
    assertRefused(
      run(config, dir),
      `driftwatch: state dir ${dir} has no usable checkpoint: checkpoint.json: not a driftwatch checkpoint (no checksum header); run with --reset-state to set the damaged files aside and start afresh`,
    );
  });

  it("refuses a checkpoint whose side file is missing in one line", () => {
    const dir = join(work, "missing-side-file");
    new CheckpointStore(dir).save(checkpoint());
    unlinkSync(sideFileOf(dir) as string);
    assertRefused(
      run(config, dir),
      /^driftwatch: state dir \S+ has no usable checkpoint: checkpoint\.json \(generation 1\): values-1\.f64: missing; run with --reset-state/,
    );
  });
});
