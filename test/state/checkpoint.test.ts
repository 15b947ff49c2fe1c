import { strict as assert } from "node:assert";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { type Checkpoint, CheckpointStore } from "../../src/state/checkpoint.js";

/** A drift monitor's state holding `values` (numeric), `counts` (categorical) and `raw` values. */
function driftState(values: number[], counts: Record<string, number> = {}): unknown {
  return {
    collecting: {
      events: values.length,
      features: {
        x: { kind: "numeric", values, missing: 0, invalid: 0 },
        c: { kind: "categorical", counts, missing: 1, invalid: 0 },
      },
    },
    window: { open: null, closed: [], emitted: 0, late: 0 },
  };
}

function checkpoint(state: unknown, positions = { s: { "t/0": 10 } }): Checkpoint {
  return {
    format: "driftwatch-checkpoint",
    version: 2,
    written_at: 1,
    config_hash: "h",
    positions,
    monitors: { m: { hash: "x", type: "drift", state } },
  };
}

const tempDir = () => mkdtempSync(join(tmpdir(), "driftwatch-ckpt-"));

describe("CheckpointStore", () => {
  it("round-trips state exactly, long number arrays through the binary side file", () => {
    const store = new CheckpointStore(tempDir());
    assert.equal(store.load(), null);
    fc.assert(
      fc.property(
        fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { minLength: 200, maxLength: 2000 }),
        fc.dictionary(fc.string(), fc.nat()),
        (long, counts) => {
          const saved = checkpoint(driftState(long, counts));
          store.save(saved);
          const loaded = store.load();
          // JSON writes -0 as 0; the binary side file keeps every bit.
          assert.deepEqual(JSON.parse(JSON.stringify(loaded)), JSON.parse(JSON.stringify(saved)));
          const state = (loaded as Checkpoint).monitors.m as {
            state: { collecting: { features: { x: { values: number[] } } } };
          };
          const values = state.state.collecting.features.x.values;
          if (long.length >= 256) {
            for (let i = 0; i < long.length; i++)
              assert.ok(Object.is(values[i], long[i]), `value ${i} bit for bit`);
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it("keeps keys named like Object.prototype members when it revives the side file", () => {
    const store = new CheckpointStore(tempDir());
    const counts = Object.fromEntries([
      ["__proto__", 3],
      ["constructor", 2],
    ]);
    store.save(
      checkpoint(
        driftState(
          Array.from({ length: 300 }, (_, i) => i),
          counts,
        ),
      ),
    );
    const loaded = store.load()?.monitors.m as {
      state: { collecting: { features: { c: { counts: Record<string, number> } } } };
    };
    assert.deepEqual(Object.entries(loaded.state.collecting.features.c.counts), [
      ["__proto__", 3],
      ["constructor", 2],
    ]);
  });

  it("keeps the JSON readable and two generations, each with its side file, and removes older ones", () => {
    const dir = tempDir();
    const store = new CheckpointStore(dir);
    const values = Array.from({ length: 1000 }, (_, i) => i / 7);
    store.save(checkpoint(driftState(values), { s: { "t/0": 10 } }));
    store.save(checkpoint(driftState(values), { s: { "t/0": 20 } }));
    store.save(checkpoint(driftState(values), { s: { "t/0": 30 } }));
    const json = JSON.parse(readFileSync(join(dir, "checkpoint.json"), "utf8"));
    const previous = JSON.parse(readFileSync(join(dir, "checkpoint.previous.json"), "utf8"));
    assert.equal(json.generation, 3);
    assert.deepEqual(json.positions, { s: { "t/0": 30 } });
    assert.deepEqual(json.monitors.m.state.collecting.features.x.values, { $f64: [0, 1000] });
    assert.deepEqual(json.values_file.name, "values-3.f64");
    assert.equal(json.values_file.bytes, 8000);
    assert.match(json.digest, /^sha256:[0-9a-f]{64}$/);
    assert.equal(previous.generation, 2);
    assert.deepEqual(previous.positions, { s: { "t/0": 20 } });
    assert.deepEqual(readdirSync(dir).sort(), [
      "checkpoint.json",
      "checkpoint.previous.json",
      "values-2.f64",
      "values-3.f64",
    ]);
    assert.deepEqual(new CheckpointStore(dir).load(), checkpoint(driftState(values), { s: { "t/0": 30 } }));
  });

  it("refuses a file that is not a checkpoint of this version", () => {
    const dir = tempDir();
    const store = new CheckpointStore(dir);
    store.save({ ...checkpoint(driftState([])), version: 3 } as unknown as Checkpoint);
    assert.throws(
      () => store.load(),
      /checkpoint\.json \(generation 1\): not a driftwatch checkpoint of version 2/,
    );
  });

  it("refuses a monitor state of the wrong shape, naming its JSON path", () => {
    const dir = tempDir();
    new CheckpointStore(dir).save(
      checkpoint({ collecting: null, window: { open: null, closed: [], emitted: -1 } }),
    );
    assert.throws(
      () => new CheckpointStore(dir).load(),
      /\/monitors\/m\/state\/window\/emitted: not a count \(got -1\)/,
    );
  });

  it("removes what a failed save wrote, keeps the generations it had, and saves again once the cause is gone", () => {
    const dir = tempDir();
    const store = new CheckpointStore(dir);
    const values = Array.from({ length: 500 }, (_, i) => i);
    store.save(checkpoint(driftState(values), { s: { "t/0": 1 } }));
    store.save(checkpoint(driftState(values), { s: { "t/0": 2 } }));
    const before = readdirSync(dir).sort();
    // A directory where the temporary JSON goes: the side file is written, the JSON cannot be.
    mkdirSync(join(dir, "checkpoint.json.tmp"));
    assert.throws(
      () => store.save(checkpoint(driftState(values), { s: { "t/0": 3 } })),
      (error: Error) => {
        assert.equal(error.name, "UserError");
        assert.equal(
          error.message,
          `checkpoint not saved: ${join(dir, "checkpoint.json.tmp")}: EISDIR: illegal operation on a directory`,
        );
        return true;
      },
    );
    rmdirSync(join(dir, "checkpoint.json.tmp"));
    assert.deepEqual(readdirSync(dir).sort(), before, "no side file of the failed generation left behind");
    assert.deepEqual(new CheckpointStore(dir).load()?.positions, { s: { "t/0": 2 } });
    store.save(checkpoint(driftState(values), { s: { "t/0": 4 } }));
    assert.deepEqual(new CheckpointStore(dir).load()?.positions, { s: { "t/0": 4 } });
    assert.equal(
      JSON.parse(readFileSync(join(dir, "checkpoint.previous.json"), "utf8")).positions.s["t/0"],
      2,
      "the failed generation never became the fallback",
    );
  });

  it("numbers a new generation past every file on disk and removes side files no generation needs", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "values-9.f64"), Buffer.alloc(16)); // left by a write killed midway
    const store = new CheckpointStore(dir);
    store.save(checkpoint(driftState(Array.from({ length: 300 }, (_, i) => i))));
    assert.deepEqual(readdirSync(dir).sort(), ["checkpoint.json", "values-10.f64"]);
  });

  it("only reads on load: a state dir that does not exist is no checkpoint and is not created", () => {
    const dir = join(tempDir(), "not-yet");
    assert.equal(new CheckpointStore(dir).load(), null);
    assert.ok(!existsSync(dir));
  });

  it("refuses in one line a state dir that cannot be created", () => {
    const file = join(tempDir(), "a-file");
    writeFileSync(file, "");
    const dir = join(file, "state");
    assert.throws(
      () => new CheckpointStore(dir).restore({ reset: true }),
      (error: Error) =>
        error.name === "UserError" &&
        error.message === `state dir ${dir} is not writable (ENOTDIR: not a directory)`,
    );
  });
});
