import { strict as assert } from "node:assert";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { type Checkpoint, CheckpointStore } from "../../src/state/checkpoint.js";

function checkpoint(monitors: Record<string, unknown>, positions = { s: { "t/0": 10 } }): Checkpoint {
  return {
    format: "driftwatch-checkpoint",
    version: 1,
    written_at: 1,
    config_hash: "h",
    positions,
    monitors,
  };
}

describe("CheckpointStore", () => {
  it("round-trips state exactly, long number arrays through the binary side file", () => {
    const store = new CheckpointStore(mkdtempSync(join(tmpdir(), "driftwatch-ckpt-")));
    assert.equal(store.load(), null);
    fc.assert(
      fc.property(
        fc.array(fc.double({ noNaN: true }), { minLength: 200, maxLength: 2000 }),
        fc.array(fc.double({ noNaN: true }), { maxLength: 10 }),
        fc.dictionary(fc.string(), fc.nat()),
        (long, short, counts) => {
          const saved = checkpoint({
            m: { hash: "x", state: { values: long, few: short, counts, mixed: [1, "a", null] } },
          });
          store.save(saved);
          const loaded = store.load();
          // JSON writes -0 as 0; the binary side file keeps every bit.
          assert.deepEqual(JSON.parse(JSON.stringify(loaded)), JSON.parse(JSON.stringify(saved)));
          const values = ((loaded as Checkpoint).monitors.m as { state: { values: number[] } }).state.values;
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
    const store = new CheckpointStore(mkdtempSync(join(tmpdir(), "driftwatch-ckpt-")));
    const counts = Object.fromEntries([
      ["__proto__", 3],
      ["constructor", 2],
    ]);
    store.save(checkpoint({ m: { values: Array.from({ length: 300 }, (_, i) => i), counts } }));
    const loaded = store.load()?.monitors.m as { counts: Record<string, number> };
    assert.deepEqual(Object.entries(loaded.counts), [
      ["__proto__", 3],
      ["constructor", 2],
    ]);
  });

  it("keeps the JSON readable, names one side file, and removes the previous ones", () => {
    const dir = mkdtempSync(join(tmpdir(), "driftwatch-ckpt-"));
    const store = new CheckpointStore(dir);
    const values = Array.from({ length: 1000 }, (_, i) => i / 7);
    store.save(checkpoint({ m: { values } }));
    store.save(checkpoint({ m: { values } }, { s: { "t/0": 20 } }));
    const json = JSON.parse(readFileSync(join(dir, "checkpoint.json"), "utf8"));
    assert.deepEqual(json.positions, { s: { "t/0": 20 } });
    assert.deepEqual(json.monitors.m.values, { $f64: [0, 1000] });
    assert.deepEqual(readdirSync(dir).sort(), ["checkpoint.json", json.values_file]);
    assert.deepEqual(
      ((new CheckpointStore(dir).load() as Checkpoint).monitors.m as { values: number[] }).values,
      values,
    );
  });

  it("refuses a file that is not a checkpoint", () => {
    const dir = mkdtempSync(join(tmpdir(), "driftwatch-ckpt-"));
    const store = new CheckpointStore(dir);
    store.save({ ...checkpoint({}), version: 2 } as unknown as Checkpoint);
    assert.throws(() => store.load(), /not a driftwatch checkpoint of version 1/);
  });
});
