import { readFileSync } from "node:fs";
import type { CvmOnlineCalibration } from "../../../src/stats/online/cvm.js";
import type { FetAlternative, FetOnlineCalibration } from "../../../src/stats/online/fet.js";
import { seededRandom } from "../../../src/stats/prng.js";

/** One setting of test/fixtures/online/online.py (alibi-detect 0.13.0). */
export interface OnlineCase {
  readonly name: string;
  readonly detector: "CVMDriftOnline" | "FETDriftOnline";
  readonly seed: number;
  readonly options: {
    readonly ert: number;
    readonly window_sizes: number[];
    readonly n_bootstraps: number;
    readonly alternative?: FetAlternative;
    readonly lam?: number;
    readonly t_max?: number;
  };
  readonly reference: number[];
  readonly stream: number[];
  readonly thresholds: (number | null)[];
  readonly threshold_band: ([number, number] | null)[];
  readonly band_z: number;
  readonly mean_threshold_seeds: number[];
  readonly thresholds_fixed?: (number | null)[];
  readonly threshold_band_fixed?: ([number, number] | null)[];
  readonly permit_probabilities?: (number | null)[];
  readonly statistics: (number | null)[][];
  readonly statistics_float32: (number | null)[][];
  readonly detection: { readonly t: number | null; readonly tie: boolean };
}

interface Fixture {
  readonly alibi_detect: string;
  readonly cases: readonly OnlineCase[];
}

/** The fixture, read once. */
export const fixture: Fixture = JSON.parse(
  readFileSync(new URL("../../fixtures/online/online.json", import.meta.url), "utf8"),
) as Fixture;

/** The fixture's cases of one detector. */
export const casesOf = (detector: OnlineCase["detector"]) =>
  fixture.cases.filter((c) => c.detector === detector);

/** A CVM calibration carrying the given thresholds, for feeding alibi-detect's (or none) to our detector. */
export function cvmCalibrationWith(c: OnlineCase, thresholds: (number | null)[]): CvmOnlineCalibration {
  return {
    type: "cvm",
    ert: c.options.ert,
    window_sizes: c.options.window_sizes,
    n_bootstraps: c.options.n_bootstraps,
    seed: c.seed,
    n_reference: c.reference.length,
    t_max: thresholds.length,
    ties: "count",
    thresholds,
  };
}

/** A FET calibration carrying the given thresholds and permit probabilities. */
export function fetCalibrationWith(
  c: OnlineCase,
  thresholds: (number | null)[],
  permits: (number | null)[],
): FetOnlineCalibration {
  return {
    type: "fet",
    ert: c.options.ert,
    window_sizes: c.options.window_sizes,
    n_bootstraps: c.options.n_bootstraps,
    seed: c.seed,
    n_reference: c.reference.length,
    t_max: thresholds.length,
    alternative: c.options.alternative ?? "greater",
    lam: c.options.lam ?? 0.99,
    simulation: "conditional",
    sum_reference: c.reference.reduce((a, b) => a + b, 0),
    thresholds,
    permit_probabilities: permits,
  };
}

/** Standard normal draws (Box–Muller) from a seeded stream. */
export function normals(count: number, seed: number): number[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => {
    const u = 1 - random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  });
}
