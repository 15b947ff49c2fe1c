import { strict as assert } from "node:assert";
import fc from "fast-check";
import { parseDecimal, parseDecimalBytes } from "../../src/io/columns.js";
import { sortFloat64 } from "../../src/stats/sort.js";

const bytes = (s: string): Buffer => Buffer.from(s, "latin1");

describe("parseDecimalBytes", () => {
  it("gives exactly Number(text) whenever it takes the fast path", () => {
    const decimal = fc
      .tuple(
        fc.constantFrom("", "-", "+"),
        fc.stringMatching(/^\d{0,18}$/),
        fc.option(fc.stringMatching(/^\d{0,24}$/), { nil: undefined }),
      )
      .map(([sign, int, frac]) => `${sign}${int}${frac === undefined ? "" : `.${frac}`}`);
    fc.assert(
      fc.property(decimal, (text) => {
        const value = parseDecimalBytes(bytes(text), 0, text.length);
        if (!Number.isNaN(value))
          assert.ok(Object.is(value, Number(text)), `${text}: ${value} vs ${Number(text)}`);
      }),
      { numRuns: 20000 },
    );
  });

  it("leaves exponents, long mantissas and non-numbers to the general path", () => {
    for (const text of ["1e5", "1234567890123456", "0x10", "", ".", "-", "1.2.3", "12a", " 1", "Infinity"]) {
      assert.ok(Number.isNaN(parseDecimalBytes(bytes(text), 0, text.length)), text);
    }
    assert.equal(parseDecimal("1e5"), 100000);
    assert.ok(Object.is(parseDecimalBytes(bytes("-0"), 0, 2), -0));
    assert.equal(parseDecimalBytes(bytes("x12.5y"), 1, 5), 12.5);
  });
});

describe("sortFloat64", () => {
  it("orders exactly as Float64Array#sort, signed zeros and subnormals included", () => {
    const value = fc.oneof(
      fc.double({ noNaN: true }),
      fc.constantFrom(
        0,
        -0,
        Number.MIN_VALUE,
        -Number.MIN_VALUE,
        Number.MAX_VALUE,
        Number.NEGATIVE_INFINITY,
        Number.POSITIVE_INFINITY,
      ),
      fc.integer({ min: -5, max: 5 }),
    );
    fc.assert(
      fc.property(fc.array(value, { minLength: 4096, maxLength: 9000 }), (values) => {
        const expected = Float64Array.from(values).sort();
        const actual = sortFloat64(Float64Array.from(values));
        for (let i = 0; i < expected.length; i++) assert.ok(Object.is(actual[i], expected[i]), `index ${i}`);
      }),
      { numRuns: 40 },
    );
  });

  it("sorts a view into a larger buffer without touching the rest", () => {
    const buffer = new Float64Array(10000).map((_, i) => (i * 7919) % 10007);
    const view = buffer.subarray(100, 9100);
    const expected = view.slice().sort();
    sortFloat64(view);
    assert.deepEqual([...view], [...expected]);
    assert.equal(buffer[0], 0);
    assert.equal(buffer[9999], (9999 * 7919) % 10007);
  });
});
