import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Ajv } from "ajv";
import { ksTest } from "../../../src/stats/ks.js";
import { ksReducedTest } from "../../../src/stats/multivariate/ks-reduced.js";
import type { Rows, RunContext } from "../../../src/stats/multivariate/types.js";
import { sortFloat64 } from "../../../src/stats/sort.js";

/**
 * Reference values come from test/fixtures/reduction/reduction.py: scikit-learn 1.9.1's PCA
 * (after StandardScaler when standardised) fitted on the reference, then scipy 1.17.1's
 * `ks_2samp` on each kept component of the projected reference and window. KS D does not depend
 * on a component's sign (flipping it mirrors both samples), so no sign convention enters. D must
 * agree to 1e-12 absolute, which means the same order of the pooled projections (a different
 * order moves D by at least 1/lcm(400, 200)); p-values to 1e-9 relative (the same D gives
 * scipy's p-value to ~1e-15, see test/stats/ks.test.ts).
 */
const D_ABS_TOL = 1e-12;
const P_REL_TOL = 1e-9;

interface KsCase {
  readonly window: "same" | "correlation" | "shift";
  readonly standardize: boolean;
  readonly variance: number | null;
  readonly components: number | null;
  readonly k: number;
  readonly variance_share: number;
  readonly per_component: readonly { readonly statistic: number; readonly p_value: number }[];
  readonly drift: boolean;
}

interface Fixture {
  readonly alpha: number;
  readonly reference: number[][];
  readonly windows: Record<KsCase["window"], number[][]>;
  readonly ks_raw_columns: Record<KsCase["window"], { statistic: number; p_value: number }[]>;
  readonly ks: readonly KsCase[];
}

const fixture = JSON.parse(
  readFileSync(new URL("../../fixtures/reduction/reduction.json", import.meta.url), "utf8"),
) as Fixture;

function toRows(values: readonly (readonly number[])[]): Rows {
  return { n: values.length, dim: values[0].length, data: Float64Array.from(values.flat()) };
}

function column(rows: Rows, j: number): Float64Array {
  const out = new Float64Array(rows.n);
  for (let i = 0; i < rows.n; i++) out[i] = rows.data[i * rows.dim + j];
  return sortFloat64(out);
}

const reference = toRows(fixture.reference.slice(0, 400));
const context: RunContext = { alpha: fixture.alpha, seed: 42, names: ["x0", "x1", "x2", "x3", "x4", "x5"] };

interface PerComponent {
  readonly name: string;
  readonly statistic: number;
  readonly p_value: number;
}

function runCase(partial: Record<string, unknown>, window: Rows) {
  const options = ksReducedTest.options(partial);
  const fitted = ksReducedTest.fit(reference, options, context);
  return ksReducedTest.run(fitted, reference, window, options, context);
}

describe("ksReducedTest", () => {
  describe("against scikit-learn's PCA and scipy's ks_2samp", () => {
    for (const c of fixture.ks) {
      const setting = c.components === null ? `variance ${c.variance}` : `${c.components} components`;
      it(`matches on the ${c.window} window (standardize ${c.standardize}, ${setting})`, () => {
        const partial = {
          standardize: c.standardize,
          ...(c.components === null ? { variance: c.variance } : { components: c.components }),
        };
        const result = runCase(partial, toRows(fixture.windows[c.window]));
        const per = result.details.per_component as PerComponent[];
        assert.equal(per.length, c.k);
        assert.equal(result.details.components, c.k);
        assert.ok(Math.abs((result.details.variance_share as number) - c.variance_share) < 1e-12);
        c.per_component.forEach((expected, i) => {
          assert.equal(per[i].name, `pc${i + 1}`);
          assert.ok(Math.abs(per[i].statistic - expected.statistic) <= D_ABS_TOL, `D of pc${i + 1}`);
          const error = Math.abs(per[i].p_value - expected.p_value);
          assert.ok(error <= P_REL_TOL * expected.p_value || error <= 1e-300, `p of pc${i + 1}`);
        });
        assert.equal(result.drift, c.drift);
        const minP = Math.min(...c.per_component.map((r) => r.p_value));
        assert.equal(result.pValue, Math.min(1, minP * c.k));
        assert.equal(result.statistic, Math.max(...c.per_component.map((r) => r.statistic)));
        assert.equal(result.threshold, fixture.alpha);
        assert.equal(result.details.alpha_per_component, fixture.alpha / c.k);
      });
    }
  });

  it("finds the correlation change that no per-column KS test finds", () => {
    const window = toRows(fixture.windows.correlation);
    for (let j = 0; j < reference.dim; j++) {
      const r = ksTest.run(
        { kind: "numeric", sorted: column(reference, j) },
        { kind: "numeric", sorted: column(window, j) },
      );
      const expected = fixture.ks_raw_columns.correlation[j];
      assert.equal(r.statistic, expected.statistic);
      assert.ok(Math.abs((r.pValue as number) - expected.p_value) <= P_REL_TOL * expected.p_value);
      assert.ok((r.pValue as number) > fixture.alpha, `column ${j} alone drifts`);
    }
    const result = runCase({}, window);
    assert.equal(result.drift, true);
    assert.equal(result.details.max_component, "pc1");
    assert.ok((result.pValue as number) < 1e-5);
  });

  it("does not drift on a window from the reference distribution with its defaults", () => {
    assert.equal(runCase({}, toRows(fixture.windows.same)).drift, false);
  });

  describe("with a random projection", () => {
    it("projects to min(dim, 32) dimensions by default and names them rp1…", () => {
      const result = runCase({ reduction: "random" }, toRows(fixture.windows.same));
      const per = result.details.per_component as PerComponent[];
      assert.equal(per.length, 6);
      assert.deepEqual(
        per.map((p) => p.name),
        ["rp1", "rp2", "rp3", "rp4", "rp5", "rp6"],
      );
      assert.equal(result.details.variance_share, null);
    });

    it("gives the same result for the same seed", () => {
      const window = toRows(fixture.windows.shift);
      assert.deepEqual(runCase({ reduction: "random" }, window), runCase({ reduction: "random" }, window));
    });

    it("finds a shift and not a window from the reference distribution", () => {
      assert.equal(runCase({ reduction: "random" }, toRows(fixture.windows.shift)).drift, true);
      assert.equal(runCase({ reduction: "random" }, toRows(fixture.windows.same)).drift, false);
    });
  });

  it("reads back a fitted state from JSON unchanged", () => {
    const options = ksReducedTest.options({ reduction: "random", components: 4 });
    const fitted = ksReducedTest.fit(reference, options, context);
    const window = toRows(fixture.windows.correlation);
    assert.deepEqual(
      ksReducedTest.run(JSON.parse(JSON.stringify(fitted)), reference, window, options, context),
      ksReducedTest.run(fitted, reference, window, options, context),
    );
  });

  it("throws a RangeError for fewer than 2 rows on a side", () => {
    const options = ksReducedTest.options({});
    const one = { n: 1, dim: 6, data: reference.data.slice(0, 6) };
    assert.throws(() => ksReducedTest.fit(one, options, context), {
      name: "RangeError",
      message: /2 reference rows/,
    });
    const fitted = ksReducedTest.fit(reference, options, context);
    assert.throws(() => ksReducedTest.run(fitted, reference, one, options, context), {
      name: "RangeError",
      message: /2 current rows/,
    });
  });

  describe("options", () => {
    const validate = new Ajv({ allErrors: true, strict: true }).compile(ksReducedTest.optionsSchema);

    it("fills in the defaults", () => {
      assert.deepEqual(ksReducedTest.options({}), {
        reduction: "pca",
        components: null,
        variance: 0.9,
        standardize: true,
      });
    });

    it("has a schema that accepts valid options and rejects unknown keys and bad values", () => {
      assert.equal(validate({ reduction: "random", components: 8, variance: 0.5, standardize: false }), true);
      assert.equal(validate({ components: 8, varience: 0.5 }), false);
      assert.equal(validate({ variance: 1 }), false);
      assert.equal(validate({ components: 0 }), false);
      assert.equal(validate({ reduction: "umap" }), false);
    });

    it("describes every property", () => {
      const properties = ksReducedTest.optionsSchema.properties as Record<string, { description?: string }>;
      for (const [key, p] of Object.entries(properties)) assert.ok(p.description, key);
      assert.equal(ksReducedTest.optionsSchema.additionalProperties, false);
    });

    it("throws on unknown keys and bad values", () => {
      assert.throws(() => ksReducedTest.options({ varience: 0.5 }), {
        name: "RangeError",
        message: /unknown option/,
      });
      assert.throws(() => ksReducedTest.options({ components: 1.5 }), RangeError);
    });
  });
});
