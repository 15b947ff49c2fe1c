import { chi2GofTest, chi2Test } from "./chi2.js";
import { hellingerTest, jensenShannonTest, psiTest, wassersteinTest } from "./distances.js";
import { ksTest } from "./ks.js";
import { zTest } from "./proportion.js";
import type { DriftTest } from "./types.js";

/**
 * Every drift test and distance, by the name used in config files and CLI flags. The CLI's
 * choices, the `list` command and the conformance test are all derived from this object, so
 * adding a test is one new file plus one line here.
 */
export const driftTests = {
  ks: ksTest,
  chi2: chi2Test,
  chi2_gof: chi2GofTest,
  z: zTest,
  wasserstein: wassersteinTest,
  psi: psiTest,
  jensenshannon: jensenShannonTest,
  hellinger: hellingerTest,
} satisfies Record<string, DriftTest>;

/** A registered test name. */
export type DriftTestName = keyof typeof driftTests;

/** Names of the tests that accept a column kind, for flag choices and error messages. */
export function testsFor(kind: "numeric" | "categorical"): DriftTestName[] {
  return (Object.keys(driftTests) as DriftTestName[]).filter((name) =>
    (driftTests[name] as DriftTest).kinds.includes(kind),
  );
}
