import { strict as assert } from "node:assert";
import { hddmA } from "../../src/detectors/hddm-a.js";
import { replay } from "../../src/detectors/replay.js";
import { docStreams, itMatchesRiver, riverDocStream } from "./river-fixture.js";

describe("hddm_a", () => {
  describe("against River", () => {
    itMatchesRiver("hddm_a");
  });

  it("reproduces the example in River's docstring", () => {
    const { drifts, warnings } = replay(hddmA.create({}), riverDocStream("binary"));
    assert.equal(drifts[0], 1206);
    assert.equal(warnings[0], 451);
  });

  it("gives the detections its documentation shows", () => {
    const { drifts, warnings } = replay(hddmA.create({}), docStreams.errors);
    assert.deepEqual(drifts, [1023]);
    assert.equal(warnings[0], 1017);
  });

  it("signals a fall of the mean only when two-sided", () => {
    const falling = Array.from({ length: 2000 }, (_, i) => (i < 1000 ? i % 2 : +(i % 10 === 0)));
    assert.deepEqual(replay(hddmA.create({}), falling).drifts, []);
    assert.ok(replay(hddmA.create({ two_sided_test: true }), falling).drifts.length > 0);
  });

  it("estimates the mean since the last reset", () => {
    const detector = hddmA.create({});
    assert.equal(detector.estimate, null);
    for (const x of [0.2, 0.4, 0.6]) detector.update(x);
    assert.ok(Math.abs((detector.estimate ?? Number.NaN) - 0.4) < 1e-15);
  });
});
