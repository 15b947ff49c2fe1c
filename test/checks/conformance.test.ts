import { strict as assert } from "node:assert";
import { existsSync } from "node:fs";
import { CONFORMANCE_DIR, loadExclusions, runConformance } from "./conformance.js";

/**
 * Great Expectations' own test definitions (GE 1.2.0, read in place) through driftwatch's engine:
 * every case GE runs for pandas must pass, but the documented exclusions. The count is pinned, so
 * a case that stops applying or stops passing fails CI.
 */
describe("checks: Great Expectations conformance", function () {
  this.timeout(60_000);

  it("finds GE's test definitions", () => {
    assert.ok(
      existsSync(CONFORMANCE_DIR),
      `${CONFORMANCE_DIR} is missing (shared/ beside the project, or DRIFTWATCH_GE_CONFORMANCE)`,
    );
  });

  it("passes every applicable case but the documented exclusions", () => {
    const outcomes = runConformance();
    const applicable = outcomes.filter((o) => o.applicable);
    assert.equal(outcomes.length, 601, "cases in GE 1.2.0's copied files");
    assert.equal(applicable.length, 483, "cases GE's runner applies to pandas");
    const exclusions = loadExclusions();
    const reasons = new Map(exclusions.map((e) => [e.case, e.reason]));
    assert.equal(reasons.size, exclusions.length, "an exclusion is listed twice");
    for (const e of exclusions) {
      assert.ok(typeof e.reason === "string" && e.reason.length > 10, `${e.case}: give a reason`);
      const outcome = outcomes.find((o) => o.id === e.case);
      assert.ok(outcome?.applicable, `${e.case}: excluded, but not an applicable case`);
      assert.ok(!outcome.passed, `${e.case}: excluded, but it passes; drop the exclusion`);
    }
    const failing = applicable.filter((o) => !o.passed && !reasons.has(o.id));
    const passed = applicable.filter((o) => o.passed).length;
    console.log(
      `      conformance: ${passed}/${applicable.length} passed (${exclusions.length} documented exclusions)`,
    );
    assert.deepEqual(
      failing.map((o) => `${o.id} ${o.title}: ${o.reason}`),
      [],
      "applicable GE cases failing without a documented exclusion",
    );
    assert.equal(passed, applicable.length - exclusions.length);
  });
});
