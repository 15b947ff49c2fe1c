import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Ajv } from "ajv";
import { type KsAlternative, ks2sampOneSided } from "../../../src/stats/ks-one-sided.js";
import {
  classifierFullModel,
  classifierOutOfFold,
  classifierTest,
  heldOutSplit,
  stratifiedFolds,
} from "../../../src/stats/multivariate/classifier.js";
import type { Rows, RunContext } from "../../../src/stats/multivariate/types.js";
import { seededRandom } from "../../../src/stats/prng.js";

/**
 * Reference values come from test/fixtures/classifier/classifier.py: scikit-learn 1.9.1's
 * StandardScaler + LogisticRegression(C, tol=1e-12, max_iter=100000) per fold of
 * StratifiedKFold, scipy 1.17.1's `ks_2samp(..., alternative='greater')` and alibi-detect 0.13's
 * own ClassifierDrift on the same folds.
 *
 * Tolerances. The port solves the logistic regression by Newton's method to a gradient below
 * 1e-12, i.e. to the optimum within rounding. scikit-learn's default solver (L-BFGS-B) also stops
 * when the objective's relative decrease falls below 64·ε, which leaves its coefficients up to
 * about 1e-8 from the optimum (1.1e-8 in these cases); so the port is compared with it to 5e-8
 * absolute, and with scikit-learn's newton-cholesky solutions of the same problem, which converge
 * quadratically, to 1e-10. Scaler means and scales agree to 1e-14 relative. AUC and the KS
 * statistic depend only on the order of the probabilities, which differences of 1e-8 do not
 * change here, so they agree to 1e-12; KS p-values to 1e-12 relative.
 */
const LBFGS_ABS_TOL = 5e-8;
const TIGHT_ABS_TOL = 1e-10;
const SCALER_REL_TOL = 1e-14;
const ORDER_ABS_TOL = 1e-12;
const P_REL_TOL = 1e-12;

interface FoldModel {
  readonly test: readonly number[];
  readonly mean: readonly number[];
  readonly scale: readonly number[];
  readonly coef: readonly number[];
  readonly intercept: number;
  readonly coef_tight: readonly number[];
  readonly intercept_tight: number;
}

interface ClassifierCase {
  readonly name: string;
  readonly folds: number;
  readonly C: number;
  readonly reference: readonly (readonly number[])[];
  readonly current: readonly (readonly number[])[];
  readonly fold_models: readonly FoldModel[];
  readonly probabilities: readonly number[];
  readonly probabilities_tight: readonly number[];
  readonly auc: number;
  readonly ks_statistic: number;
  readonly ks_pvalue: number;
  readonly full: {
    readonly mean: readonly number[];
    readonly scale: readonly number[];
    readonly coef: readonly number[];
    readonly intercept: number;
    readonly coef_tight: readonly number[];
    readonly intercept_tight: number;
  };
  readonly alibi: { readonly p_val: number; readonly distance: number; readonly is_drift: number };
}

interface Recipe {
  readonly n: number;
  readonly mult: number;
  readonly power: number;
  readonly shift: number;
  readonly grid: number;
}

interface KsCase {
  readonly reference: Recipe;
  readonly current: Recipe;
  readonly alternative: KsAlternative;
  readonly statistic: number;
  readonly pvalue: number;
  readonly fell_back: boolean;
}

interface Fixture {
  readonly cases: readonly ClassifierCase[];
  readonly ks_2samp_one_sided: readonly KsCase[];
}

const fixture: Fixture = JSON.parse(
  readFileSync(new URL("../../fixtures/classifier/classifier.json", import.meta.url), "utf8"),
) as Fixture;

function rows(values: readonly (readonly number[])[]): Rows {
  return { n: values.length, dim: values[0].length, data: Float64Array.from(values.flat()) };
}

function byName(name: string): ClassifierCase {
  const found = fixture.cases.find((c) => c.name === name);
  assert.ok(found, name);
  return found;
}

function assertClose(
  actual: ArrayLike<number>,
  expected: readonly number[],
  tol: number,
  what: string,
): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const diff = Math.abs(actual[i] - expected[i]);
    assert.ok(diff <= tol, `${what}[${i}]: ${actual[i]} vs ${expected[i]} (diff ${diff}, tol ${tol})`);
  }
}

function assertRelClose(actual: number, expected: number, tol: number, what: string): void {
  const diff = Math.abs(actual - expected);
  assert.ok(
    diff <= tol * Math.abs(expected),
    `${what}: ${actual} vs ${expected} (relative ${diff / expected})`,
  );
}

/** Rebuilds a fixture sample, sorted, with the operations the generator used (they round alike). */
function build(r: Recipe): Float64Array {
  const v = new Float64Array(r.n);
  for (let i = 0; i < r.n; i++) {
    let u = ((i * r.mult) % r.n) / r.n;
    if (r.power === 2) u = u * u;
    u = u + r.shift;
    if (r.grid) u = Math.floor(u * r.grid) / r.grid;
    v[i] = u;
  }
  return v.sort();
}

function context(dim: number, seed = 0): RunContext {
  return { alpha: 0.05, seed, names: Array.from({ length: dim }, (_, j) => `x${j}`) };
}

describe("classifier", () => {
  describe("out-of-fold evaluation on scikit-learn's folds", () => {
    for (const c of fixture.cases) {
      describe(c.name, () => {
        const reference = rows(c.reference);
        const current = rows(c.current);
        const result = classifierOutOfFold(
          reference,
          current,
          c.fold_models.map((m) => m.test),
          c.C,
        );

        it("standardises each fold as StandardScaler fitted on its training rows", () => {
          result.models.forEach((model, f) => {
            const expected = c.fold_models[f];
            for (let j = 0; j < reference.dim; j++) {
              assert.ok(
                Math.abs(model.mean[j] - expected.mean[j]) <=
                  SCALER_REL_TOL * (1 + Math.abs(expected.mean[j])),
              );
              assertRelClose(model.scale[j], expected.scale[j], SCALER_REL_TOL, `fold ${f} scale ${j}`);
            }
          });
        });

        it("fits each fold's logistic regression to scikit-learn's optimum", () => {
          result.models.forEach((model, f) => {
            const expected = c.fold_models[f];
            assertClose(model.coef, expected.coef_tight, TIGHT_ABS_TOL, `fold ${f} coef (newton-cholesky)`);
            assertClose([model.intercept], [expected.intercept_tight], TIGHT_ABS_TOL, `fold ${f} intercept`);
            assertClose(model.coef, expected.coef, LBFGS_ABS_TOL, `fold ${f} coef (lbfgs)`);
            assertClose(
              [model.intercept],
              [expected.intercept],
              LBFGS_ABS_TOL,
              `fold ${f} intercept (lbfgs)`,
            );
            assert.ok(model.gradientNorm <= 1e-12, `fold ${f} gradient ${model.gradientNorm}`);
          });
        });

        it("predicts scikit-learn's out-of-fold probabilities", () => {
          assertClose(
            result.probabilities,
            c.probabilities_tight,
            TIGHT_ABS_TOL,
            "probabilities (newton-cholesky)",
          );
          assertClose(result.probabilities, c.probabilities, LBFGS_ABS_TOL, "probabilities (lbfgs)");
        });

        it("gives roc_auc_score's AUC and ks_2samp's one-sided KS, as alibi-detect", () => {
          assert.ok(Math.abs(result.auc - c.auc) <= ORDER_ABS_TOL, `auc ${result.auc} vs ${c.auc}`);
          assert.ok(Math.abs(result.ks.statistic - c.ks_statistic) <= ORDER_ABS_TOL);
          assert.ok(Math.abs(result.ks.statistic - c.alibi.distance) <= ORDER_ABS_TOL);
          assertRelClose(result.ks.pValue ?? Number.NaN, c.ks_pvalue, P_REL_TOL, "KS p-value");
          assertRelClose(result.ks.pValue ?? Number.NaN, c.alibi.p_val, P_REL_TOL, "alibi p_val");
          assert.equal((result.ks.pValue ?? 1) < 0.05, c.alibi.is_drift === 1);
        });

        it("fits the model on all rows to scikit-learn's optimum", () => {
          const full = classifierFullModel(reference, current, c.C);
          assertClose(full.mean, c.full.mean, SCALER_REL_TOL * 10, "mean");
          assertClose(full.coef, c.full.coef_tight, TIGHT_ABS_TOL, "coef (newton-cholesky)");
          assertClose([full.intercept], [c.full.intercept_tight], TIGHT_ABS_TOL, "intercept");
          assertClose(full.coef, c.full.coef, LBFGS_ABS_TOL, "coef (lbfgs)");
        });
      });
    }

    it("rejects folds that do not partition the rows", () => {
      const c = byName("mean_shift");
      const folds = c.fold_models.map((m) => m.test);
      assert.throws(() => classifierOutOfFold(rows(c.reference), rows(c.current), folds.slice(1), c.C), {
        name: "RangeError",
        message: /partition/,
      });
      const twice = [[...folds[0], folds[1][0]], ...folds.slice(1)];
      assert.throws(() => classifierOutOfFold(rows(c.reference), rows(c.current), twice, c.C), RangeError);
    });
  });

  describe("ks2sampOneSided", () => {
    it("matches scipy.stats.ks_2samp with a one-sided alternative on every branch", () => {
      assert.ok(
        fixture.ks_2samp_one_sided.some((k) => k.fell_back),
        "covers the overflow fallback",
      );
      for (const k of fixture.ks_2samp_one_sided) {
        const what = `${k.reference.n} vs ${k.current.n} (shift ${k.current.shift}, ${k.alternative})`;
        const r = ks2sampOneSided(build(k.reference), build(k.current), k.alternative);
        assert.ok(
          Math.abs(r.statistic - k.statistic) <= 1e-15,
          `${what}: D ${r.statistic} vs ${k.statistic}`,
        );
        assertRelClose(r.pValue ?? Number.NaN, k.pvalue, P_REL_TOL, what);
        const exact = !k.fell_back && Math.max(k.reference.n, k.current.n) <= 10000;
        assert.equal(r.details?.method, exact ? "exact" : "asymp", what);
      }
    });

    it("gives scipy's documented small example", () => {
      const r = ks2sampOneSided(Float64Array.of(1, 2, 3), Float64Array.of(4, 5, 6), "greater");
      assert.equal(r.statistic, 1);
      assert.ok(Math.abs((r.pValue ?? 0) - 0.05) <= 1e-16);
      assert.equal(ks2sampOneSided(Float64Array.of(1, 2, 3), Float64Array.of(4, 5, 6), "less").pValue, 1);
    });

    it("throws on an empty sample", () => {
      assert.throws(() => ks2sampOneSided(new Float64Array(0), Float64Array.of(1), "greater"), RangeError);
    });
  });

  describe("the held-out split (the default)", () => {
    it("keeps its false-alarm rate at alpha on samples of one distribution", () => {
      // 400 windows of 60 + 60 rows of 4 correlated Gaussian features, one seed each.
      const random = seededRandom(99);
      const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
      const sample = (n: number) => {
        const data = new Float64Array(n * 4);
        for (let i = 0; i < n; i++) {
          const common = gauss();
          for (let j = 0; j < 4; j++) data[i * 4 + j] = 0.5 * common + gauss();
        }
        return { n, dim: 4, data };
      };
      const options = classifierTest.options({});
      let alarms = 0;
      const runs = 400;
      for (let k = 0; k < runs; k++) {
        const reference = sample(60);
        const result = classifierTest.run({}, reference, sample(60), options, context(k));
        if (result.drift) alarms++;
      }
      // Binomial(400, 0.05): mean 20, sd 4.4. Over 2000 such windows the held-out split flags 4.4 %
      // and 5 folds out of fold 7.1 %.
      assert.ok(alarms <= 33, `${alarms} of ${runs} windows flagged at alpha 0.05`);
    });

    it("trains on train_size of each side and tests the rest", () => {
      const split = heldOutSplit(8, 12, 0.75, 3);
      const count = (from: number, to: number, part: number) =>
        Array.from(split.subarray(from, to)).filter((v) => v === part).length;
      assert.deepEqual([count(0, 8, 0), count(0, 8, 1), count(8, 20, 0), count(8, 20, 1)], [6, 2, 9, 3]);
      assert.deepEqual(heldOutSplit(8, 12, 0.75, 3), split);
      assert.throws(() => heldOutSplit(1, 12, 0.75, 3), /at least 2 rows on each side/);
    });
  });

  describe("the registered test", () => {
    const shifted = byName("mean_shift");
    const same = byName("no_shift");

    it("detects a mean shift and names the shifted feature first", () => {
      const options = classifierTest.options({ folds: 5 });
      const reference = rows(shifted.reference);
      const result = classifierTest.run(
        classifierTest.fit(reference, options, context(4)),
        reference,
        rows(shifted.current),
        options,
        context(4),
      );
      assert.equal(result.drift, true);
      assert.ok((result.pValue ?? 1) < 0.01, `p ${result.pValue}`);
      assert.ok(result.statistic > 0.6, `auc ${result.statistic}`);
      assert.equal(result.threshold, 0.05);
      const importance = result.details.importance as { name: string; weight: number }[];
      assert.equal(importance.length, 4);
      assert.equal(importance[0].name, "x2");
      assert.ok(importance[0].weight > 0, "larger x2 looks current");
      for (let i = 1; i < importance.length; i++) {
        assert.ok(Math.abs(importance[i - 1].weight) >= Math.abs(importance[i].weight));
      }
      assert.deepEqual(
        importance.map((f) => f.weight),
        [2, 0, 1, 3].map((j) => classifierFullModel(reference, rows(shifted.current), 1).coef[j]),
      );
      assert.equal(result.details.folds, 5);
      assert.equal(result.details.C, 1);
      assert.equal(result.details.auc, result.statistic);
    });

    it("does not flag two samples from one distribution", () => {
      const options = classifierTest.options({});
      for (const seed of [0, 1, 2]) {
        const result = classifierTest.run(
          {},
          rows(same.reference),
          rows(same.current),
          options,
          context(4, seed),
        );
        assert.equal(result.drift, false, `seed ${seed}: p ${result.pValue}`);
      }
    });

    it("ranks a shifted feature first among features of very different scales", () => {
      const c = byName("unequal_scaled");
      const options = classifierTest.options({ folds: 4, C: 0.5 });
      const result = classifierTest.run({}, rows(c.reference), rows(c.current), options, context(5));
      const importance = result.details.importance as { name: string }[];
      assert.equal(importance[0].name, "x4");
    });

    it("returns the same result for the same rows and seed", () => {
      const options = classifierTest.options({ folds: 3 });
      const run = (seed: number) =>
        classifierTest.run({}, rows(shifted.reference), rows(shifted.current), options, context(4, seed));
      assert.deepEqual(run(7), run(7));
      assert.deepEqual(JSON.parse(JSON.stringify(run(7))), run(7), "details are plain JSON");
    });

    it("keeps the weights finite on perfectly separable samples", () => {
      const c = byName("separable");
      for (const C of [1, 100]) {
        const result = classifierTest.run(
          {},
          rows(c.reference),
          rows(c.current),
          classifierTest.options({ C }),
          context(2),
        );
        assert.equal(result.statistic, 1);
        assert.equal(result.drift, true);
        const importance = result.details.importance as { name: string; weight: number }[];
        assert.equal(importance[0].name, "x0");
        for (const f of importance) assert.ok(Number.isFinite(f.weight), `C=${C}: ${f.weight}`);
      }
    });

    it("gives a constant column zero weight", () => {
      const c = byName("constant_column");
      const full = classifierFullModel(rows(c.reference), rows(c.current), c.C);
      assert.equal(full.scale[1], 1);
      assert.equal(full.coef[1], 0);
    });

    it("refuses fewer rows on a side than folds, or rows of different dimensions", () => {
      const options = classifierTest.options({ folds: 5 });
      const reference = rows(shifted.reference);
      const four = rows(shifted.current.slice(0, 4));
      assert.throws(() => classifierTest.run({}, reference, four, options, context(4)), {
        name: "RangeError",
        message: /5 folds, got 80 reference and 4 current rows/,
      });
      const narrow = rows(shifted.current.map((r) => r.slice(0, 3)));
      assert.throws(() => classifierTest.run({}, reference, narrow, options, context(4)), RangeError);
    });
  });

  describe("stratifiedFolds", () => {
    it("deals each side's rows evenly across the folds, as StratifiedKFold sizes them", () => {
      const folds = stratifiedFolds(23, 17, 5, 3);
      const counts = Array.from({ length: 5 }, () => [0, 0]);
      folds.forEach((f, i) => {
        counts[f][i < 23 ? 0 : 1]++;
      });
      // Sorted labels dealt round-robin: 23 zeros give 5,5,5,4,4; the ones start at fold 3.
      assert.deepEqual(
        counts.map((c) => c[0]),
        [5, 5, 5, 4, 4],
      );
      assert.deepEqual(
        counts.map((c) => c[1]),
        [3, 3, 3, 4, 4],
      );
    });

    it("depends on the seed only", () => {
      assert.deepEqual(stratifiedFolds(30, 30, 5, 1), stratifiedFolds(30, 30, 5, 1));
      assert.notDeepEqual(stratifiedFolds(30, 30, 5, 1), stratifiedFolds(30, 30, 5, 2));
    });

    it("throws when a side has fewer rows than folds", () => {
      assert.throws(() => stratifiedFolds(4, 10, 5, 0), { name: "RangeError", message: /5 folds/ });
    });
  });

  describe("options", () => {
    const validate = new Ajv({ allErrors: true, strict: true }).compile(classifierTest.optionsSchema);

    it("fills in the defaults", () => {
      assert.deepEqual(classifierTest.options({}), { folds: null, train_size: 0.75, C: 1 });
      assert.deepEqual(classifierTest.options({ C: 0.1, folds: 5 }), { folds: 5, train_size: 0.75, C: 0.1 });
      assert.throws(
        () => classifierTest.options({ folds: 5, train_size: 0.5 }),
        /folds or train_size, not both/,
      );
    });

    it("has a schema that accepts valid options and rejects unknown keys and bad values", () => {
      assert.equal(validate({}), true);
      assert.equal(validate({ folds: 10, C: 0.5 }), true);
      assert.equal(validate({ fold: 10 }), false);
      assert.equal(validate({ folds: 1 }), false);
      assert.equal(validate({ folds: 21 }), false);
      assert.equal(validate({ folds: 2.5 }), false);
      assert.equal(validate({ C: 0 }), false);
    });

    it("describes every property", () => {
      const properties = classifierTest.optionsSchema.properties as Record<string, { description?: string }>;
      for (const [key, p] of Object.entries(properties)) assert.ok(p.description, key);
      assert.equal(classifierTest.optionsSchema.additionalProperties, false);
    });

    it("throws on unknown keys and bad values", () => {
      assert.throws(() => classifierTest.options({ fold: 3 }), {
        name: "RangeError",
        message: /no option "fold"/,
      });
      assert.throws(() => classifierTest.options({ folds: 1 }), RangeError);
      assert.throws(() => classifierTest.options({ C: -1 }), RangeError);
    });
  });
});
