import assert from "node:assert/strict";
import { Histogram, Registry } from "prom-client";
import { SeriesHistogram } from "../../src/metrics/series-histogram.js";

const BUCKETS = [0.1, 0.5, 1, 2, 10];

/** The same observations through prom-client's Histogram and a SeriesHistogram, as scraped. */
async function both(observations: readonly [string, number][]): Promise<[string, string]> {
  const theirs = new Registry();
  const ours = new Registry();
  const h = new Histogram({
    name: "x_score",
    help: "Scores.",
    labelNames: ["monitor", "scorer"],
    buckets: BUCKETS,
    registers: [theirs],
  });
  const s = new SeriesHistogram("x_score", "Scores.", ["monitor", "scorer"], BUCKETS, ours);
  for (const [scorer, v] of observations) {
    h.observe({ monitor: "m", scorer }, v);
    s.labels({ monitor: "m", scorer }).observe(v);
  }
  return [await ours.metrics(), await theirs.metrics()];
}

describe("SeriesHistogram", () => {
  it("scrapes exactly as prom-client's Histogram given the same observations", async () => {
    // Values on the bounds (≤ goes in), between, below the first and above the last.
    const [ours, theirs] = await both([
      ["a", 0],
      ["a", 0.1],
      ["a", 0.10000000000000002],
      ["b", 1],
      ["a", 3.5],
      ["b", 10],
      ["b", 11],
      ["a", -2],
      ["b", 1e9],
    ]);
    assert.equal(ours, theirs);
    assert.match(ours, /x_score_bucket\{le="\+Inf",monitor="m",scorer="b"\} 4/);
  });

  it("scrapes as prom-client does across random observations", async () => {
    let seed = 7;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const observations: [string, number][] = Array.from({ length: 500 }, () => [
      random() < 0.5 ? "a" : "b",
      random() < 0.2 ? BUCKETS[Math.floor(random() * BUCKETS.length)] : random() * 12 - 1,
    ]);
    const [ours, theirs] = await both(observations);
    assert.equal(ours, theirs);
  });

  it("hands back the same series for the same labels, and refuses a wrong label set once", () => {
    const s = new SeriesHistogram("y_score", "Scores.", ["monitor", "scorer"], BUCKETS, new Registry());
    const a = s.labels({ monitor: "m", scorer: "a" });
    a.observe(1);
    assert.equal(s.labels({ scorer: "a", monitor: "m" }), a);
    assert.equal(a.count, 1);
    assert.throws(
      () => s.labels({ monitor: "m" } as never),
      /labels \["monitor"\] are not \["monitor","scorer"\]/,
    );
    assert.throws(() => s.labels({ monitor: "m", scorer: "a", extra: "x" } as never), TypeError);
    assert.throws(() => a.observe(Number.NaN), /not a finite number/);
    assert.equal(a.count, 1);
  });

  it("exports nothing until a series is taken, and nothing after a reset", async () => {
    const registry = new Registry();
    const s = new SeriesHistogram("z_score", "Scores.", ["monitor"], BUCKETS, registry);
    assert.doesNotMatch(await registry.metrics(), /z_score_bucket/);
    s.labels({ monitor: "m" }).observe(0.3);
    assert.match(await registry.metrics(), /z_score_count\{monitor="m"\} 1/);
    registry.resetMetrics();
    assert.doesNotMatch(await registry.metrics(), /z_score_bucket/);
  });
});
