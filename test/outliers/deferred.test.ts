import { strict as assert } from "node:assert";
import type { OutlierMonitorConfig } from "../../src/config/types.js";
import { DeferredScoring } from "../../src/outliers/deferred.js";
import { OutlierMonitor, type OutlierResult, type OutlierScore } from "../../src/outliers/monitor.js";
import { ScoringThread } from "../../src/outliers/scoring-thread.js";

const base: OutlierMonitorConfig = {
  type: "outliers",
  features: ["x", "y", "z"],
  reference: { type: "first", events: 300 },
  scorers: [{ type: "robust_z" }, { type: "isolation_forest", seed: 3 }],
  window: { type: "tumbling", events: 170 },
  top: 4,
};

const wave = (i: number): number => Math.sin(i * 1.7) + Math.sin(i * 0.31);

/** Event i: a row (every 37th far out, every 53rd with a missing value), its time and id. */
function event(i: number): { row: (number | null)[]; time: number; id: string } {
  const far = i % 37 === 0 ? 25 : 0;
  return {
    row: [wave(i) + far, i % 53 === 0 ? null : wave(i + 7), wave(i + 19) - far],
    // Event time mostly rising, with a few events late by 30 s.
    time: 1_000_000 + i * 100 - (i % 97 === 0 ? 30_000 : 0),
    id: `e${i}`,
  };
}

/** What a run saw: every result handed out and every score observed, in order. */
interface Run {
  results: OutlierResult[];
  scores: OutlierScore[];
  scoring: DeferredScoring;
}

function start(config: OutlierMonitorConfig, thread: ScoringThread | null, run?: Partial<Run>): Run {
  const scores: OutlierScore[] = run?.scores ?? [];
  const monitor = new OutlierMonitor("o", config, null);
  return {
    results: run?.results ?? [],
    scores,
    scoring: new DeferredScoring(monitor, thread, (s) => scores.push(...s)),
  };
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Feeds events [from, to) in batches of 100, ending each batch, and now and then waiting so that
 * the worker's blocks come back mid-stream (and now and then not, so that some are still out).
 */
async function feed(run: Run, from: number, to: number, eventTime: boolean): Promise<void> {
  for (let i = from; i < to; i++) {
    const e = event(i);
    run.results.push(...run.scoring.add(e.row, 5_000 + i, eventTime ? e.time : null, e.id));
    if ((i + 1) % 100 === 0) {
      run.scoring.endBatch();
      if (i % 300 === 99) await pause(20);
      if (i % 500 === 199) run.results.push(...run.scoring.tick(5_000 + i));
    }
  }
  run.scoring.endBatch();
}

describe("DeferredScoring", () => {
  let thread: ScoringThread;
  beforeEach(async () => {
    thread = new ScoringThread();
    assert.equal(await thread.ready(), true, "the worker starts");
  });
  afterEach(() => thread.stop());

  for (const [label, config, eventTime] of [
    ["count windows", base, false],
    [
      "event-time windows with late events",
      { ...base, window: { type: "tumbling", duration_secs: 20, time: "event" } },
      true,
    ],
  ] as const) {
    it(`gives the results, scores and state of scoring each event as it comes (${label})`, async () => {
      const main = start(config as OutlierMonitorConfig, null);
      const worker = start(config as OutlierMonitorConfig, thread);
      for (const run of [main, worker]) {
        await feed(run, 0, 2000, eventTime);
        run.results.push(...run.scoring.flush(10_000));
      }
      assert.ok(main.results.length >= 8, `${main.results.length} windows`);
      assert.ok(thread.answered >= 3, `the worker scored ${thread.answered} blocks`);
      assert.deepEqual(worker.results, main.results);
      assert.deepEqual(worker.scores, main.scores);
      // Every event past the reference scored by both scorers, but late ones (not scored at all).
      assert.equal(worker.scores.length, 2 * (2000 - 300 - main.scoring.lateEvents));
      assert.deepEqual(worker.scoring.state, main.scoring.state);
      assert.equal(worker.scoring.lateEvents, main.scoring.lateEvents);
      if (eventTime) assert.ok(main.scoring.lateEvents > 0);
    });
  }

  it("scores the events after a `window:N` refit with the new models, also those the worker scored with the old", async () => {
    const main = start(base, null);
    const worker = start(base, thread);
    for (const run of [main, worker]) {
      await feed(run, 0, 400, false);
      run.scoring.applyQueued();
      run.scoring.monitor.referenceFromWindow(run.scoring.monitor.nextWindow + 1);
      await feed(run, 400, 1500, false);
      run.results.push(...run.scoring.flush(10_000));
    }
    assert.ok(worker.scoring.monitor.reference.startsWith("window:"));
    assert.ok(thread.answered >= 3, `the worker scored ${thread.answered} blocks`);
    assert.deepEqual(worker.results, main.results);
    assert.deepEqual(worker.scores, main.scores);
    assert.deepEqual(worker.scoring.state, main.scoring.state);
  });

  it("hands out after a restart the results its checkpointed state kept", async () => {
    const worker = start(base, thread);
    await feed(worker, 0, 640, false);
    // The state applies every queued event: windows 0 (events 300–469) and 1 (470–639) are closed
    // by then, and those not handed out yet wait in the state (how many depends on the worker).
    const handedBefore = worker.results.map((r) => r.window.index);
    const state = JSON.parse(JSON.stringify(worker.scoring.state));
    assert.deepEqual(
      [...handedBefore, ...state.unreported.map((r: OutlierResult) => r.window.index)],
      [0, 1],
    );
    assert.ok(state.unreported.length > 0);
    const { unreported, ...own } = state;
    const restored = new DeferredScoring(
      new OutlierMonitor("o", base, null, own),
      null,
      () => {},
      unreported,
    );
    const handed = restored.add(event(640).row, 0, null, "e640");
    assert.deepEqual(handed, unreported);
    assert.deepEqual(restored.add(event(641).row, 0, null, "e641"), []);
  });

  it("scores on the main thread what a stopped worker never answered", async () => {
    const main = start(base, null);
    const worker = start(base, thread);
    await feed(main, 0, 1200, false);
    await feed(worker, 0, 700, false);
    await thread.stop(); // blocks in flight are failed, not lost
    await feed(worker, 700, 1200, false);
    for (const run of [main, worker]) run.results.push(...run.scoring.flush(10_000));
    assert.deepEqual(worker.results, main.results);
    assert.deepEqual(worker.scores, main.scores);
  });

  it("applies nothing out of order: results come in window order however the blocks come back", async () => {
    const worker = start(base, thread);
    await feed(worker, 0, 3000, false);
    worker.results.push(...worker.scoring.flush(10_000));
    assert.deepEqual(
      worker.results.map((r) => r.window.index),
      worker.results.map((_, i) => i),
    );
  });
});
