import { strict as assert } from "node:assert";
import fc from "fast-check";
import { StateShapeError } from "../../src/shape.js";
import { seededRandom } from "../../src/stats/prng.js";
import { checkFeatureState } from "../../src/windows/feature-state.js";
import {
  checkSample,
  emptySample,
  isVector,
  mergeSamples,
  type SampleState,
  sampled,
  sampleRows,
  updateSample,
} from "../../src/windows/sample.js";

function fill(rows: readonly (readonly number[])[], size: number, seed = 7): SampleState {
  const state = emptySample(rows[0]?.length ?? 3, size, seed);
  for (const row of rows) updateSample(state, [...row]);
  return state;
}

/** The kept rows as a sorted list of texts: the set, whatever the heap's order. */
function kept(state: SampleState): string[] {
  const { n, dim, data } = sampleRows(state);
  return Array.from({ length: n }, (_, i) =>
    JSON.stringify(Array.from(data.subarray(i * dim, (i + 1) * dim))),
  ).sort();
}

const row = fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 3, maxLength: 3 });

describe("row sample", () => {
  it("keeps every row while it has room, and says it did not sample", () => {
    const state = fill(
      [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
      10,
    );
    assert.equal(state.seen, 3);
    assert.deepEqual(kept(state), ["[1,2]", "[3,4]", "[5,6]"]);
    assert.equal(sampled(state), false);
  });

  it("keeps at most `size` rows, and the same set whatever the order of the rows", () => {
    fc.assert(
      fc.property(
        fc.array(row, { minLength: 0, maxLength: 60 }),
        fc.integer({ min: 0, max: 20 }),
        (rows, size) => {
          const forward = fill(rows, size);
          const backward = fill([...rows].reverse(), size);
          assert.ok(forward.priorities.length <= size);
          assert.deepEqual(kept(forward), kept(backward));
          checkSample(JSON.parse(JSON.stringify(forward)), "/s");
        },
      ),
    );
  });

  it("merges to what one pass over both inputs keeps", () => {
    fc.assert(
      fc.property(
        fc.array(row, { maxLength: 50 }),
        fc.array(row, { maxLength: 50 }),
        fc.integer({ min: 1, max: 16 }),
        (a, b, size) => {
          const merged = mergeSamples(fill(a, size), fill(b, size));
          const once = fill([...a, ...b], size);
          assert.equal(merged.seen, once.seen);
          assert.deepEqual(kept(merged), kept(once));
        },
      ),
    );
  });

  it("keeps each row with probability size / seen (a uniform sample)", () => {
    const random = seededRandom(3);
    const rows = Array.from({ length: 20000 }, (_, i) => [i, random()]);
    const state = fill(rows, 1000);
    // Kept rows' indices spread evenly: each tenth of the stream holds about a tenth of the sample.
    const { n, data } = sampleRows(state);
    const tenths = new Array(10).fill(0);
    for (let i = 0; i < n; i++) tenths[Math.floor(data[i * 2] / 2000)]++;
    // Binomial(1000, 0.1): sd 9.5; 5 sd either side.
    for (const count of tenths) assert.ok(Math.abs(count - 100) < 48, `tenths ${tenths}`);
    assert.equal(sampled(state), true);
  });

  it("counts missing and invalid values apart from rows", () => {
    const state = emptySample(2, 5, 0);
    for (const value of [
      null,
      undefined,
      [1],
      [1, "2"],
      [1, Number.NaN],
      "x",
      [1, 2],
      [1, Number.POSITIVE_INFINITY],
    ])
      updateSample(state, value);
    assert.deepEqual([state.seen, state.missing, state.invalid], [1, 2, 5]);
    assert.equal(isVector([1, 2], 2), true);
    assert.equal(isVector([1, 2, 3], 2), false);
  });

  it("refuses a damaged sample read back from a checkpoint", () => {
    const good = fill(
      [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
      2,
    );
    checkFeatureState(JSON.parse(JSON.stringify(good)), "/s");
    const damaged: Record<string, unknown>[] = [
      { ...good, rows: good.rows.slice(1) },
      { ...good, priorities: [...good.priorities, 1] },
      { ...good, seen: 1 },
      { ...good, rows: [1, 2, null, 4] },
      { ...good, priorities: [...good.priorities].reverse() },
      { ...good, dim: 0 },
    ];
    for (const state of damaged) assert.throws(() => checkFeatureState(state, "/s"), StateShapeError);
  });
});
