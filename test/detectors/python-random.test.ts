import { strict as assert } from "node:assert";
import { MersenneTwister, sampleRange, sampleSetsize } from "../../src/detectors/python-random.js";
import { river } from "./river-fixture.js";

describe("python-random", () => {
  for (const c of river.python_random) {
    describe(`random.Random(${c.seed})`, () => {
      it("gives CPython's getrandbits(32), also after the words are regenerated", () => {
        const rng = MersenneTwister.fromSeed(c.seed);
        assert.deepEqual(
          Array.from({ length: 8 }, () => rng.getrandbits(32)),
          c.getrandbits32,
        );
        const later = Array.from({ length: 2000 }, () => rng.getrandbits(32)).slice(-3);
        assert.deepEqual(later, c.getrandbits32_after_2000);
      });

      it("gives CPython's _randbelow", () => {
        const rng = MersenneTwister.fromSeed(c.seed);
        assert.deepEqual(
          [1, 2, 3, 70, 100, 370, 2 ** 31 - 1].map((n) => rng.randbelow(n)),
          c.randbelow,
        );
      });

      it("gives CPython's sample(range(n), k) on both of its branches", () => {
        for (const s of c.samples) {
          const out = new Int32Array(s.k);
          const pool = new Int32Array(s.n);
          sampleRange(MersenneTwister.fromSeed(c.seed), s.n, s.k, out, pool, sampleSetsize(s.k));
          assert.deepEqual(Array.from(out), s.indices, `n=${s.n} k=${s.k}`);
        }
      });
    });
  }

  it("resumes from its state", () => {
    const a = MersenneTwister.fromSeed(7);
    for (let i = 0; i < 700; i++) a.nextUint32();
    const b = MersenneTwister.fromState(JSON.parse(JSON.stringify(a.state)));
    assert.deepEqual(
      Array.from({ length: 1000 }, () => b.nextUint32()),
      Array.from({ length: 1000 }, () => a.nextUint32()),
    );
  });

  it("gives random() as CPython's genrand_res53", () => {
    // random.Random(42).random() == 0.6394267984578837
    assert.equal(MersenneTwister.fromSeed(42).random(), 0.6394267984578837);
  });
});
