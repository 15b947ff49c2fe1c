import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { MersenneTwister } from "../../src/detectors/python-random.js";
import { type AnyDetectorKind, type DetectorName, detectors } from "../../src/detectors/registry.js";
import { replay } from "../../src/detectors/replay.js";

/**
 * test/fixtures/river/detectors.json, written by detectors.py beside it from River itself
 * (versions in the file and in requirements.txt there). Each case is River's detections for one
 * detector, one params object (River's names) and one stream.
 */
export interface RiverCase {
  readonly detector: DetectorName;
  readonly params: Record<string, unknown>;
  readonly stream: string;
  readonly drifts: readonly number[];
  /** Runs [first, last] of indices in the warning zone; absent for detectors without one. */
  readonly warnings?: readonly (readonly [number, number])[];
  readonly final: Record<string, number>;
}

export interface RiverFixture {
  readonly river: string;
  readonly python: string;
  readonly length: number;
  readonly streams: Record<
    string,
    { readonly family: "binary" | "unit" | "real"; readonly values: number[] }
  >;
  readonly cases: readonly RiverCase[];
  readonly python_random: readonly {
    readonly seed: number;
    readonly getrandbits32: readonly number[];
    readonly getrandbits32_after_2000: readonly number[];
    readonly randbelow: readonly number[];
    readonly samples: readonly {
      readonly n: number;
      readonly k: number;
      readonly indices: readonly number[];
    }[];
  }[];
}

/** The fixture, parsed once. */
export const river: RiverFixture = JSON.parse(
  readFileSync(new URL("../fixtures/river/detectors.json", import.meta.url), "utf8"),
);

/** The cases of one detector. */
export function casesOf(name: DetectorName): readonly RiverCase[] {
  return river.cases.filter((c) => c.detector === name);
}

/** A case's params as our kind takes them (the fixture's "first_100" stands for the stream's first 100 values). */
export function paramsOf(c: RiverCase): Record<string, unknown> {
  const params = { ...c.params };
  if (params.window === "first_100") params.window = river.streams[c.stream].values.slice(0, 100);
  return params;
}

/** Index runs [first, last] of a sorted list of indices, as the fixture stores warnings. */
export function runsOf(indices: readonly number[]): [number, number][] {
  const out: [number, number][] = [];
  for (const i of indices) {
    const last = out.at(-1);
    if (last !== undefined && last[1] === i - 1) last[1] = i;
    else out.push([i, i]);
  }
  return out;
}

/** Describe-level helper: one `it` per case, asserting the same drift and warning indices as River. */
export function itMatchesRiver(name: DetectorName): void {
  const cases = casesOf(name);
  assert.ok(cases.length > 0, `no fixture cases for ${name}`);
  for (const c of cases) {
    it(`detects what River ${river.river} detects with ${JSON.stringify(c.params)} on ${c.stream}`, () => {
      const kind: AnyDetectorKind = detectors[name];
      const detector = kind.create(paramsOf(c));
      const { drifts, warnings } = replay(detector, river.streams[c.stream].values);
      assert.deepEqual(drifts, c.drifts, "drift indices");
      if (c.warnings !== undefined) assert.deepEqual(runsOf(warnings), c.warnings, "warning runs");
      else assert.deepEqual(warnings, [], "no warnings");
    });
  }
}

/**
 * Python's `rng.choices(population, weights, k=k)` (CPython 3.11): floor(random() · n) without
 * weights, bisect_right on the cumulative weights with them.
 */
export function pythonChoices(
  rng: MersenneTwister,
  population: readonly number[],
  k: number,
  weights?: readonly number[],
): number[] {
  const out: number[] = [];
  const n = population.length;
  if (weights === undefined) {
    for (let i = 0; i < k; i++) out.push(population[Math.floor(rng.random() * n)]);
    return out;
  }
  const cumulative: number[] = [];
  let sum = 0;
  for (const w of weights) {
    sum += w;
    cumulative.push(sum);
  }
  const total = cumulative[n - 1] + 0.0;
  for (let i = 0; i < k; i++) {
    const x = rng.random() * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (x < cumulative[mid]) hi = mid;
      else lo = mid + 1;
    }
    out.push(population[lo]);
  }
  return out;
}

/**
 * The streams of River's docstring examples: `random.Random(12345)`, 1000 of choices([0, 1]) then
 * 1000 of choices(range(4, 8)) for the real-valued detectors; `random.Random(42)`, 1000 of
 * choices([0, 1]) then 1000 with weights [0.3, 0.7] for the binary ones.
 */
export function riverDocStream(kind: "real" | "binary"): number[] {
  if (kind === "real") {
    const rng = MersenneTwister.fromSeed(12345);
    return [...pythonChoices(rng, [0, 1], 1000), ...pythonChoices(rng, [4, 5, 6, 7], 1000)];
  }
  const rng = MersenneTwister.fromSeed(42);
  return [...pythonChoices(rng, [0, 1], 1000), ...pythonChoices(rng, [0, 1], 1000, [0.3, 0.7])];
}

/** The example streams of our own JSDoc (River gives the same detections on them). */
export const docStreams = {
  /** 10% errors, then 50%. */
  errors: Array.from({ length: 2000 }, (_, i) => (i < 1000 ? +(i % 10 === 0) : i % 2)),
  /** Errors at multiples of 10 or 7, then of 2 or 3. */
  denserErrors: Array.from({ length: 2000 }, (_, i) =>
    i < 1000 ? +(i % 10 === 0 || i % 7 === 0) : +(i % 3 === 0 || i % 2 === 0),
  ),
  /** A sawtooth in [0, 1) whose level rises by 0.5 at index 1000. */
  sawtooth: Array.from({ length: 2000 }, (_, i) => ((i * 7919) % 100) / 100 + (i < 1000 ? 0 : 0.5)),
};

/** The first index at which the warning flag was up, or null. */
export function firstWarning(warnings: readonly number[]): number | null {
  return warnings.length > 0 ? warnings[0] : null;
}
