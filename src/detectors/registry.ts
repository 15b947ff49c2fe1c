import { adwin } from "./adwin.js";
import { ddm } from "./ddm.js";
import { eddm } from "./eddm.js";
import { hddmA } from "./hddm-a.js";
import { hddmW } from "./hddm-w.js";
import { kswin } from "./kswin.js";
import { pageHinkley } from "./page-hinkley.js";
import { paramProblemsOf } from "./params.js";
import type { Detector, DetectorKind, ParamProblem, Registry } from "./types.js";

/**
 * Any registered kind, whatever its params and state. Params and state appear both in and out of
 * a kind's members, so no narrower type holds them all; callers keep a kind's own types by
 * indexing the registry with a literal name (`detectors.adwin`).
 */
// biome-ignore lint/suspicious/noExplicitAny: the registry holds kinds of different params and states
export type AnyDetectorKind = DetectorKind<any, any>;

/**
 * Every concept-drift detector, by the name used in config (`detectors: [{ type: adwin }]`).
 * The config schema, `list`, the docs and the conformance test are derived from this object, so
 * adding a detector is one new file plus one line here.
 *
 * @example
 * const detector = detectors.adwin.create(detectors.adwin.example);
 * detector.update(0.3);
 * detector.driftDetected // false
 */
export const detectors = {
  adwin,
  ddm,
  eddm,
  hddm_a: hddmA,
  hddm_w: hddmW,
  kswin,
  page_hinkley: pageHinkley,
} satisfies Registry<AnyDetectorKind>;

/** A registered detector name. */
export type DetectorName = keyof typeof detectors;

/** Whether a string names a registered detector. */
export function isDetectorName(name: string): name is DetectorName {
  return Object.hasOwn(detectors, name);
}

/**
 * Every problem with a registered detector's params (without its `type` key), as
 * {@link paramProblemsOf}: JSON pointers into the params. Empty when valid.
 *
 * @example
 * paramProblems("adwin", { delta: 2 })
 * // [{ path: "/delta", message: "must be < 1 (got 2)" }]
 */
export function paramProblems(name: DetectorName, params: unknown): ParamProblem[] {
  return paramProblemsOf(detectors[name] as AnyDetectorKind, params);
}

/**
 * A detector from a config entry `{ type, ...params }`, after checking its params; throws a
 * RangeError listing every problem (`/delta: must be < 1 (got 2)`) otherwise.
 *
 * @example
 * const detector = createDetector({ type: "page_hinkley", threshold: 20 });
 */
export function createDetector(entry: {
  readonly type: string;
  readonly [key: string]: unknown;
}): Detector<unknown> {
  const { type, name: _name, ...params } = entry;
  if (!isDetectorName(type)) {
    throw new RangeError(
      `unknown detector type ${JSON.stringify(type)}; known types: ${Object.keys(detectors).join(", ")}`,
    );
  }
  const problems = paramProblems(type, params);
  if (problems.length > 0) {
    throw new RangeError(
      `detector ${type}: ${problems.map((p) => `${p.path || "/"}: ${p.message}`).join("; ")}`,
    );
  }
  return (detectors[type] as AnyDetectorKind).create(params);
}

/**
 * The JSON Schema of one entry of a `detectors:` list: a `type` key naming a registered detector,
 * an optional `name`, plus that detector's params, unknown keys rejected; for the config schema.
 */
export function detectorEntrySchema(): Record<string, unknown> {
  return {
    type: "object",
    required: ["type"],
    discriminator: { propertyName: "type" },
    oneOf: Object.entries(detectors).map(([name, kind]) => {
      const schema = kind.schema as { properties: Record<string, unknown>; description?: string };
      return {
        type: "object",
        description: schema.description,
        properties: {
          type: { const: name },
          name: {
            type: "string",
            pattern: "^[A-Za-z0-9_.:-]{1,64}$",
            description:
              "the detector's name in metrics, logs and alert rules (default: its type); gives one type twice",
          },
          ...schema.properties,
        },
        required: ["type"],
        additionalProperties: false,
      };
    }),
  };
}
