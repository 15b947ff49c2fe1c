import { strict as assert } from "node:assert";
import { compileExpectation } from "../../src/checks/engine.js";
import { fieldsOf, shapeOf } from "../../src/checks/expectations/stream.js";
import { ColumnTable } from "../../src/checks/table.js";
import type { StreamContext } from "../../src/checks/types.js";

function run(type: string, kwargs: Record<string, unknown>, rows: number, context: StreamContext) {
  return compileExpectation({ type, kwargs }).evaluate(new ColumnTable(rows, {}, [], false, context));
}

const base: StreamContext = { now: 1_000_000, last_arrival: 990_000 };

describe("checks/expectations/stream", () => {
  it("freshness: event-time lag against max_lag_secs, with mostly", () => {
    const lag_secs = [1, 2, 3, 60, null];
    const strict = run("expect_event_time_lag_to_be_less_than", { max_lag_secs: 10 }, 5, {
      ...base,
      lag_secs,
    });
    assert.equal(strict.success, false);
    assert.equal(strict.result.observed_value, 60);
    assert.deepEqual(
      { late: strict.result.details?.late, with: strict.result.details?.events_with_time },
      { late: 1, with: 4 },
    );
    const tolerant = run("expect_event_time_lag_to_be_less_than", { max_lag_secs: 10, mostly: 0.75 }, 5, {
      ...base,
      lag_secs,
    });
    assert.equal(tolerant.success, true);
  });

  it("freshness: time since the last event, none yet fails", () => {
    assert.equal(
      run("expect_time_since_last_event_to_be_less_than", { max_secs: 30 }, 0, base).success,
      true,
    );
    const stale = run("expect_time_since_last_event_to_be_less_than", { max_secs: 5 }, 0, base);
    assert.equal(stale.success, false);
    assert.equal(stale.result.observed_value, 10);
    const never = run("expect_time_since_last_event_to_be_less_than", { max_secs: 5 }, 0, {
      ...base,
      last_arrival: null,
    });
    assert.equal(never.success, false);
  });

  it("shapes: leaves by JSON pointer with their JSON types (escaped keys, arrays as leaves, one number type)", () => {
    const shape = shapeOf({ a: 1, b: { "c/d": "x", e: null, f: [1, 2] }, g: 1.5, h: {}, i: 2 });
    const fields = fieldsOf([shape, shapeOf({ a: "1" })]);
    assert.deepEqual(Object.fromEntries([...fields].map(([f, t]) => [f, [...t].sort()])), {
      "/a": ["number", "string"],
      "/b/c~1d": ["string"],
      "/b/e": ["null"],
      "/b/f": ["array"],
      "/g": ["number"],
      "/h": ["object"],
      "/i": ["number"],
    });
  });

  it("schema change: new, missing and retyped fields against the reference", () => {
    const reference_fields = fieldsOf([shapeOf({ id: 1, price: 1.5, tags: ["a"] })]);
    const fields = fieldsOf([shapeOf({ id: "7", price: null, extra: true })]);
    const result = run("expect_schema_to_match_reference", {}, 1, { ...base, fields, reference_fields });
    assert.equal(result.success, false);
    assert.deepEqual(result.result.observed_value, {
      new_fields: ["/extra"],
      missing_fields: ["/tags"],
      type_changes: [{ field: "/id", reference: ["number"], observed: ["string"] }],
    });
    const allowed = run(
      "expect_schema_to_match_reference",
      { allow_new_fields: true, allow_missing_fields: true, ignore: ["/id"] },
      1,
      { ...base, fields, reference_fields },
    );
    assert.equal(allowed.success, true, "a null value is no type change, /id is ignored");
    const warming = run("expect_schema_to_match_reference", {}, 1, {
      ...base,
      fields,
      reference_fields: null,
    });
    assert.equal(warming.success, true);
    assert.equal(warming.result.details?.warming_up, true);
  });

  it("volume: warms up, then bounds by mean ± k·stdev of recent windows", () => {
    const kwargs = { history_windows: 10, min_history: 3, k: 2, min_relative_width: 0 };
    const warm = run("expect_window_event_count_to_be_within_history", kwargs, 100, {
      ...base,
      history: [100, 110],
      window_secs: 60,
    });
    assert.equal(warm.success, true);
    assert.equal(warm.result.details?.warming_up, true);
    const history = [90, 100, 110];
    // mean 100, sample stdev 10 → [80, 120]
    const ok = run("expect_window_event_count_to_be_within_history", kwargs, 119, {
      ...base,
      history,
      window_secs: 60,
    });
    assert.equal(ok.success, true);
    assert.equal(ok.result.details?.lower, 80);
    assert.equal(ok.result.details?.upper, 120);
    const low = run("expect_window_event_count_to_be_within_history", kwargs, 79, {
      ...base,
      history,
      window_secs: 60,
    });
    assert.equal(low.success, false);
    const counted = run("expect_window_event_count_to_be_within_history", kwargs, 79, {
      ...base,
      history,
      window_secs: null,
    });
    assert.equal(counted.exception_info.raised_exception, true, "count windows always hold the same count");
  });
});
