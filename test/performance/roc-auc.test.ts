import assert from "node:assert/strict";
import fc from "fast-check";
import {
  addScore,
  emptyScoreCounts,
  mergeScoreCounts,
  rocAucFromCounts,
  scoreCountsFromRecord,
  scoreCountsRecord,
} from "../../src/performance/roc-auc.js";

function countsOf(pairs: readonly [number, boolean][]) {
  const c = emptyScoreCounts();
  for (const [s, p] of pairs) addScore(c, s, p);
  return c;
}

/** The Mann–Whitney AUC by comparing every pair, ties counting one half. */
function bruteForce(pairs: readonly [number, boolean][]): number | null {
  const pos = pairs.filter(([, p]) => p).map(([s]) => s);
  const neg = pairs.filter(([, p]) => !p).map(([s]) => s);
  if (pos.length === 0 || neg.length === 0) return null;
  let u = 0;
  for (const x of pos) for (const y of neg) u += x > y ? 1 : x === y ? 0.5 : 0;
  return u / (pos.length * neg.length);
}

const pairs = fc.array(
  fc.tuple(
    fc.oneof(
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.integer({ min: 0, max: 4 }).map((k) => k / 4),
    ),
    fc.boolean(),
  ),
  { maxLength: 100 },
);

describe("rocAucFromCounts", () => {
  it("is the pairwise Mann–Whitney statistic with ties counted as one half, exactly", () => {
    fc.assert(
      fc.property(pairs, (p) => {
        assert.equal(rocAucFromCounts(countsOf(p)).value, bruteForce(p));
      }),
    );
  });

  it("counts −0 and 0 as one score", () => {
    const c = countsOf([
      [-0, true],
      [0, false],
    ]);
    assert.deepEqual(Object.keys(scoreCountsRecord(c)), ["0"]);
    assert.equal(rocAucFromCounts(c).value, 0.5);
  });

  it("gives 1 with the interval [1, 1] under perfect separation, and no interval below two per class", () => {
    const c = countsOf([
      [0.1, false],
      [0.2, false],
      [0.8, true],
      [0.9, true],
    ]);
    assert.deepEqual(rocAucFromCounts(c), {
      value: 1,
      interval: { low: 1, high: 1, level: 0.95, method: "delong" },
    });
    assert.deepEqual(
      rocAucFromCounts(
        countsOf([
          [0.1, false],
          [0.8, true],
          [0.9, true],
        ]),
      ).interval,
      null,
    );
    assert.deepEqual(rocAucFromCounts(countsOf([[0.1, true]])), { value: null, interval: null });
  });

  it("keeps every count and the area through its checkpointed form", () => {
    fc.assert(
      fc.property(pairs, (p) => {
        const counts = countsOf(p);
        const revived = scoreCountsFromRecord(JSON.parse(JSON.stringify(scoreCountsRecord(counts))));
        assert.deepEqual(revived, counts);
        assert.deepEqual(rocAucFromCounts(revived), rocAucFromCounts(counts));
      }),
    );
  });

  it("is unchanged by merging: merged counts equal one pass exactly", () => {
    fc.assert(
      fc.property(pairs, pairs, (a, b) => {
        assert.deepEqual(
          scoreCountsRecord(mergeScoreCounts(countsOf(a), countsOf(b))),
          scoreCountsRecord(countsOf([...a, ...b])),
        );
      }),
    );
  });
});
