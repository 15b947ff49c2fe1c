import { strict as assert } from "node:assert";
import { Ajv } from "ajv";
import fc from "fast-check";
import { paramProblemsOf } from "../../src/detectors/params.js";
import {
  type AnyDetectorKind,
  createDetector,
  detectorEntrySchema,
  detectors,
} from "../../src/detectors/registry.js";
import { replay } from "../../src/detectors/replay.js";
import type { Detector, DetectorInput, DetectorKind } from "../../src/detectors/types.js";

/**
 * One suite for every registered detector, as River's estimator checks: the example is valid, bad
 * params are rejected with a path, `create` is deterministic, `state` survives JSON mid-stream,
 * and `merge` is either exact or declared absent. Streams are piecewise-stationary, with shifts,
 * so detectors do fire (and reset) inside the properties.
 */

/** mulberry32: a small seeded generator for test streams. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Segment {
  readonly length: number;
  readonly level: number;
}

/** A stream of the kind's input: segments of 0/1 errors at rate `level`, values in [0, 1], or reals. */
function streamOf(input: DetectorInput, seed: number, segments: readonly Segment[]): number[] {
  const random = generator(seed);
  const out: number[] = [];
  for (const { length, level } of segments) {
    for (let i = 0; i < length; i++) {
      const noise = random() + random() + random() - 1.5;
      if (input === "binary") out.push(random() < level ? 1 : 0);
      else if (input === "bounded") out.push(Math.min(1, Math.max(0, level + 0.3 * noise)));
      else out.push(10 * level + 2 * noise);
    }
  }
  return out;
}

const segments = fc.array(
  fc.record({ length: fc.integer({ min: 20, max: 700 }), level: fc.double({ min: 0, max: 1, noNaN: true }) }),
  { minLength: 1, maxLength: 5 },
);

const streamArbitrary = (input: DetectorInput) =>
  fc.tuple(fc.integer(), segments).map(([seed, parts]) => streamOf(input, seed, parts));

const RUNS = 40;

/** The state as it would be written to and read back from a checkpoint. */
function throughJson<S>(state: S): S {
  return JSON.parse(JSON.stringify(state)) as S;
}

/** Values of the wrong type or out of range for a property schema (none where nothing is obvious). */
function badValuesFor(schema: Record<string, unknown>): unknown[] {
  const bad: unknown[] = [];
  switch (schema.type) {
    case "number":
    case "integer":
      bad.push("1");
      if (schema.type === "integer") bad.push(1.5);
      if (typeof schema.minimum === "number") bad.push(schema.minimum - 1);
      if (typeof schema.exclusiveMinimum === "number") bad.push(schema.exclusiveMinimum);
      if (typeof schema.maximum === "number") bad.push(schema.maximum + 1);
      if (typeof schema.exclusiveMaximum === "number") bad.push(schema.exclusiveMaximum);
      break;
    case "boolean":
      bad.push(1, "true");
      break;
    case "string":
      bad.push(1);
      if (Array.isArray(schema.enum)) bad.push("sideways");
      break;
    case "array":
      bad.push("1", ["1"]);
      break;
  }
  return bad;
}

/** Runs the conformance checks for one kind; `name` is its registry name when it has one. */
function conforms(label: string, kind: AnyDetectorKind, name?: string): void {
  describe(label, () => {
    const properties = (kind.schema as { properties: Record<string, Record<string, unknown>> }).properties;
    const randomized = "seed" in properties;

    it("has an example that passes its schema and its checks", () => {
      assert.deepEqual(paramProblemsOf(kind, kind.example), []);
    });

    it("accepts no params at all, taking River's defaults", () => {
      assert.deepEqual(paramProblemsOf(kind, {}), []);
    });

    it("rejects each bad param with its path", () => {
      for (const [key, schema] of Object.entries(properties)) {
        for (const value of badValuesFor(schema)) {
          const problems = paramProblemsOf(kind, { ...kind.example, [key]: value });
          assert.ok(
            problems.some((p) => p.path === `/${key}` || p.path.startsWith(`/${key}/`)),
            `${key} = ${JSON.stringify(value)}: ${JSON.stringify(problems)}`,
          );
          if (name !== undefined) {
            assert.throws(
              () => createDetector({ type: name, ...kind.example, [key]: value }),
              (e: Error) => e instanceof RangeError && e.message.includes(`/${key}`),
            );
          }
        }
      }
    });

    it("rejects an unknown key with its path", () => {
      const problems = paramProblemsOf(kind, { ...kind.example, delta_secs: 1 });
      assert.deepEqual(
        problems.map((p) => p.path),
        ["/delta_secs"],
      );
    });

    it(`is deterministic: the same params and stream give the same detections${randomized ? " (under a seed)" : ""}`, () => {
      fc.assert(
        fc.property(streamArbitrary(kind.input), (values) => {
          const a = kind.create(kind.example);
          const b = kind.create(kind.example);
          assert.deepEqual(replay(a, values), replay(b, values));
          assert.deepEqual(a.state, b.state);
        }),
        { numRuns: RUNS },
      );
    });

    const paramSets = randomized
      ? { example: kind.example, "no seed": { ...kind.example, seed: undefined } }
      : { example: kind.example };
    for (const [which, params] of Object.entries(paramSets)) {
      it(`resumes from its state after a JSON round trip mid-stream (${which} params)`, () => {
        fc.assert(
          fc.property(
            streamArbitrary(kind.input),
            fc.double({ min: 0, max: 1, noNaN: true }),
            (values, at) => {
              const cut = Math.floor(at * values.length);
              const whole: Detector<unknown> = kind.create(params);
              replay(whole, values.slice(0, cut));
              const resumed: Detector<unknown> = kind.create(params, throughJson(whole.state));
              assert.deepEqual(whole.state, throughJson(whole.state), "state is plain JSON");
              assert.equal(resumed.driftDetected, whole.driftDetected);
              assert.equal(resumed.warningDetected, whole.warningDetected);
              assert.equal(resumed.estimate, whole.estimate);
              const rest = replay(resumed, values.slice(cut));
              assert.deepEqual(rest, replay(whole, values.slice(cut)));
              assert.deepEqual(resumed.state, whole.state);
            },
          ),
          { numRuns: RUNS },
        );
      });
    }

    // The test-only mergeable kind has no drift to resume from; registered kinds all do.
    if (name !== undefined) {
      it("resumes from its state taken right after a drift", () => {
        const values = streamOf(kind.input, 7, [
          { length: 1500, level: 0.1 },
          { length: 1500, level: 0.9 },
          { length: 1500, level: 0.2 },
        ]);
        const probe = kind.create(kind.example);
        const { drifts } = replay(probe, values);
        assert.ok(drifts.length > 0, "the stream has a drift");
        const cut = drifts[0] + 1;
        const whole = kind.create(kind.example);
        replay(whole, values.slice(0, cut));
        assert.equal(whole.driftDetected, true);
        const resumed = kind.create(kind.example, throughJson(whole.state));
        assert.deepEqual(replay(resumed, values.slice(cut)), replay(whole, values.slice(cut)));
      });
    }

    if (kind.merge === null) {
      it("declares itself not mergeable", () => {
        assert.equal(kind.merge, null);
      });
    } else {
      const merge = kind.merge;
      it("merges two states into the state of one pass over both inputs", () => {
        fc.assert(
          fc.property(streamArbitrary(kind.input), streamArbitrary(kind.input), (xs, ys) => {
            const a = kind.create(kind.example);
            const b = kind.create(kind.example);
            const one = kind.create(kind.example);
            replay(a, xs);
            replay(b, ys);
            replay(one, [...xs, ...ys]);
            const merged = kind.create(kind.example, merge(throughJson(a.state), throughJson(b.state)));
            assert.deepEqual(merged.state, one.state);
            assert.equal(merged.estimate, one.estimate);
          }),
          { numRuns: RUNS },
        );
      });
    }
  });
}

/**
 * A detector that never fires and counts: mergeable, so the suite's merge check runs even while
 * every registered detector is path-dependent. Not registered.
 */
const counting: DetectorKind<{ readonly unit?: number }, { readonly n: number; readonly sum: number }> = {
  description: "test-only: counts values and their sum",
  reference: "none",
  input: "real",
  warns: false,
  schema: {
    type: "object",
    properties: { unit: { type: "number", nullable: true, exclusiveMinimum: 0 } },
    required: [],
    additionalProperties: false,
  },
  example: { unit: 1 },
  check: () => [],
  create: (params, state) => {
    let n = state?.n ?? 0;
    let sum = state?.sum ?? 0;
    const unit = params.unit ?? 1;
    return {
      update(value: number) {
        n += 1;
        sum += Math.round(value / unit) * unit;
      },
      get state() {
        return { n, sum };
      },
      driftDetected: false,
      warningDetected: false,
      get estimate() {
        return n === 0 ? null : sum / n;
      },
    };
  },
  merge: (a, b) => ({ n: a.n + b.n, sum: a.sum + b.sum }),
};

describe("detectors conformance", () => {
  for (const [name, kind] of Object.entries(detectors)) conforms(name, kind, name);

  conforms("a mergeable test detector (checks the suite's merge branch)", counting);

  describe("registry", () => {
    it("names every detector in snake_case, as config does", () => {
      for (const name of Object.keys(detectors)) assert.match(name, /^[a-z][a-z0-9_]*$/);
    });

    it("describes every detector with its paper", () => {
      for (const [name, kind] of Object.entries(detectors)) {
        assert.ok(kind.description.length > 0, name);
        assert.match(kind.reference, /\(\d{4}\)/, name);
        assert.equal(kind.warns, ["ddm", "eddm", "hddm_a", "hddm_w"].includes(name), name);
      }
    });

    it("gives a config entry schema that accepts every example and names a bad entry's path", () => {
      const validate = new Ajv({ allErrors: true, discriminator: true, strict: false }).compile(
        detectorEntrySchema(),
      );
      for (const [name, kind] of Object.entries(detectors)) {
        assert.ok(validate({ type: name, ...kind.example }), `${name}: ${JSON.stringify(validate.errors)}`);
        assert.ok(validate({ type: name }), name);
      }
      assert.ok(
        validate({
          type: "adwin",
          delta: 0.002,
          clock: 32,
          max_buckets: 5,
          min_window_length: 5,
          grace_period: 10,
        }),
      );
      assert.equal(validate({ type: "adwin", delt: 0.002 }), false);
      assert.equal(validate({ type: "adwinn" }), false);
      assert.equal(validate.errors?.[0]?.keyword, "discriminator");
    });

    it("refuses an unknown type with the known ones", () => {
      assert.throws(
        () => createDetector({ type: "adwinn" }),
        /unknown detector type "adwinn"; known types: adwin/,
      );
    });
  });
});
