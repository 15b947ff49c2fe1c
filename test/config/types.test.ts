import { strict as assert } from "node:assert";
import type { FromSchema } from "json-schema-to-ts";
import { checksConfigSchema, type checksSchema } from "../../src/checks/config.js";
import type {
  ChecksMonitorConfig,
  Config,
  DriftMonitorConfig,
  OutlierMonitorConfig,
  PerformanceMonitorConfig,
} from "../../src/config/types.js";
import type { driftSchema } from "../../src/drift/config.js";
import type { outliersSchema } from "../../src/outliers/config.js";
import type { performanceSchema } from "../../src/performance/config.js";

// Each kind's config type is made from its schema branch (`ConfigOf`); the sub-schemas it marks
// are typed by their owners (windows, thresholds, detectors, alert rules). These checks, done by
// the type checker, hold the owners to the schema: every config the code's types allow is one the
// schema accepts, so a narrowing may never widen.

/** True when every value of A is a value of B. */
type Fits<A, B> = [A] extends [B] ? true : false;

const drift: Fits<DriftMonitorConfig, FromSchema<typeof driftSchema>> = true;
const checks: Fits<ChecksMonitorConfig, FromSchema<typeof checksSchema>> = true;
const outliers: Fits<OutlierMonitorConfig, FromSchema<typeof outliersSchema>> = true;
const performance: Fits<PerformanceMonitorConfig, FromSchema<typeof performanceSchema>> = true;
// And a negative control: a config the schema refuses does not fit it (the check can fail).
const wrong: Fits<
  {
    type: "drift";
    features: string[];
    reference: { type: "first"; events: number };
    window: { type: "hourly" };
  },
  FromSchema<typeof driftSchema>
> = false;

describe("config types", () => {
  it("are narrowings of the schemas the loader applies (checked by the type checker)", () => {
    assert.deepEqual([drift, checks, outliers, performance, wrong], [true, true, true, true, false]);
    // The slot of a kind's alert rules is filled at run time with the rule types' schemas.
    const branch = checksConfigSchema({ type: "array" }) as { properties: Record<string, unknown> };
    assert.deepEqual(branch.properties.alerts, { type: "array" });
    const config: Pick<Config, "monitors"> = { monitors: {} };
    assert.deepEqual(config.monitors, {});
  });
});
