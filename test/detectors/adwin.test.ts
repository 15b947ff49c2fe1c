import { strict as assert } from "node:assert";
import { adwin } from "../../src/detectors/adwin.js";
import { replay } from "../../src/detectors/replay.js";
import { casesOf, docStreams, itMatchesRiver, paramsOf, river, riverDocStream } from "./river-fixture.js";

describe("adwin", () => {
  describe("against River", () => {
    itMatchesRiver("adwin");
  });

  it("ends every fixture stream with River's window: width, total, variance and estimation", () => {
    for (const c of casesOf("adwin")) {
      const detector = adwin.create(paramsOf(c));
      replay(detector, river.streams[c.stream].values);
      const { width, total, variance } = detector.state;
      assert.deepEqual(
        { width, total, variance, estimation: detector.estimate },
        c.final,
        `${JSON.stringify(c.params)} on ${c.stream}`,
      );
    }
  });

  it("reproduces the example in River's docstring", () => {
    assert.deepEqual(replay(adwin.create({}), riverDocStream("real")).drifts, [1023]);
  });

  it("gives the detections its documentation shows", () => {
    assert.deepEqual(replay(adwin.create({}), docStreams.sawtooth).drifts, [1055]);
  });

  it("keeps River's sum of squared deviations over a window without cuts", () => {
    const detector = adwin.create({ clock: 1_000_000 });
    const values = Array.from({ length: 200 }, (_, i) => i % 7);
    replay(detector, values);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const ss = values.reduce((a, b) => a + (b - mean) ** 2, 0);
    assert.equal(detector.state.width, 200);
    assert.ok(Math.abs(detector.state.variance - ss) < 1e-9 * ss);
  });

  it("starts a fresh window on the update after a drift, as River's ADWIN does", () => {
    const detector = adwin.create({ clock: 1 });
    for (let i = 0; i < 500; i++) detector.update(0);
    while (!detector.driftDetected) detector.update(100);
    detector.update(50);
    assert.equal(detector.state.width, 1);
    assert.equal(detector.estimate, 50);
  });

  it("estimates nothing before the first value", () => {
    assert.equal(adwin.create({}).estimate, null);
  });
});
