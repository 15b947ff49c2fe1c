import { strict as assert } from "node:assert";
import fc from "fast-check";
import { ddm } from "../../src/detectors/ddm.js";
import { replay } from "../../src/detectors/replay.js";
import { docStreams, itMatchesRiver, riverDocStream } from "./river-fixture.js";

describe("ddm", () => {
  describe("against River", () => {
    itMatchesRiver("ddm");
  });

  it("reproduces the example in River's docstring", () => {
    const { drifts, warnings } = replay(ddm.create({}), riverDocStream("binary"));
    // River prints the first warning after each reset: 1084, then drift 1334, then warning 1492.
    assert.deepEqual(drifts, [1334]);
    assert.equal(warnings[0], 1084);
    assert.equal(
      warnings.find((i) => i > 1334),
      1492,
    );
  });

  it("gives the detections its documentation shows", () => {
    const { drifts, warnings } = replay(ddm.create({}), docStreams.errors);
    assert.deepEqual(drifts, [1049]);
    assert.equal(warnings[0], 1023);
  });

  it("signals nothing within the warm start", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(0, 1), { maxLength: 30 }), (errors) => {
        const { drifts, warnings } = replay(ddm.create({ warm_start: 30 }), errors);
        assert.deepEqual([drifts, warnings], [[], []]);
      }),
    );
  });

  it("estimates the error rate since the last reset and starts over after a drift", () => {
    const detector = ddm.create({});
    assert.equal(detector.estimate, null);
    for (let i = 0; i < 100; i++) detector.update(i % 4 === 0 ? 1 : 0);
    assert.ok(Math.abs((detector.estimate ?? Number.NaN) - 0.25) < 1e-12);
    let i = 0;
    while (!detector.driftDetected) detector.update(i++ % 4 === 0 ? 0 : 1);
    assert.equal(detector.warningDetected, false, "a drift clears the warning, as in River");
    detector.update(1);
    assert.equal(detector.state.n, 1);
    assert.equal(detector.estimate, 1);
  });
});
