import assert from "node:assert/strict";
import fc from "fast-check";
import { median } from "../../src/outliers/features.js";
import {
  type AnyOutlierScorerKind,
  type OutlierScorerName,
  outlierScorers,
  paramProblems,
  thresholdProblems,
} from "../../src/outliers/registry.js";
import type { Row } from "../../src/outliers/types.js";
import { seededRandom } from "../../src/stats/prng.js";

/** 300 rows × 3 features (normal, skewed, integer), 3 % missing, from a fixed seed. */
function referenceRows(): (number | null)[][] {
  const random = seededRandom(2026);
  return Array.from({ length: 300 }, () => {
    const row: (number | null)[] = [
      random() * 2 - 1 + random() - 0.5,
      -Math.log(1 - random()),
      Math.floor(random() * 5),
    ];
    for (let j = 0; j < row.length; j++) if (random() < 0.03) row[j] = null;
    return row;
  });
}

const PREFIX = "/outliers/0/params";

describe("outlier scorer registry (conformance)", () => {
  const reference = referenceRows();
  const queries: Row[] = [
    ...reference.slice(0, 50),
    [10, 10, 10],
    [-10, 0, 0],
    [0, 50, 2],
    [null, null, null],
  ];

  for (const [name, entry] of Object.entries(outlierScorers) as [OutlierScorerName, AnyOutlierScorerKind][]) {
    describe(name, () => {
      const params = entry.example;

      it("has an example that passes its schema, and so do empty params (all defaults)", () => {
        assert.deepEqual(paramProblems(name, params, PREFIX), []);
        assert.deepEqual(paramProblems(name, {}, PREFIX), []);
        assert.ok(entry.description.length > 0);
        assert.ok(entry.missing === "skip" || entry.missing === "impute_median");
      });

      it("rejects an unknown key, naming its path", () => {
        const problems = paramProblems(name, { ...params, treshold: 1 }, PREFIX);
        assert.deepEqual(
          problems.map((p) => p.path),
          [`${PREFIX}/treshold`],
        );
        assert.match(problems[0].message, /unknown key "treshold"/);
      });

      it("rejects a wrongly typed or out-of-range value of each param, naming its path and the value", () => {
        const properties = (
          entry.schema as { properties: Record<string, { minimum?: number; exclusiveMinimum?: number }> }
        ).properties;
        for (const [key, spec] of Object.entries(properties)) {
          const typed = paramProblems(name, { ...params, [key]: "many" }, PREFIX);
          assert.ok(
            typed.some((p) => p.path === `${PREFIX}/${key}` && p.message.includes('"many"')),
            `${key}: ${JSON.stringify(typed)}`,
          );
          const floor = spec.minimum ?? spec.exclusiveMinimum;
          if (floor !== undefined) {
            const low = paramProblems(name, { ...params, [key]: floor - 1 }, PREFIX);
            assert.ok(
              low.some((p) => p.path === `${PREFIX}/${key}` && p.message.includes(String(floor - 1))),
              `${key}: ${JSON.stringify(low)}`,
            );
          }
        }
      });

      it("fits deterministically: the same reference and params (seed included) give the same model", () => {
        assert.deepEqual(entry.fit(reference, params), entry.fit(reference, params));
      });

      it("fits a model that is plain JSON and scores identically after a round trip", () => {
        const model = entry.fit(reference, params);
        const copy = JSON.parse(JSON.stringify(model));
        assert.deepEqual(copy, model);
        for (const row of queries) assert.equal(entry.score(copy, row), entry.score(model, row));
      });

      it("scores the reference median where a feature is missing", () => {
        const model = entry.fit(reference, params);
        const medians = [0, 1, 2].map((j) =>
          median(
            Float64Array.from(reference.flatMap((row) => (row[j] === null ? [] : [row[j] as number]))).sort(),
          ),
        );
        for (const row of queries.slice(0, 20)) {
          for (let j = 0; j < 3; j++) {
            const missing = Array.from(row);
            const filled = Array.from(row);
            missing[j] = null;
            filled[j] = medians[j];
            assert.equal(entry.score(model, missing), entry.score(model, filled));
          }
        }
      });

      it("gives finite scores, higher for the planted outliers, for any finite rows", () => {
        const model = entry.fit(reference, params);
        const typical = entry.score(model, [0, 0.7, 2]);
        for (const row of queries.slice(50, 53)) assert.ok(entry.score(model, row) > typical, `${row}`);
        const feature = fc.option(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { nil: null });
        fc.assert(
          fc.property(fc.tuple(feature, feature, feature), (row) => {
            assert.ok(Number.isFinite(entry.score(model, row)));
          }),
        );
        fc.assert(
          fc.property(
            fc
              .array(fc.tuple(feature, feature), { minLength: 2, maxLength: 30 })
              .filter((rows) => [0, 1].every((j) => rows.some((r) => r[j] !== null))),
            fc.tuple(feature, feature),
            (rows, row) => {
              const fitted = entry.fit(rows, params);
              assert.ok(Number.isFinite(entry.score(fitted, row)));
            },
          ),
          { numRuns: 50 },
        );
      });
    });
  }

  describe("threshold", () => {
    it("accepts a percentile, a value, or neither", () => {
      assert.deepEqual(thresholdProblems({ percentile: 99.5 }), []);
      assert.deepEqual(thresholdProblems({ value: 3 }), []);
      assert.deepEqual(thresholdProblems({}), []);
    });

    it("rejects both at once, a percentile past 100 and an unknown key, naming the paths", () => {
      assert.deepEqual(
        thresholdProblems({ percentile: 99, value: 3 }, "/threshold").map((p) => p.path),
        ["/threshold"],
      );
      const problems = thresholdProblems({ percentile: 101, pct: 1 }, "/threshold");
      assert.deepEqual(problems.map((p) => p.path).sort(), ["/threshold/pct", "/threshold/percentile"]);
      assert.ok(problems.some((p) => p.message.includes("101")));
    });
  });
});
