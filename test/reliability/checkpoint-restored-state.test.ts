import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { OutlierMonitorConfig } from "../../src/config/types.js";
import { OutlierMonitor, type OutlierMonitorState } from "../../src/outliers/monitor.js";
import { type Checkpoint, CheckpointStore } from "../../src/state/checkpoint.js";

// A side file of random bytes kept the daemon at 100 % CPU for over ten minutes, deaf to SIGTERM:
// restored values ran loops whose end depends on the data. A NaN in a window stalls the merge of
// the Wasserstein distance, which advances only past values ≤ x (every drift test computes it); a
// forest of zeros (what a zero-filled side file gives) sends every event round the root of a tree
// for ever. Checksums now refuse such files; these tests pin the two other layers: the shape check
// that refuses such state even when it was written with valid checksums, and loops that end with
// an error instead of spinning when a NaN reaches them anyway.

/** Runs `code` (TypeScript, through tsx) in a child process that must end within `timeoutMs`. */
function runBounded(
  code: string,
  timeoutMs = 30_000,
): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], {
    encoding: "utf8",
    timeout: timeoutMs,
    killSignal: "SIGKILL",
  });
  assert.equal(result.signal, null, `ended within ${timeoutMs} ms (it was killed: a loop that never ends)`);
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("restored state", () => {
  let work = "";

  before(() => {
    work = mkdtempSync(join(tmpdir(), "driftwatch-restored-"));
  });

  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** An outlier monitor's state with both default scorers fitted on 60 events of 2 features. */
  function fittedOutlierState(): OutlierMonitorState {
    const config = {
      type: "outliers",
      features: ["a", "b"],
      reference: { type: "first", events: 60 },
      window: { type: "tumbling", events: 10 },
    } as OutlierMonitorConfig;
    const monitor = new OutlierMonitor("o", config, null);
    for (let i = 0; i < 65; i++) monitor.add({ a: Math.sin(i) * 10, b: (i * 7) % 13 }, i, null, String(i));
    const state = structuredClone(monitor.state);
    assert.equal(state.fitted?.length, 2, "both scorers fitted");
    return state;
  }

  function saveOutliers(state: OutlierMonitorState): string {
    const dir = mkdtempSync(join(work, "outliers-"));
    const checkpoint: Checkpoint = {
      format: "driftwatch-checkpoint",
      version: 2,
      written_at: 1,
      config_hash: "h",
      positions: {},
      monitors: { o: { hash: "x", type: "outliers", state } },
    };
    new CheckpointStore(dir).save(checkpoint);
    return dir;
  }

  it("restores a fitted forest as it was written", () => {
    const state = fittedOutlierState();
    const loaded = new CheckpointStore(saveOutliers(state)).load();
    assert.deepEqual(
      ((loaded as Checkpoint).monitors.o as { state: unknown }).state,
      JSON.parse(JSON.stringify(state)),
    );
  });

  it("refuses at load a forest whose tree leads back to its root, even with valid checksums", () => {
    const state = fittedOutlierState();
    const forest = state.fitted?.[1] as { type: string; model: { trees: Record<string, number[]>[] } };
    assert.equal(forest.type, "isolation_forest");
    const tree = forest.model.trees[0];
    // What a zero-filled side file gave: every node splits on feature 0 at 0, its right child the root.
    for (const key of ["feature", "threshold", "right"]) tree[key] = tree[key].map(() => 0);
    assert.throws(
      () => new CheckpointStore(saveOutliers(state)).load(),
      /\/monitors\/o\/state\/fitted\/1\/model\/trees\/0\/right\/0: not a node after 1 in a tree of \d+ \(got 0\)/,
    );
  });

  it("refuses at load a forest splitting on a feature the rows do not have", () => {
    const state = fittedOutlierState();
    const forest = state.fitted?.[1] as { model: { trees: Record<string, number[]>[] } };
    forest.model.trees[3].feature[0] = 2;
    assert.throws(
      () => new CheckpointStore(saveOutliers(state)).load(),
      /\/monitors\/o\/state\/fitted\/1\/model\/trees\/3\/feature\/0: not a feature index below 2 or -1 \(got 2\)/,
    );
  });

  it("ends the Wasserstein distance of a sample holding NaN with an error instead of looping", () => {
    const { stdout } = runBounded(`
      import { wasserstein } from "./src/stats/distances.ts";
      try {
        wasserstein(Float64Array.of(1, 2, Number.NaN), Float64Array.of(1.5));
        console.log("no error");
      } catch (error) {
        console.log(String(error));
      }
    `);
    assert.equal(stdout.trim(), "RangeError: wasserstein distance of a sample holding NaN");
  });
});
