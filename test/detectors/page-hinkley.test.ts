import { strict as assert } from "node:assert";
import { pageHinkley } from "../../src/detectors/page-hinkley.js";
import { replay } from "../../src/detectors/replay.js";
import { docStreams, itMatchesRiver, riverDocStream } from "./river-fixture.js";

describe("page_hinkley", () => {
  describe("against River", () => {
    itMatchesRiver("page_hinkley");
  });

  it("reproduces the example in River's docstring", () => {
    assert.deepEqual(replay(pageHinkley.create({}), riverDocStream("real")).drifts, [1006]);
  });

  it("gives the detections its documentation shows", () => {
    assert.deepEqual(replay(pageHinkley.create({}), docStreams.sawtooth).drifts, [1105]);
    const step = [...Array(100).fill(0), ...Array(100).fill(1)];
    assert.deepEqual(replay(pageHinkley.create({ threshold: 10 }), step).drifts, [110]);
  });

  it("looks only in the direction its mode names", () => {
    const down = [...Array(500).fill(5), ...Array(500).fill(0)];
    assert.deepEqual(replay(pageHinkley.create({ mode: "up" }), down).drifts, []);
    assert.ok(replay(pageHinkley.create({ mode: "down" }), down).drifts.length > 0);
    assert.deepEqual(
      replay(pageHinkley.create({ mode: "both" }), down).drifts,
      replay(pageHinkley.create({ mode: "down" }), down).drifts,
    );
  });

  it("estimates the running mean", () => {
    const detector = pageHinkley.create({});
    assert.equal(detector.estimate, null);
    for (const x of [1, 2, 3, 4]) detector.update(x);
    assert.equal(detector.estimate, 2.5);
  });
});
