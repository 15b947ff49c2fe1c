import { classifierTest } from "./classifier.js";
import { ksReducedTest } from "./ks-reduced.js";
import { mmdTest } from "./mmd.js";
import { pcaReconstructionTest } from "./pca-reconstruction.js";
import type { MultivariateTest } from "./types.js";

/**
 * Every multivariate drift test, by the name used in config (`test: mmd`) and CLI flags. The
 * config schema (the test names and each test's `options`), the `list` command and the conformance
 * test are derived from this object, so adding a test is one new file plus one line here.
 */
export const multivariateTests = {
  mmd: mmdTest,
  ks_reduced: ksReducedTest,
  pca_reconstruction: pcaReconstructionTest,
  classifier: classifierTest,
  // biome-ignore lint/suspicious/noExplicitAny: each test reads its own options and fitted state.
} satisfies Record<string, MultivariateTest<any, any>>;

/** A registered multivariate test name. */
export type MultivariateTestName = keyof typeof multivariateTests;

/** The registered test of a name, with its option and fitted types erased. */
export function multivariateTest(name: MultivariateTestName): MultivariateTest<unknown, unknown> {
  return multivariateTests[name] as unknown as MultivariateTest<unknown, unknown>;
}
