import { loadExclusions, runConformance } from "../test/checks/conformance.js";

/**
 * `npm run conformance [FILTER]`: runs GE's own test definitions through driftwatch's expectation
 * engine and prints each failing case, the documented exclusions, and the closing line
 * `conformance: PASSED/APPLICABLE passed`; exit code 1 when a case fails without an exclusion. An
 * argument keeps the cases whose id contains it (`npm run conformance -- column_map`).
 */
const filter = process.argv[2];
const outcomes = runConformance(filter === undefined ? undefined : (id) => id.includes(filter));
const excluded = new Map(loadExclusions().map((e) => [e.case, e.reason]));
const applicable = outcomes.filter((o) => o.applicable);
for (const o of applicable) {
  if (o.passed) continue;
  const reason = excluded.get(o.id);
  console.log(
    reason === undefined ? `FAIL ${o.id} ${o.title}: ${o.reason}` : `excluded ${o.id} ${o.title}: ${reason}`,
  );
}
const passed = applicable.filter((o) => o.passed).length;
console.log(
  `skipped by backend filter: ${outcomes.length - applicable.length}; excluded: ${applicable.filter((o) => !o.passed && excluded.has(o.id)).length}; failing: ${applicable.filter((o) => !o.passed && !excluded.has(o.id)).length}`,
);
console.log(`conformance: ${passed}/${applicable.length} passed`);
// A failing case without a documented exclusion fails the command, as it fails the test suite.
if (!filter && applicable.some((o) => !o.passed && !excluded.has(o.id))) process.exitCode = 1;
