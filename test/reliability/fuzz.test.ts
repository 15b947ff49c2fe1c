/**
 * Seeded fuzzing of the daemon's file and HTTP sources: 100 000 hostile events each (valid ones,
 * schema violations, malformed and truncated JSON, random bytes, nesting past the limit,
 * oversized events, non-objects, prototype keys), and every one must end counted as valid or
 * dead-lettered, with no crash and no hang. `npm run fuzz` runs more, with any seed.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { killAllDaemons } from "../support/daemon.js";
import { assertAccounted, fuzzEvents, fuzzFileSource, fuzzHttpSource } from "../support/fuzz.js";

const EVENTS = 100_000;
const SEED = 20261204;

describe("fuzzing the sources", () => {
  before(() => assert.ok(existsSync("dist/cli/main.js"), "run `npm run build` first (npm test does)"));
  afterEach(killAllDaemons);

  it(`accounts for ${EVENTS} hostile events through the file source`, async function () {
    this.timeout(300_000);
    const outcome = await fuzzFileSource(fuzzEvents(EVENTS, SEED), 240_000);
    assertAccounted(outcome);
    // The mix reaches every rejection path and still lets most events through.
    for (const reason of ["malformed_json", "not_an_object", "schema", "too_large", "too_deep"])
      assert.ok((outcome.reasons[reason] ?? 0) > 0, `no ${reason} in ${JSON.stringify(outcome.reasons)}`);
    assert.ok(outcome.valid > EVENTS * 0.4, JSON.stringify(outcome));
  });

  it(`accounts for ${EVENTS} hostile events through the HTTP source`, async function () {
    this.timeout(300_000);
    const outcome = await fuzzHttpSource(fuzzEvents(EVENTS, SEED + 1), SEED, 240_000);
    assertAccounted(outcome);
    assert.ok(outcome.valid > EVENTS * 0.4, JSON.stringify(outcome));
  });
});
