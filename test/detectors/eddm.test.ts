import { strict as assert } from "node:assert";
import { eddm } from "../../src/detectors/eddm.js";
import { paramProblems } from "../../src/detectors/registry.js";
import { replay } from "../../src/detectors/replay.js";
import { docStreams, itMatchesRiver, riverDocStream } from "./river-fixture.js";

describe("eddm", () => {
  describe("against River", () => {
    itMatchesRiver("eddm");
  });

  it("reproduces the example in River's docstring", () => {
    const { drifts, warnings } = replay(eddm.create({ alpha: 0.8, beta: 0.75 }), riverDocStream("binary"));
    assert.deepEqual(drifts, [1278]);
    assert.equal(warnings[0], 1059);
  });

  it("gives the detections its documentation shows", () => {
    const { drifts, warnings } = replay(eddm.create({}), docStreams.denserErrors);
    assert.deepEqual(drifts, [1131]);
    assert.equal(warnings[0], 1035);
  });

  it("rejects alpha below beta, as River's constructor does", () => {
    assert.deepEqual(
      paramProblems("eddm", { alpha: 0.8, beta: 0.9 }).map((p) => p.path),
      ["/alpha"],
    );
    assert.deepEqual(paramProblems("eddm", { alpha: 0.9, beta: 0.9 }), []);
  });

  it("estimates the mean distance between errors", () => {
    const detector = eddm.create({});
    assert.equal(detector.estimate, null);
    for (let i = 1; i <= 40; i++) detector.update(i % 4 === 0 ? 1 : 0);
    assert.equal(detector.estimate, 4);
  });
});
