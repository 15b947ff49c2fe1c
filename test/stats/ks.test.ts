import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { upperBound } from "../../src/stats/bins.js";
import { kstwoCdf, kstwoSf, smirnov } from "../../src/stats/kolmogorov.js";
import { ks2samp, ksTest } from "../../src/stats/ks.js";

/**
 * Reference values come from test/fixtures/scipy/ks.py (scipy 1.17.1). Tolerances: the statistic
 * must agree to 1e-15 absolute; probabilities to 1e-6 relative, or 1e-300 absolute for values
 * below that (subnormal tails, which scipy itself cannot resolve relatively).
 */
const STATISTIC_ABS_TOL = 1e-15;
const P_REL_TOL = 1e-6;
const P_ABS_TOL = 1e-300;

interface Recipe {
  readonly n: number;
  readonly terms: readonly (readonly [number, number, number])[];
  readonly scale: number;
  readonly loc: number;
  readonly square: boolean;
  readonly integer: boolean;
}

type SampleSpec = { readonly values: readonly number[] } | { readonly recipe: Recipe };

interface KsCase {
  readonly name: string;
  readonly reference: SampleSpec;
  readonly current: SampleSpec;
  readonly n1: number;
  readonly n2: number;
  readonly statistic: number;
  readonly pvalue: number;
  readonly method: "exact" | "asymp";
  readonly n_effective?: number;
  readonly checks: { readonly first: number; readonly middle: number; readonly last: number };
}

interface Fixture {
  readonly scipy: string;
  readonly ks_2samp: readonly KsCase[];
  readonly ks_2samp_sweep: readonly KsCase[];
  readonly kstwo: { readonly rows: readonly (readonly [number, number, number, number])[] };
  readonly smirnov: { readonly rows: readonly (readonly [number, number, number])[] };
}

const fixture: Fixture = JSON.parse(
  readFileSync(new URL("../fixtures/scipy/ks.json", import.meta.url), "utf8"),
) as Fixture;

/** Rebuilds a fixture sample, sorted; recipes use only operations that round as numpy's do. */
function build(spec: SampleSpec): Float64Array {
  if ("values" in spec) return Float64Array.from(spec.values).sort();
  const r = spec.recipe;
  const x = new Float64Array(r.n);
  for (let i = 0; i < r.n; i++) {
    let s = 0;
    for (const [a, b, m] of r.terms) {
      const k = (a * i + b) % m;
      s += r.integer ? k : k / m;
    }
    if (r.square) s = s * s;
    x[i] = s * r.scale + r.loc;
  }
  return x.sort();
}

function assertProbability(actual: number, expected: number, what: string): void {
  const tolerance = Math.max(P_REL_TOL * Math.abs(expected), P_ABS_TOL);
  assert.ok(
    actual === expected || Math.abs(actual - expected) <= tolerance,
    `${what}: got ${actual}, scipy gives ${expected}`,
  );
}

const sortedSample = (min: number, max: number) =>
  fc
    .array(fc.double({ noNaN: true }), { minLength: min, maxLength: max })
    .map((values) => Float64Array.from(values).sort());

const tiedSample = (min: number, max: number) =>
  fc
    .array(fc.integer({ min: -3, max: 3 }), { minLength: min, maxLength: max })
    .map((values) => Float64Array.from(values).sort());

function assertMatchesScipy(c: KsCase): void {
  const reference = build(c.reference);
  const current = build(c.current);
  assert.equal(reference.length, c.n1);
  assert.equal(current.length, c.n2);
  assert.deepEqual(
    { first: reference[0], middle: reference[c.n1 >> 1], last: reference[c.n1 - 1] },
    c.checks,
    `${c.name}: the reference sample was not rebuilt as numpy built it`,
  );

  const result = ks2samp(reference, current);
  assert.ok(
    Math.abs(result.statistic - c.statistic) <= STATISTIC_ABS_TOL,
    `${c.name}: statistic ${result.statistic}, scipy gives ${c.statistic}`,
  );
  assert.ok(result.pValue !== null);
  assertProbability(result.pValue, c.pvalue, `${c.name}: p-value`);
  assert.equal(result.details?.method, c.method, `${c.name}: method`);
  assert.equal(result.details?.n_effective, c.n_effective, `${c.name}: effective n`);
}

describe("ks2samp", () => {
  for (const c of fixture.ks_2samp) {
    it(`matches scipy for ${c.name}`, () => assertMatchesScipy(c));
  }

  it("matches scipy on a sweep of small sizes, with and without ties", () => {
    for (const c of fixture.ks_2samp_sweep) assertMatchesScipy(c);
  });

  it("reports a p-value of exactly 1 for identical samples", () => {
    const x = Float64Array.of(-1, 0, 0, 2.5, 7);
    assert.deepEqual(ks2samp(x, x), { statistic: 0, pValue: 1, details: { method: "exact" } });
  });

  it("throws a RangeError when a sample is empty", () => {
    assert.throws(() => ks2samp(new Float64Array(0), Float64Array.of(1)), RangeError);
    assert.throws(() => ks2samp(Float64Array.of(1), new Float64Array(0)), RangeError);
  });

  it("gives a statistic and a p-value in [0, 1], never NaN", () => {
    fc.assert(
      fc.property(sortedSample(1, 80), sortedSample(1, 80), (a, b) => {
        const { statistic, pValue } = ks2samp(a, b);
        assert.ok(statistic >= 0 && statistic <= 1, `statistic ${statistic}`);
        assert.ok(pValue !== null && pValue >= 0 && pValue <= 1, `p-value ${pValue}`);
      }),
    );
  });

  it("gives the statistic scipy defines: the largest ECDF gap over the pooled values", () => {
    // The definition, evaluated naively: searchsorted(side='right') at every pooled value.
    const naive = (a: Float64Array, b: Float64Array): number => {
      let d = 0;
      for (const x of [...a, ...b]) {
        d = Math.max(d, Math.abs(upperBound(a, x) / a.length - upperBound(b, x) / b.length));
      }
      return d;
    };
    fc.assert(
      fc.property(
        fc.oneof(sortedSample(1, 60), tiedSample(1, 200)),
        fc.oneof(sortedSample(1, 60), tiedSample(1, 200)),
        (a, b) => {
          const { statistic } = ks2samp(a, b);
          assert.ok(Math.abs(statistic - naive(a, b)) <= STATISTIC_ABS_TOL, `${statistic} vs ${naive(a, b)}`);
        },
      ),
    );
  });

  it("gives the same statistic and p-value when the samples are swapped", () => {
    fc.assert(
      fc.property(
        fc.oneof(sortedSample(1, 60), tiedSample(1, 200)),
        fc.oneof(sortedSample(1, 60), tiedSample(1, 200)),
        (a, b) => {
          assert.deepEqual(ks2samp(a, b), ks2samp(b, a));
        },
      ),
    );
  });

  it("gives the same result for any order of the input before sorting", () => {
    const withShuffle = fc
      .array(fc.oneof(fc.double({ noNaN: true }), fc.integer({ min: -2, max: 2 })), {
        minLength: 1,
        maxLength: 60,
      })
      .chain((values) =>
        fc.tuple(fc.constant(values), fc.shuffledSubarray(values, { minLength: values.length })),
      );
    fc.assert(
      fc.property(withShuffle, tiedSample(1, 60), ([values, shuffled], other) => {
        const sorted = Float64Array.from(values).sort();
        const resorted = Float64Array.from(shuffled).sort();
        assert.deepEqual(ks2samp(resorted, other), ks2samp(sorted, other));
        assert.deepEqual(ks2samp(other, resorted), ks2samp(other, sorted));
      }),
    );
  });

  it("keeps p-values in [0, 1] on both sides of the exact/asymptotic switch", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 9990, max: 10010 }),
        fc.integer({ min: 1, max: 10010 }),
        fc.double({ min: 0, max: 1.5, noNaN: true }),
        (n1, n2, shift) => {
          const a = Float64Array.from({ length: n1 }, (_, i) => ((7919 * i + 3) % 100003) / 100003).sort();
          const b = Float64Array.from(
            { length: n2 },
            (_, i) => ((104729 * i) % 99991) / 99991 + shift,
          ).sort();
          const { statistic, pValue, details } = ks2samp(a, b);
          assert.ok(statistic >= 0 && statistic <= 1);
          assert.ok(pValue !== null && pValue >= 0 && pValue <= 1, `p-value ${pValue}`);
          assert.equal(details?.method, Math.max(n1, n2) <= 10000 ? "exact" : "asymp");
        },
      ),
      { numRuns: 25 },
    );
  });
});

describe("ksTest", () => {
  it("is registered as a numeric p-value test named ks", () => {
    assert.equal(ksTest.name, "ks");
    assert.deepEqual(ksTest.kinds, ["numeric"]);
    assert.equal(ksTest.decision, "p_value");
  });

  it("runs ks2samp on numeric columns", () => {
    const a = Float64Array.of(1, 2, 3);
    const b = Float64Array.of(4, 5, 6);
    assert.deepEqual(
      ksTest.run({ kind: "numeric", sorted: a }, { kind: "numeric", sorted: b }),
      ks2samp(a, b),
    );
  });

  it("rejects categorical columns", () => {
    const counts = new Map([["a", 1]]);
    assert.throws(
      () => ksTest.run({ kind: "categorical", counts }, { kind: "numeric", sorted: Float64Array.of(1) }),
      TypeError,
    );
  });
});

describe("kstwoSf", () => {
  it("matches scipy.stats.kstwo.sf and .cdf over a grid of n and d crossing every method switch", () => {
    for (const [n, d, sf, cdf] of fixture.kstwo.rows) {
      assertProbability(kstwoSf(d, n), sf, `kstwo.sf(${d}, ${n})`);
      assertProbability(kstwoCdf(d, n), cdf, `kstwo.cdf(${d}, ${n})`);
    }
  });

  it("is 1 up to d = 0.5/n and 0 from d = 1", () => {
    assert.equal(kstwoSf(0.05, 10), 1);
    assert.equal(kstwoSf(0, 10), 1);
    assert.equal(kstwoSf(-1, 10), 1);
    assert.equal(kstwoSf(1, 10), 0);
    assert.equal(kstwoSf(2, 10), 0);
    assert.equal(kstwoCdf(0.05, 10), 0);
    assert.equal(kstwoCdf(1, 10), 1);
  });

  it("is NaN for a sample size that is not a positive integer, or for NaN d", () => {
    assert.ok(Number.isNaN(kstwoSf(0.2, 0)));
    assert.ok(Number.isNaN(kstwoSf(0.2, 2.5)));
    assert.ok(Number.isNaN(kstwoSf(Number.NaN, 10)));
  });

  it("stays in [0, 1] and is never NaN for valid arguments", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3000 }), fc.double({ min: 0, max: 1, noNaN: true }), (n, d) => {
        const sf = kstwoSf(d, n);
        const cdf = kstwoCdf(d, n);
        assert.ok(sf >= 0 && sf <= 1, `sf(${d}, ${n}) = ${sf}`);
        assert.ok(cdf >= 0 && cdf <= 1, `cdf(${d}, ${n}) = ${cdf}`);
      }),
      { numRuns: 200 },
    );
  });
});

describe("smirnov", () => {
  it("matches scipy.special.smirnov over a grid of n and d", () => {
    for (const [n, d, sf] of fixture.smirnov.rows) {
      assertProbability(smirnov(n, d), sf, `smirnov(${n}, ${d})`);
    }
  });

  it("is 1 − d for a single observation", () => {
    assert.equal(smirnov(1, 0.3), 1 - 0.3);
  });

  it("is NaN outside its domain", () => {
    assert.ok(Number.isNaN(smirnov(10, -0.1)));
    assert.ok(Number.isNaN(smirnov(10, 1.1)));
    assert.ok(Number.isNaN(smirnov(0, 0.5)));
    assert.ok(Number.isNaN(smirnov(2.5, 0.5)));
    assert.ok(Number.isNaN(smirnov(10, Number.NaN)));
  });
});
