import assert from "node:assert/strict";
import { LabelJoin, type PendingPrediction } from "../../src/performance/join.js";

const prediction = (at: number, predicted: string): PendingPrediction => ({
  at,
  predicted,
  score: null,
  slices: [],
});

describe("LabelJoin", () => {
  it("lets a second prediction for a waiting id replace the first, at the back of the arrival order", () => {
    const join = new LabelJoin({ ttl_ms: 1000, max_pending: 3 });
    assert.equal(join.addPrediction("a", prediction(0, "x")), null);
    assert.equal(join.addPrediction("b", prediction(1, "x")), null);
    assert.equal(join.addPrediction("a", prediction(2, "y")), null);
    assert.equal(join.counts.duplicates, 1);
    assert.equal(join.pendingPredictions, 2);
    assert.deepEqual(
      join.state.predictions.map(([id, p]) => [id, p.predicted]),
      [
        ["b", "x"],
        ["a", "y"],
      ],
    );
    // The oldest waiting entry is now b: it is the one evicted, and a joins with the later prediction.
    join.addPrediction("c", prediction(3, "x"));
    join.addPrediction("d", prediction(4, "x"));
    assert.equal(join.counts.evicted_predictions, 1);
    assert.deepEqual(
      join.state.predictions.map(([id]) => id),
      ["a", "c", "d"],
    );
    assert.equal(join.addLabel("a", { at: 5, actual: "y" })?.prediction.predicted, "y");
    assert.deepEqual(join.counts, {
      matched: 1,
      expired_predictions: 0,
      orphan_labels: 0,
      evicted_predictions: 1,
      evicted_labels: 0,
      duplicates: 1,
    });
  });

  it("keeps the same buffers and counts through its state", () => {
    const join = new LabelJoin({ ttl_ms: 1000, max_pending: 10 });
    join.addPrediction("a", prediction(0, "x"));
    join.addLabel("z", { at: 1, actual: "x" });
    const revived = new LabelJoin(
      { ttl_ms: 1000, max_pending: 10 },
      JSON.parse(JSON.stringify(join.state)),
      JSON.parse(JSON.stringify(join.counts)),
    );
    revived.addPrediction("a", prediction(2, "y"));
    assert.equal(revived.counts.duplicates, 1);
    assert.equal(revived.addPrediction("z", prediction(3, "x"))?.actual, "x");
    assert.deepEqual(revived.state.predictions, [["a", prediction(2, "y")]]);
  });
});
