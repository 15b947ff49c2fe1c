import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Ajv } from "ajv";
import { ksTest } from "../../../src/stats/ks.js";
import { pcaReconstructionTest } from "../../../src/stats/multivariate/pca-reconstruction.js";
import type { Rows, RunContext } from "../../../src/stats/multivariate/types.js";
import { sortFloat64 } from "../../../src/stats/sort.js";

/**
 * Reference values come from test/fixtures/reduction/reduction.py: NannyML 0.13.1's
 * `DataReconstructionDriftCalculator` with its defaults (StandardScaler, PCA(n_components=0.65),
 * StandardDeviationThreshold(3, 3)) on a reference and an analysis set of ten 40-row chunks, for
 * three chunkings. A reconstruction error is a distance to the span of the kept components, which
 * no sign convention changes. Tolerance 1e-9 relative: the errors go through the same scaling and
 * eigenproblem in double precision; the worst seen is 4e-15.
 */
const REL_TOL = 1e-9;
const CHUNK = 40;

interface Chunks {
  readonly sizes: number[];
  readonly reconstruction_error: number[];
  readonly alert: boolean[];
}

interface NannymlCase {
  readonly n_reference: number;
  readonly components: number;
  readonly variance_share: number;
  readonly lower_threshold: number | null;
  readonly upper_threshold: number;
  readonly reference: Chunks;
  readonly analysis: Chunks;
}

interface Fixture {
  readonly reference: number[][];
  readonly windows: Record<"same" | "correlation" | "shift", number[][]>;
  readonly analysis: number[][];
  readonly nannyml: { default: NannymlCase; chunk_size: NannymlCase; chunk_number: NannymlCase };
}

const fixture = JSON.parse(
  readFileSync(new URL("../../fixtures/reduction/reduction.json", import.meta.url), "utf8"),
) as Fixture;

function toRows(values: readonly (readonly number[])[]): Rows {
  return { n: values.length, dim: values[0].length, data: Float64Array.from(values.flat()) };
}

function assertClose(actual: number, expected: number, what: string): void {
  const error = Math.abs(actual - expected);
  assert.ok(error <= REL_TOL * Math.abs(expected), `${what}: ${actual} vs ${expected} (error ${error})`);
}

const context: RunContext = { alpha: 0.05, seed: 1, names: ["x0", "x1", "x2", "x3", "x4", "x5"] };

describe("pcaReconstructionTest", () => {
  const cases = [
    { key: "default", partial: {}, what: "NannyML's default chunker (10 chunks of 40)" },
    {
      key: "chunk_size",
      partial: { chunk_size: CHUNK },
      what: "chunk_size 40 on 405 rows (a last chunk of 5)",
    },
    {
      key: "chunk_number",
      partial: { chunks: 7 },
      what: "7 chunks of 400 rows (57 each and a last one of 1)",
    },
  ] as const;

  for (const { key, partial, what } of cases) {
    describe(`against NannyML with ${what}`, () => {
      const expected = fixture.nannyml[key];
      const reference = toRows(fixture.reference.slice(0, expected.n_reference));
      const options = pcaReconstructionTest.options(partial);
      const fitted = pcaReconstructionTest.fit(reference, options, context);

      it("keeps the same components", () => {
        assert.equal(fitted.pca.components.length, expected.components);
        const share = fitted.pca.explained_variance_ratio.reduce((s, v) => s + v, 0);
        assertClose(share, expected.variance_share, "variance share");
      });

      it("chunks the reference alike and matches each chunk's mean error", () => {
        assert.deepEqual(fitted.reference_chunk_sizes, expected.reference.sizes);
        for (const [i, e] of fitted.reference_chunk_errors.entries()) {
          assertClose(e, expected.reference.reconstruction_error[i], `chunk ${i}`);
        }
      });

      it("matches the thresholds", () => {
        assertClose(fitted.upper, expected.upper_threshold, "upper");
        assert.notEqual(expected.lower_threshold, null);
        assertClose(fitted.lower as number, expected.lower_threshold as number, "lower");
      });

      if (key !== "chunk_number") {
        it("matches each analysis chunk's error and alert", () => {
          for (let i = 0; i < expected.analysis.sizes.length; i++) {
            const window = toRows(fixture.analysis.slice(i * CHUNK, (i + 1) * CHUNK));
            const result = pcaReconstructionTest.run(fitted, reference, window, options, context);
            assertClose(result.statistic, expected.analysis.reconstruction_error[i], `analysis chunk ${i}`);
            assert.equal(result.drift, expected.analysis.alert[i], `alert of analysis chunk ${i}`);
            assert.equal(result.pValue, null);
            assert.equal(result.threshold, fitted.upper);
            assert.equal(result.details.lower, fitted.lower);
            assert.equal(result.details.components, expected.components);
          }
        });
      }
    });
  }

  it("finds the correlation change that no per-column KS test finds", () => {
    const reference = toRows(fixture.reference.slice(0, 400));
    const options = pcaReconstructionTest.options({});
    const fitted = pcaReconstructionTest.fit(reference, options, context);
    const correlation = toRows(fixture.windows.correlation);
    for (let j = 0; j < reference.dim; j++) {
      const column = (rows: Rows) =>
        sortFloat64(Float64Array.from({ length: rows.n }, (_, i) => rows.data[i * rows.dim + j]));
      const r = ksTest.run(
        { kind: "numeric", sorted: column(reference) },
        { kind: "numeric", sorted: column(correlation) },
      );
      assert.ok((r.pValue as number) > 0.05, `column ${j} alone drifts`);
    }
    const result = pcaReconstructionTest.run(fitted, reference, correlation, options, context);
    assert.equal(result.drift, true);
    assert.ok(result.statistic > fitted.upper);
    assert.equal(
      pcaReconstructionTest.run(fitted, reference, toRows(fixture.windows.same), options, context).drift,
      false,
    );
  });

  it("reads back a fitted state from JSON unchanged", () => {
    const reference = toRows(fixture.reference.slice(0, 400));
    const options = pcaReconstructionTest.options({});
    const fitted = pcaReconstructionTest.fit(reference, options, context);
    const window = toRows(fixture.windows.shift);
    assert.deepEqual(
      pcaReconstructionTest.run(JSON.parse(JSON.stringify(fitted)), reference, window, options, context),
      pcaReconstructionTest.run(fitted, reference, window, options, context),
    );
  });

  it("throws a RangeError for too few rows, too few columns or all components kept", () => {
    const reference = toRows(fixture.reference.slice(0, 400));
    const options = pcaReconstructionTest.options({});
    assert.throws(() => pcaReconstructionTest.fit(toRows(fixture.reference.slice(0, 19)), options, context), {
      name: "RangeError",
      message: /19 reference rows are too few for 10 chunks/,
    });
    assert.throws(
      () => pcaReconstructionTest.fit(reference, pcaReconstructionTest.options({ chunk_size: 201 }), context),
      { name: "RangeError", message: /too few for chunks of 201 rows/ },
    );
    assert.throws(
      () => pcaReconstructionTest.fit(reference, pcaReconstructionTest.options({ components: 6 }), context),
      { name: "RangeError", message: /keeps all 6 components/ },
    );
    const oneColumn = { n: 400, dim: 1, data: Float64Array.from({ length: 400 }, (_, i) => i) };
    assert.throws(() => pcaReconstructionTest.fit(oneColumn, options, context), {
      name: "RangeError",
      message: /at least 2 columns/,
    });
    const fitted = pcaReconstructionTest.fit(reference, options, context);
    const one = { n: 1, dim: 6, data: reference.data.slice(0, 6) };
    assert.throws(() => pcaReconstructionTest.run(fitted, reference, one, options, context), {
      name: "RangeError",
      message: /2 current rows/,
    });
  });

  describe("options", () => {
    const validate = new Ajv({ allErrors: true, strict: true }).compile(pcaReconstructionTest.optionsSchema);

    it("fills in NannyML's defaults", () => {
      assert.deepEqual(pcaReconstructionTest.options({}), {
        variance: 0.65,
        components: null,
        chunks: 10,
        chunk_size: null,
      });
    });

    it("has a schema that accepts valid options and rejects unknown keys and bad values", () => {
      assert.equal(validate({ variance: 0.8, chunks: 12 }), true);
      assert.equal(validate({ components: 2, chunk_size: 500 }), true);
      assert.equal(validate({ chunk: 10 }), false);
      assert.equal(validate({ chunks: 1 }), false);
      assert.equal(validate({ variance: 0 }), false);
    });

    it("describes every property", () => {
      const properties = pcaReconstructionTest.optionsSchema.properties as Record<
        string,
        { description?: string }
      >;
      for (const [key, p] of Object.entries(properties)) assert.ok(p.description, key);
      assert.equal(pcaReconstructionTest.optionsSchema.additionalProperties, false);
    });

    it("throws on unknown keys and bad values", () => {
      assert.throws(() => pcaReconstructionTest.options({ chunk: 10 }), {
        name: "RangeError",
        message: /unknown option/,
      });
      assert.throws(() => pcaReconstructionTest.options({ chunks: 1 }), RangeError);
    });
  });
});
