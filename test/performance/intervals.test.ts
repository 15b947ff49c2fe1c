import assert from "node:assert/strict";
import fc from "fast-check";
import {
  criticalValue,
  normalInterval,
  normalQuantile,
  wilsonInterval,
} from "../../src/performance/intervals.js";
import { assertClose } from "../support/stats.js";
import { fixture } from "./fixture.js";

describe("normalQuantile", () => {
  it("matches scipy.stats.norm.ppf to 1e-15 relative from 1e-300 to 1 − 1e-10", () => {
    // Different algorithms (AS 241 here, Cephes ndtri in scipy), both accurate to ~1e-16.
    for (const [p, z] of fixture.normal_quantiles) assertClose(normalQuantile(p), z, 1e-15, 0, `ppf(${p})`);
  });

  it("is infinite at 0 and 1 and rejects anything outside [0, 1]", () => {
    assert.equal(normalQuantile(0), Number.NEGATIVE_INFINITY);
    assert.equal(normalQuantile(1), Number.POSITIVE_INFINITY);
    assert.throws(() => normalQuantile(1.5), /probability must be in \[0, 1\] \(got 1.5\)/);
    assert.throws(() => normalQuantile(Number.NaN), /probability must be in \[0, 1\]/);
  });

  it("is exactly antisymmetric where 1 − p is exact, and increasing", () => {
    fc.assert(
      fc.property(fc.double({ min: 0.5, max: 0.75, noNaN: true }), (p) => {
        assert.equal(normalQuantile(1 - p), -normalQuantile(p) + 0);
      }),
    );
    fc.assert(
      fc.property(
        fc.double({ min: 1e-300, max: 1, noNaN: true }),
        fc.double({ min: 1e-300, max: 1, noNaN: true }),
        (p, q) => {
          if (p < q) assert.ok(normalQuantile(p) <= normalQuantile(q), `${p} < ${q}`);
        },
      ),
    );
  });
});

describe("criticalValue", () => {
  it("is 1.959963984540054 at 95 % and rejects levels outside (0, 1)", () => {
    assertClose(criticalValue(0.95), 1.959963984540054, 1e-15, 0, "z(0.95)");
    assert.throws(() => criticalValue(1), /confidence level must be in \(0, 1\) \(got 1\)/);
  });
});

describe("wilsonInterval", () => {
  it("matches statsmodels proportion_confint(method='wilson') at 90, 95 and 99 %", () => {
    // Same formula and arithmetic; 1e-15 absolute covers bounds that statsmodels rounds to ±1e-17
    // around 0 before clipping.
    for (const w of fixture.wilson) {
      const ci = wilsonInterval(w.count, w.nobs, w.level);
      assert.ok(ci !== null);
      assertClose(ci.low, w.low, 1e-12, 1e-15, `${w.count}/${w.nobs} at ${w.level} low`);
      assertClose(ci.high, w.high, 1e-12, 1e-15, `${w.count}/${w.nobs} at ${w.level} high`);
      assert.equal(ci.method, "wilson");
    }
  });

  it("has no interval without observations", () => {
    assert.equal(wilsonInterval(0, 0), null);
  });

  it("contains the proportion and stays in [0, 1]", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (n, f) => {
          const k = Math.floor(f * n);
          const ci = wilsonInterval(k, n) as NonNullable<ReturnType<typeof wilsonInterval>>;
          assert.ok(ci.low >= 0 && ci.high <= 1 && ci.low <= k / n + 1e-15 && k / n <= ci.high + 1e-15);
        },
      ),
    );
  });
});

describe("normalInterval", () => {
  it("clips to the metric's range and is null without a standard error", () => {
    assert.deepEqual(normalInterval(0.1, 1, "normal", 0.95, 0), {
      low: 0,
      high: 0.1 + criticalValue(0.95),
      level: 0.95,
      method: "normal",
    });
    assert.equal(normalInterval(0.5, Number.NaN, "delta"), null);
    assert.deepEqual(normalInterval(1, 0, "delta", 0.95, 0, 1), {
      low: 1,
      high: 1,
      level: 0.95,
      method: "delta",
    });
  });
});
