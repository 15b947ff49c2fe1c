import { strict as assert } from "node:assert";
import type { DriftMonitorConfig } from "../../src/config/types.js";
import { DriftMonitor } from "../../src/drift/monitor.js";
import { formatVerdict } from "../../src/drift/verdict.js";

const kinds = { x: "numeric", c: "categorical" } as const;
const config: DriftMonitorConfig = {
  type: "drift",
  features: ["x", "c"],
  reference: { type: "first", events: 4 },
  window: { type: "tumbling", events: 4 },
};

describe("DriftMonitor", () => {
  it("collects a `first` reference before windowing, then evaluates each closed window", () => {
    const m = new DriftMonitor("m", config, kinds, null);
    const add = (x: unknown, c: unknown) => m.add({ x, c }, 0, null);
    for (const [x, c] of [
      [1, "a"],
      [2, "a"],
      [3, "b"],
      [4, "b"],
    ] as const)
      assert.deepEqual(add(x, c), []);
    assert.equal(m.referenceEvents, 4);
    assert.equal(m.evaluateOpen(), null, "nothing in the window yet");
    add(10, "a");
    add(null, "z");
    add(12, "z");
    const scheduled = m.evaluateOpen();
    assert.equal(scheduled?.trigger, "schedule");
    assert.equal(scheduled?.window.events, 3);
    const [result] = add("oops", "a");
    assert.equal(result.trigger, "window_close");
    assert.equal(result.window.index, 0);
    assert.equal(result.window.events, 4);
    assert.deepEqual(result.quality, {
      x: { missing_ratio: 0.5, unseen_category_ratio: null },
      c: { missing_ratio: 0, unseen_category_ratio: 0.5 },
    });
    const x = result.evaluation.columns.find((c) => c.name === "x");
    assert.equal(x?.n_current, 2);
    assert.equal(x?.missing_current, 2);
    assert.equal(x?.statistic, 1);
    assert.match(
      formatVerdict(result),
      /^\[m\] window 0 \(4 events\): (no drift|DRIFT) \d\/2 features drifted \| x ks 1 p=0\.1333 \| c chi2 /,
    );
  });

  it("restores its reference collection and window from its state", () => {
    const first = new DriftMonitor("m", config, kinds, null);
    for (let i = 0; i < 6; i++) first.add({ x: i, c: "a" }, 0, null);
    const restored = new DriftMonitor("m", config, kinds, null, JSON.parse(JSON.stringify(first.state)));
    assert.equal(restored.referenceEvents, 4);
    const a = [first.add({ x: 7, c: "b" }, 0, null), first.add({ x: 8, c: "b" }, 0, null)].flat();
    const b = [restored.add({ x: 7, c: "b" }, 0, null), restored.add({ x: 8, c: "b" }, 0, null)].flat();
    assert.equal(a.length, 1);
    const strip = (rs: typeof a) => rs.map(({ duration_secs: _d, ...rest }) => rest);
    assert.deepEqual(strip(b), strip(a));
  });
});

describe("DriftMonitor references that move", () => {
  /** Event i of a stream whose level rises window by window (windows of 4). */
  const event = (i: number) => ({ x: Math.floor(i / 4) * 10 + (i % 4), c: i % 3 === 0 ? "a" : "b" });

  /** A `first` monitor whose reference is exactly events [from, to): what a moved reference must equal. */
  function referenceOf(from: number, to: number): DriftMonitor {
    const m = new DriftMonitor(
      "m",
      { ...config, reference: { type: "first", events: to - from } },
      kinds,
      null,
    );
    for (let i = from; i < to; i++) m.add(event(i), 0, null);
    return m;
  }

  /** The evaluation of the window of events [from, from + 4) against a monitor's reference. */
  function evaluationOf(m: DriftMonitor, from: number) {
    let result: ReturnType<DriftMonitor["add"]> = [];
    for (let i = from; i < from + 4; i++) result = m.add(event(i), 0, null);
    assert.equal(result.length, 1);
    return result[0].evaluation;
  }

  it("compares each window with the K windows before it (rolling), the first K only building it", () => {
    const rolling: DriftMonitorConfig = { ...config, reference: { type: "rolling", windows: 2 } };
    const m = new DriftMonitor("m", rolling, kinds, null);
    const results = [];
    for (let i = 0; i < 8; i++) results.push(...m.add(event(i), 0, null));
    assert.deepEqual(results, [], "windows 0 and 1 build the reference");
    assert.equal(m.referenceEvents, 8);
    assert.equal(m.reference, "rolling:2");
    for (const start of [8, 12, 16]) {
      // Through a checkpoint between windows: the windows it holds are part of its state.
      const resumed = new DriftMonitor("m", rolling, kinds, null, JSON.parse(JSON.stringify(m.state)));
      const got = evaluationOf(resumed, start);
      const want = evaluationOf(referenceOf(start - 8, start), start);
      assert.deepEqual(got, want, `window at ${start}: against events [${start - 8}, ${start})`);
      for (let i = start; i < start + 4; i++) m.add(event(i), 0, null);
    }
  });

  it("takes a new reference at once, or from a window when it closes, and keeps it through a checkpoint", () => {
    const m = new DriftMonitor("m", config, kinds, null);
    for (let i = 0; i < 4; i++) m.add(event(i), 0, null);
    assert.equal(m.reference, "first:4");
    // A replacement made of events [20, 24), as a file of those rows gives.
    const replacement = referenceOf(20, 24).state.collecting?.features;
    assert.ok(replacement);
    m.add(event(4), 0, null); // window 0 is in flight: it keeps its event
    m.replaceReference(structuredClone(replacement), "file:new.csv");
    assert.equal(m.reference, "file:new.csv");
    const restored = new DriftMonitor("m", config, kinds, null, JSON.parse(JSON.stringify(m.state)));
    assert.equal(restored.reference, "file:new.csv", "kept through a checkpoint");
    for (let i = 5; i < 7; i++) restored.add(event(i), 0, null);
    const [window0] = restored.add(event(7), 0, null);
    assert.equal(window0.reference, "file:new.csv");
    assert.equal(window0.window.events, 4, "no event of the window in flight lost");
    assert.deepEqual(window0.evaluation, evaluationOf(referenceOf(20, 24), 4));

    assert.throws(() => restored.referenceFromWindow(0), /window 0 has closed/);
    restored.referenceFromWindow(2);
    for (let i = 8; i < 12; i++) restored.add(event(i), 0, null);
    let window2: ReturnType<DriftMonitor["add"]> = [];
    for (let i = 12; i < 16; i++) window2 = restored.add(event(i), 0, null);
    assert.equal(window2[0].reference, "file:new.csv", "window 2 itself is compared with the old reference");
    assert.equal(restored.reference, "window:2");
    assert.deepEqual(
      evaluationOf(restored, 16),
      evaluationOf(referenceOf(12, 16), 16),
      "then it is the reference",
    );
  });
});
