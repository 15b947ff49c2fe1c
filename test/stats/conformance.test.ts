/**
 * Every registered drift test and distance keeps the registry's contract, River-style: one suite
 * walks `driftTests`, so a new test is checked the moment it is registered. A p-value test must
 * define its effect size (before, `min_effect` was a switch on test names in the drift engine, and
 * a test missing from it silently never drifted once `min_effect` was set).
 */
import assert from "node:assert/strict";
import { defaultDriftOptions, evaluateColumns } from "../../src/drift/evaluate.js";
import { driftTests } from "../../src/stats/registry.js";
import type { ColumnSample, DriftTest } from "../../src/stats/types.js";

/** A deterministic sample of each kind; `shift` moves it. */
function sample(kind: "numeric" | "categorical", n: number, shift: number, binary: boolean): ColumnSample {
  if (kind === "numeric") {
    const values = Float64Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898) * 3 + shift);
    return { kind, sorted: values.sort() };
  }
  const categories = binary ? ["yes", "no"] : ["a", "b", "c", "d"];
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    // The shift moves mass towards the first category.
    const k = (i * 7 + Math.floor(shift * i)) % categories.length;
    const c = categories[shift > 0 && i % 3 === 0 ? 0 : k];
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  return { kind, counts };
}

for (const [key, test] of Object.entries(driftTests) as [string, DriftTest][]) {
  describe(`drift test ${key}`, () => {
    it("is registered under its own name with kinds and a description", () => {
      assert.equal(test.name, key);
      assert.ok(test.kinds.length > 0);
      assert.ok(test.description.length > 10);
    });

    for (const kind of test.kinds) {
      const binary = key === "z";
      const reference = sample(kind, 400, 0, binary);
      const same = sample(kind, 300, 0, binary);
      const shifted = sample(kind, 300, 1.5, binary);

      it(`gives the same finite result twice on ${kind} samples`, () => {
        const a = test.run(reference, shifted);
        assert.deepEqual(test.run(reference, shifted), a);
        assert.ok(Number.isFinite(a.statistic), String(a.statistic));
      });

      if (test.decision === "p_value") {
        it(`gives a p-value in [0, 1] and an effect size on ${kind} samples`, () => {
          for (const current of [same, shifted]) {
            const r = test.run(reference, current);
            assert.ok(r.pValue !== null && r.pValue >= 0 && r.pValue <= 1, String(r.pValue));
            const effect = test.effectSize(r, 400, 300);
            assert.ok(effect !== null && Number.isFinite(effect) && effect >= 0, `effect ${effect}`);
          }
          assert.ok((test.run(reference, shifted).pValue as number) < 0.05, "the shifted sample drifts");
        });

        it(`drifts under a small min_effect exactly when it drifts without one on ${kind} samples`, () => {
          const options = {
            ...defaultDriftOptions,
            [kind === "numeric" ? "numeric_test" : "categorical_test"]: key,
          };
          const input = {
            name: "x",
            kind,
            reference,
            current: shifted,
            missing_reference: 0,
            missing_current: 0,
          };
          const plain = evaluateColumns([input], { ...options });
          const floored = evaluateColumns([input], { ...options, min_effect: 1e-9 });
          assert.equal(plain.columns[0].drift, true);
          assert.equal(floored.columns[0].drift, true);
        });
      } else {
        it(`is a distance with a positive default threshold and no p-value on ${kind} samples`, () => {
          assert.ok(test.defaultThreshold > 0);
          assert.equal(test.run(reference, shifted).pValue, null);
          assert.ok(test.run(reference, same).statistic < test.run(reference, shifted).statistic);
        });
      }
    }
  });
}
