import { strict as assert } from "node:assert";
import { ChecksMonitor, type ChecksMonitorState, type ChecksResult } from "../../src/checks/monitor.js";
import { parseSuite } from "../../src/checks/suite.js";
import type { ChecksMonitorConfig, WindowConfig } from "../../src/config/types.js";

const suite = parseSuite(
  [
    "name: orders",
    "expectations:",
    "  - type: expect_column_pair_values_a_to_be_greater_than_b",
    "    kwargs: { column_A: /price/max, column_B: /price/min }",
    "    dead_letter: true",
    "  - type: expect_table_row_count_to_be_between",
    "    kwargs: { min_value: 3 }",
    "  - type: expect_schema_to_match_reference",
    "  - type: expect_table_columns_to_match_set",
    "    kwargs: { column_set: [id, price], exact_match: true }",
    "  - type: expect_event_time_lag_to_be_less_than",
    "    kwargs: { max_lag_secs: 60 }",
  ].join("\n"),
  "orders.yaml",
  "orders",
);

const config: ChecksMonitorConfig = {
  type: "checks",
  source: "orders",
  suite: "orders.yaml",
  window: { type: "tumbling", events: 4 },
  id: "/id",
};

const event = (id: number, max: number, min: number, extra?: Record<string, unknown>) => ({
  id: `o-${id}`,
  price: { max, min },
  ...extra,
});

function monitor(state?: ChecksMonitorState, window: WindowConfig = config.window as WindowConfig) {
  return new ChecksMonitor("orders-checks", config, suite, window, {}, null, state);
}

function feed(m: ChecksMonitor, events: readonly unknown[], from = 0): ChecksResult[] {
  return events.flatMap((e, i) =>
    m.add(e, 10_000 + (from + i) * 1000, 10_000 + (from + i) * 1000 - 5000, {
      position: { key: "orders/0", offset: from + i },
      id: m.idOf(e),
    }),
  );
}

const stream = [
  event(1, 10, 5),
  event(2, 12, 6),
  event(3, 3, 9),
  event(4, 20, 1),
  event(5, 5, 4),
  event(6, 7, 2, { coupon: "X" }),
  event(7, 9, 1),
  event(8, 9, 8),
];

describe("checks/monitor", () => {
  it("judges dead_letter expectations per event, before any state changes", () => {
    const m = monitor();
    assert.deepEqual(m.rejects(event(1, 10, 5)), []);
    assert.deepEqual(m.rejects(event(3, 3, 9)), ["expect_column_pair_values_a_to_be_greater_than_b"]);
    assert.deepEqual(m.rejects({ id: "x" }), [], "both values missing: out of the domain, GE's default");
    assert.equal(m.state.window.open, null, "rejects() keeps no state");
  });

  it("evaluates the suite per window with the stream context", () => {
    const results = feed(monitor(), stream);
    assert.equal(results.length, 2);
    const [first, second] = results;
    assert.deepEqual(first.window.offsets, { "orders/0": [0, 3] });
    assert.deepEqual(first.window.sample_ids, ["o-1", "o-2", "o-3", "o-4"]);
    const pair = first.validation.results[0];
    assert.equal(pair.success, false);
    assert.equal(pair.result.unexpected_count, 1);
    assert.deepEqual(pair.result.partial_unexpected_list, [[3, 9]]);
    // The first window is the schema's reference; the second adds /coupon.
    assert.equal(first.validation.results[2].result.details?.warming_up, true);
    assert.equal(second.validation.results[2].success, false);
    assert.deepEqual(
      (second.validation.results[2].result.observed_value as { new_fields: string[] }).new_fields,
      ["/coupon"],
    );
    assert.equal(first.validation.results[3].success, true);
    assert.equal(second.validation.results[3].success, false, "coupon is a new top-level column");
    assert.deepEqual([...(second.validation.results[3].result.observed_value as string[])].sort(), [
      "coupon",
      "id",
      "price",
    ]);
    assert.equal(first.validation.results[4].result.observed_value, 5, "event time 5 s behind arrival");
  });

  it("tallies row-level expectations as events arrive instead of keeping their columns", () => {
    const m = monitor();
    feed(m, stream.slice(0, 3));
    const features = (m.state.window.open as { features: Record<string, { kind: string }> }).features;
    assert.deepEqual(
      Object.entries(features)
        .map(([k, f]) => `${JSON.stringify(k)}:${f.kind}`)
        .sort(),
      [
        '"\\u00010":tally',
        '"\\u0000keys":categorical',
        '"\\u0000lag":raw',
        '"\\u0000shape":categorical',
      ].sort(),
    );
    const tally = features["\u00010"] as unknown as { element: number; unexpected: number; index: unknown[] };
    assert.deepEqual(
      [tally.element, tally.unexpected, tally.index],
      [3, 1, ["o-3"]],
      "the event id is the index",
    );
  });

  it("continues from a checkpointed state exactly as an uninterrupted run", () => {
    const whole = feed(monitor(), stream);
    const a = monitor();
    const before = feed(a, stream.slice(0, 3));
    const state = JSON.parse(JSON.stringify(a.state)) as ChecksMonitorState;
    const b = monitor(state);
    const after = feed(b, stream.slice(3), 3);
    const strip = (rs: ChecksResult[]) => rs.map((r) => ({ ...r, duration_secs: 0 }));
    assert.deepEqual(strip([...before, ...after]), strip(whole));
  });

  it("counts silence before the first event from the monitor's start", () => {
    const silent = parseSuite(
      "expectations:\n  - type: expect_time_since_last_event_to_be_less_than\n    kwargs: { max_secs: 60 }\n",
      "silent.yaml",
      "silent",
    );
    const m = new ChecksMonitor(
      "quiet",
      config,
      silent,
      config.window as WindowConfig,
      {},
      null,
      undefined,
      1_000_000,
    );
    const early = m.tick(1_000_000 + 30_000)[0].validation.results[0];
    assert.deepEqual([early.success, early.result.observed_value], [true, 30]);
    const late = m.tick(1_000_000 + 90_000)[0].validation.results[0];
    assert.deepEqual([late.success, late.result.observed_value], [false, 90]);
  });

  it("sliding windows share the drift monitors' panes", () => {
    const m = monitor(undefined, { type: "sliding", events: 4, step_events: 2 });
    const results = feed(m, stream);
    assert.deepEqual(
      results.map((r) => r.window.offsets["orders/0"]),
      [
        [0, 3],
        [2, 5],
        [4, 7],
      ],
    );
    assert.deepEqual(
      results.map((r) => r.validation.results[0].result.unexpected_count),
      [1, 1, 0],
    );
  });
});
