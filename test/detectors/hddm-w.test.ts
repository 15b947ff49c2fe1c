import { strict as assert } from "node:assert";
import { hddmW } from "../../src/detectors/hddm-w.js";
import { replay } from "../../src/detectors/replay.js";
import { docStreams, itMatchesRiver, riverDocStream } from "./river-fixture.js";

describe("hddm_w", () => {
  describe("against River", () => {
    itMatchesRiver("hddm_w");
  });

  it("reproduces the example in River's docstring", () => {
    const { drifts, warnings } = replay(hddmW.create({}), riverDocStream("binary"));
    assert.equal(drifts[0], 1077);
    assert.equal(warnings[0], 451);
  });

  it("gives the detections its documentation shows", () => {
    const { drifts, warnings } = replay(hddmW.create({}), docStreams.errors);
    assert.deepEqual(drifts, [1035]);
    assert.equal(warnings[0], 1025);
  });

  it("signals a fall of the mean only when two-sided", () => {
    const falling = Array.from({ length: 2000 }, (_, i) => (i < 1000 ? i % 2 : +(i % 10 === 0)));
    assert.deepEqual(replay(hddmW.create({}), falling).drifts, []);
    assert.ok(replay(hddmW.create({ two_sided_test: true }), falling).drifts.length > 0);
  });

  it("estimates the exponentially weighted mean, starting from the first value", () => {
    const detector = hddmW.create({ lambda_val: 0.5 });
    assert.equal(detector.estimate, null);
    for (const x of [0, 0, 1]) detector.update(x);
    assert.equal(detector.estimate, 0.5);
  });
});
