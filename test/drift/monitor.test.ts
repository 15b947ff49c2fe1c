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
