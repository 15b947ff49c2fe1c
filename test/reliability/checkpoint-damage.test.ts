import { strict as assert } from "node:assert";
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Checkpoint, CheckpointStore } from "../../src/state/checkpoint.js";
import { damages } from "../support/checkpoint-damages.js";

// After a kill -9 a truncated side file was zero-filled on load and gave KS 0.73 p=0 where the
// uninterrupted run had KS 0.0054 p=1; a garbled checkpoint.json or a missing side file stopped
// the daemon with a raw SyntaxError or ENOENT stack; and there was only ever one generation, so
// there was nothing to fall back to. Every damage below is now detected and the previous
// generation is restored exactly.

/** A checkpoint whose window holds `n` values (written to the side file) starting at `from`. */
function checkpoint(from: number, n = 1000): Checkpoint {
  const values = Array.from({ length: n }, (_, i) => (from + i) / 7);
  return {
    format: "driftwatch-checkpoint",
    version: 2,
    written_at: from,
    config_hash: "h",
    positions: { s: { line: from } },
    monitors: {
      m: {
        hash: "x",
        type: "drift",
        state: {
          collecting: null,
          window: {
            open: {
              start: null,
              end: null,
              events: n,
              first_time: null,
              last_time: null,
              features: { x: { kind: "numeric", values, missing: 0, invalid: 0 } },
            },
            closed: [],
            emitted: 0,
            late: 0,
          },
        },
      },
    },
  };
}

/** The side file the newest checkpoint.json names. */
function sideFile(dir: string): string {
  const names = readdirSync(dir).filter((name) => /^values-\d+\.f64$/.test(name));
  const newest = names.sort((a, b) => Number(/\d+/.exec(b)?.[0]) - Number(/\d+/.exec(a)?.[0]))[0];
  assert.ok(newest, `a side file in ${dir}: ${readdirSync(dir).join(", ")}`);
  return join(dir, newest);
}

/**
 * Recomputes the checksums recorded in checkpoint.json after its side file was edited, as a writer
 * with a bug would have written them: the side file's SHA-256, then the document's own digest
 * (computed with the digest field zeroed).
 */
function reseal(dir: string): void {
  const path = join(dir, "checkpoint.json");
  let text = readFileSync(path, "utf8");
  const recorded = (JSON.parse(text) as { values_file: { name: string; sha256: string } }).values_file;
  const actual = createHash("sha256")
    .update(readFileSync(join(dir, recorded.name)))
    .digest("hex");
  text = text.replace(recorded.sha256, actual);
  const zeroed = text.replace(/^\{"digest":"sha256:[0-9a-f]{64}"/, `{"digest":"sha256:${"0".repeat(64)}"`);
  const digest = createHash("sha256").update(zeroed).digest("hex");
  writeFileSync(path, zeroed.replace("0".repeat(64), digest));
}

const allDamages: Record<string, (dir: string) => void> = {
  ...damages,
  "an empty checkpoint.json": (dir) => writeFileSync(join(dir, "checkpoint.json"), ""),
};

describe("CheckpointStore", () => {
  let work = "";

  before(() => {
    work = mkdtempSync(join(tmpdir(), "driftwatch-ckpt-damage-"));
  });

  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** A state dir holding two generations: 1000 (the previous one) and 2000 (the newest). */
  function twoGenerations(name: string): string {
    const dir = mkdtempSync(join(work, `${name.replace(/\W+/g, "-")}-`));
    const store = new CheckpointStore(dir);
    store.save(checkpoint(1000));
    store.save(checkpoint(2000));
    assert.deepEqual(new CheckpointStore(dir).load(), checkpoint(2000));
    return dir;
  }

  for (const [name, damage] of Object.entries(allDamages)) {
    it(`restores the previous generation exactly after ${name}`, () => {
      const dir = twoGenerations(name);
      damage(dir);
      const store = new CheckpointStore(dir);
      assert.deepEqual(store.load(), checkpoint(1000));
      const restored = store.restore({ reset: false });
      assert.equal(restored.outcome, "fallback");
      assert.deepEqual(restored.checkpoint, checkpoint(1000));
      assert.equal(restored.damaged.length, 1, restored.damaged.join("\n"));
      assert.match(restored.damaged[0], /^checkpoint\.json/);
      // The next save builds on the good generation, and the damaged one can never be restored.
      store.save(checkpoint(3000));
      assert.deepEqual(new CheckpointStore(dir).load(), checkpoint(3000));
    });
  }

  it("refuses in one line naming the dir, each generation and what is wrong when none is usable", () => {
    const dir = twoGenerations("none-usable");
    truncateSync(sideFile(dir), 100);
    writeFileSync(join(dir, "checkpoint.previous.json"), "not json");
    for (const attempt of [
      () => new CheckpointStore(dir).load(),
      () => new CheckpointStore(dir).restore({ reset: false }),
    ]) {
      assert.throws(attempt, (error: Error) => {
        assert.equal(error.name, "UserError");
        assert.ok(!error.message.includes("\n"), `one line: ${error.message}`);
        assert.ok(error.message.includes(dir), error.message);
        assert.match(
          error.message,
          /checkpoint\.json \(generation \d+\): values-\d+\.f64: 100 bytes, expected 8000/,
        );
        assert.match(error.message, /checkpoint\.previous\.json: not a driftwatch checkpoint/);
        assert.match(error.message, /--reset-state/);
        return true;
      });
    }
    // Refusing changes nothing on disk.
    assert.ok(existsSync(join(dir, "checkpoint.json")));
    assert.ok(existsSync(join(dir, "checkpoint.previous.json")));
  });

  it("starts afresh with reset when no generation is usable, and sets the damaged files aside", () => {
    const dir = twoGenerations("reset");
    writeFileSync(join(dir, "checkpoint.json"), "{");
    writeFileSync(join(dir, "checkpoint.previous.json"), "{");
    const store = new CheckpointStore(dir);
    const restored = store.restore({ reset: true });
    assert.equal(restored.outcome, "reset");
    assert.equal(restored.checkpoint, null);
    assert.equal(restored.damaged.length, 2);
    assert.ok(!existsSync(join(dir, "checkpoint.json")));
    assert.ok(existsSync(join(dir, "damaged", "checkpoint.json")));
    store.save(checkpoint(3000));
    assert.deepEqual(new CheckpointStore(dir).load(), checkpoint(3000));
  });

  it("restores a usable generation even with reset", () => {
    const dir = twoGenerations("reset-usable");
    const restored = new CheckpointStore(dir).restore({ reset: true });
    assert.equal(restored.outcome, "ok");
    assert.deepEqual(restored.checkpoint, checkpoint(2000));
  });

  it("refuses a version 1 checkpoint of the previous release clearly instead of crashing", () => {
    const dir = mkdtempSync(join(work, "v1-"));
    writeFileSync(
      join(dir, "checkpoint.json"),
      JSON.stringify({ values_file: "values-3.f64", ...checkpoint(1000, 10), version: 1 }),
    );
    assert.throws(
      () => new CheckpointStore(dir).load(),
      (error: Error) =>
        error.name === "UserError" &&
        /checkpoint\.json: version 1 \(written by an earlier driftwatch, without checksums\)/.test(
          error.message,
        ),
    );
  });

  it("refuses a NaN in the side file even when every checksum matches", () => {
    // NaN in a window made the Wasserstein distance loop forever. The store writes only finite
    // numbers to the side file, so a NaN there is damage, whatever wrote it.
    const dir = mkdtempSync(join(work, "nan-side-"));
    new CheckpointStore(dir).save(checkpoint(1000, 300));
    const path = sideFile(dir);
    const bytes = readFileSync(path);
    bytes.writeDoubleLE(Number.NaN, 7 * 8);
    writeFileSync(path, bytes);
    reseal(dir);
    assert.throws(
      () => new CheckpointStore(dir).load(),
      /values-\d+\.f64: value 7 is not a finite number \(NaN\)/,
    );
  });

  it("refuses a window holding a value a window never holds, even when every checksum matches", () => {
    // A NaN given to save goes to the JSON (as null), never to the side file; the window's shape
    // check then refuses a null where a number belongs.
    const dir = mkdtempSync(join(work, "nan-json-"));
    const bad = checkpoint(1000, 300);
    const state = (
      bad.monitors.m as { state: { window: { open: { features: { x: { values: number[] } } } } } }
    ).state;
    state.window.open.features.x.values[7] = Number.NaN;
    new CheckpointStore(dir).save(bad);
    assert.throws(
      () => new CheckpointStore(dir).load(),
      /\/monitors\/m\/state\/window\/open\/features\/x\/values\/7: not a finite number \(got null\)/,
    );
  });
});
