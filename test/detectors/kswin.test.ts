import { strict as assert } from "node:assert";
import { kswin } from "../../src/detectors/kswin.js";
import { paramProblems } from "../../src/detectors/registry.js";
import { replay } from "../../src/detectors/replay.js";
import { casesOf, docStreams, itMatchesRiver, paramsOf, river, riverDocStream } from "./river-fixture.js";

/**
 * KSWIN is the one detector whose result depends on River-internal randomness: it draws its
 * reference sample with `random.Random(seed).sample(...)`. Our MersenneTwister and `sampleRange`
 * reproduce CPython 3.11's generator and sampling bit for bit (python-random.test.ts), so every
 * fixture case sets a seed and is compared index for index, not statistically. With no seed, River
 * and we both seed from entropy and the detections vary from run to run.
 */
describe("kswin", () => {
  describe("against River (same seed, same draws)", () => {
    itMatchesRiver("kswin");
  });

  it("ends every fixture stream with River's p-value and count", () => {
    for (const c of casesOf("kswin")) {
      const detector = kswin.create(paramsOf(c));
      replay(detector, river.streams[c.stream].values);
      const { p_value, n } = detector.state;
      assert.deepEqual({ p_value, n }, c.final, `${JSON.stringify(c.params)} on ${c.stream}`);
    }
  });

  it("reproduces the example in River's docstring", () => {
    assert.deepEqual(
      replay(kswin.create({ alpha: 0.0001, seed: 42 }), riverDocStream("real")).drifts,
      [1016],
    );
  });

  it("gives the detections its documentation shows", () => {
    assert.deepEqual(replay(kswin.create({ seed: 42 }), docStreams.sawtooth).drifts, [1020]);
  });

  it("needs stat_size to be at most half the window, where River's sampling would fail", () => {
    assert.deepEqual(
      paramProblems("kswin", { window_size: 100, stat_size: 51 }).map((p) => p.path),
      ["/stat_size"],
    );
    assert.deepEqual(paramProblems("kswin", { window_size: 100, stat_size: 50 }), []);
  });

  it("draws differently without a seed but resumes the same draws from its state", () => {
    const values = river.streams.real_noisy.values;
    const a = kswin.create({ alpha: 0.05 });
    replay(a, values.slice(0, 1000));
    const b = kswin.create({ alpha: 0.05 }, JSON.parse(JSON.stringify(a.state)));
    assert.deepEqual(replay(b, values.slice(1000)), replay(a, values.slice(1000)));
  });

  it("estimates nothing, since it tests distributions", () => {
    const detector = kswin.create({ seed: 1 });
    replay(detector, docStreams.sawtooth);
    assert.equal(detector.estimate, null);
  });
});
