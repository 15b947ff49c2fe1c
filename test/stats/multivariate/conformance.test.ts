/**
 * Every registered multivariate test keeps the registry's contract: one suite walks
 * `multivariateTests`, so a new test is checked the moment it is registered. Its options schema is
 * strict and describes every key, its defaults pass that schema, what it fits is plain JSON, the
 * same seed gives the same result, its verdict follows its own decision rule, and it finds a plain
 * mean shift and passes a sample of the same distribution.
 */
import assert from "node:assert/strict";
import { Ajv } from "ajv";
import { multivariateTests } from "../../../src/stats/multivariate/registry.js";
import type { MultivariateTest, Rows, RunContext } from "../../../src/stats/multivariate/types.js";
import { seededRandom } from "../../../src/stats/prng.js";

function rows(n: number, dim: number, shift: number, seed: number): Rows {
  const random = seededRandom(seed);
  const data = new Float64Array(n * dim);
  for (let i = 0; i < n; i++) {
    const common = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    for (let j = 0; j < dim; j++) {
      const own = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
      data[i * dim + j] = 0.6 * common + 0.8 * own + (j === 0 ? shift : 0);
    }
  }
  return { n, dim, data };
}

const context: RunContext = { alpha: 0.05, seed: 5, names: ["a", "b", "c", "d", "e"] };

for (const [key, entry] of Object.entries(multivariateTests)) {
  const test = entry as unknown as MultivariateTest<unknown, unknown>;
  describe(`multivariate test ${key}`, () => {
    const reference = rows(300, 5, 0, 1);
    const same = rows(200, 5, 0, 4);
    const shifted = rows(200, 5, 2, 3);
    const options = test.options({});

    it("is registered under its own name, with a description and a strict, described options schema", () => {
      assert.equal(test.name, key);
      assert.ok(test.description.length > 10);
      assert.equal(test.optionsSchema.type, "object");
      assert.equal(test.optionsSchema.additionalProperties, false);
      for (const [name, property] of Object.entries(
        test.optionsSchema.properties as Record<string, { description?: string }>,
      ))
        assert.ok((property.description ?? "").length > 10, `${key}: option ${name} has no description`);
      const validate = new Ajv({ strict: false }).compile(test.optionsSchema);
      // A default of "none" (a count chosen from the data) is null in the filled-in options.
      const given = Object.fromEntries(
        Object.entries(options as Record<string, unknown>).filter(([, v]) => v !== null && v !== undefined),
      );
      assert.ok(validate(given), JSON.stringify(validate.errors));
      assert.equal(validate({ no_such_option: 1 }), false);
    });

    it("fits plain JSON and gives the same result for the same seed", () => {
      const fitted = test.fit(reference, options, context);
      const revived = JSON.parse(JSON.stringify(fitted));
      const a = test.run(fitted, reference, shifted, options, context);
      const b = test.run(revived, reference, shifted, options, context);
      assert.deepEqual(JSON.parse(JSON.stringify(a)), JSON.parse(JSON.stringify(b)));
      assert.ok(Number.isFinite(a.statistic) && Number.isFinite(a.threshold));
      JSON.stringify(a.details);
    });

    it("decides by its own rule: finds a mean shift of one column, passes a sample of the same distribution", () => {
      const fitted = test.fit(reference, options, context);
      const drifted = test.run(fitted, reference, shifted, options, context);
      const kept = test.run(fitted, reference, same, options, context);
      for (const result of [drifted, kept]) {
        if (test.decision === "p_value") {
          assert.ok(result.pValue !== null && result.pValue >= 0 && result.pValue <= 1);
          assert.equal(result.drift, (result.pValue as number) < context.alpha);
        } else assert.equal(result.pValue, null);
      }
      assert.equal(drifted.drift, true, `${key} missed the shift: ${JSON.stringify(drifted)}`);
      assert.equal(kept.drift, false, `${key} flagged the same distribution: ${JSON.stringify(kept)}`);
    });
  });
}
