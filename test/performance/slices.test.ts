import assert from "node:assert/strict";
import { Ajv } from "ajv";
import fc from "fast-check";
import { compileSlices, sliceMatches, sliceSchema } from "../../src/performance/slices.js";
import type { Slice } from "../../src/performance/types.js";

describe("sliceMatches", () => {
  it("matches listed values by text, as categorical features are counted", () => {
    const slice: Slice = { feature: "region", in: ["eu", 1, true] };
    for (const v of ["eu", 1, "1", true, "true"]) assert.ok(sliceMatches(slice, v), String(v));
    for (const v of ["us", 2, false, null, undefined, Number.NaN, ["eu"], { eu: 1 }])
      assert.ok(!sliceMatches(slice, v));
  });

  it("matches numeric ranges on every given bound, and only finite numbers", () => {
    const adults: Slice = { feature: "age", gte: 18, lt: 65 };
    assert.ok(sliceMatches(adults, 18));
    assert.ok(sliceMatches(adults, 64.9));
    assert.ok(!sliceMatches(adults, 65));
    assert.ok(!sliceMatches(adults, 17.99));
    assert.ok(!sliceMatches(adults, "30"));
    assert.ok(!sliceMatches(adults, Number.POSITIVE_INFINITY));
    const open: Slice = { feature: "score", gt: 0.5, lte: 1 };
    assert.ok(!sliceMatches(open, 0.5));
    assert.ok(sliceMatches(open, 1));
  });

  it("agrees with the bounds it was given for any number", () => {
    const bound = fc.option(fc.double({ noNaN: true }), { nil: undefined });
    fc.assert(
      fc.property(bound, bound, bound, bound, fc.double({ noNaN: true }), (gte, gt, lte, lt, x) => {
        const slice = { feature: "x", gte, gt, lte, lt };
        const expected =
          Number.isFinite(x) &&
          (gte === undefined || x >= gte) &&
          (gt === undefined || x > gt) &&
          (lte === undefined || x <= lte) &&
          (lt === undefined || x < lt);
        assert.equal(sliceMatches(slice, x), expected);
      }),
    );
  });
});

describe("compileSlices", () => {
  it("names the slices an observation belongs to, in declaration order", () => {
    const slices: Record<string, Slice> = {
      eu: { feature: "region", in: ["eu"] },
      adults: { feature: "age", gte: 18 },
      minors: { feature: "age", lt: 18 },
    };
    const event: Record<string, unknown> = { region: "eu", age: 40 };
    assert.deepEqual(compileSlices(slices)(event), ["eu", "adults"]);
    assert.deepEqual(compileSlices(slices)({}), []);
  });

  it("gives one shared empty list for observations in no slice, also with no slices declared", () => {
    const match = compileSlices({ eu: { feature: "region", in: ["eu"] } });
    assert.equal(match({ region: "us" }), match({}));
    assert.equal(compileSlices({})({ region: "eu" }), match({}));
    assert.ok(Object.isFrozen(match({})));
  });
});

describe("sliceSchema", () => {
  it("accepts the two shapes and nothing else", () => {
    // The config loader's options.
    const validate = new Ajv({ allErrors: true, discriminator: true, strict: false }).compile(sliceSchema);
    assert.ok(validate({ feature: "region", in: ["eu", 1, true] }));
    assert.ok(validate({ feature: "age", gte: 18, lt: 65 }));
    assert.ok(!validate({ feature: "age" }), "a range needs a bound");
    assert.ok(!validate({ feature: "region", in: [] }), "in needs a value");
    assert.ok(!validate({ feature: "region", in: ["eu"], gte: 1 }), "in and bounds do not mix");
    assert.ok(!validate({ feature: "age", gte: "18" }), "bounds are numbers");
    assert.ok(!validate({ feature: "age", gte: 1, lt: 2, regoin: "eu" }), "unknown keys are rejected");
  });
});
