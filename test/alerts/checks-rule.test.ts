import assert from "node:assert/strict";
import { evaluateRules, type RuleInput } from "../../src/alerts/rules.js";
import type { AlertRuleConfig, RulesState } from "../../src/alerts/types.js";
import { checksKind } from "../../src/checks/kind.js";
import { ChecksMonitor, type ChecksResult } from "../../src/checks/monitor.js";
import { parseSuite } from "../../src/checks/suite.js";

const suite = parseSuite(
  [
    "name: orders",
    "expectations:",
    "  - type: expect_column_pair_values_a_to_be_greater_than_b",
    "    kwargs: { column_A: max, column_B: min }",
    "  - type: expect_table_row_count_to_be_between",
    "    kwargs: { min_value: 3 }",
    "    severity: warn",
    "  - type: expect_time_since_last_event_to_be_less_than",
    "    kwargs: { max_secs: 60 }",
  ].join("\n"),
  "orders.yaml",
  "orders",
);

/** Real results of a checks monitor: windows of 2 events, the first with max < min once. */
function results(): { windows: ChecksResult[]; monitor: ChecksMonitor } {
  const monitor = new ChecksMonitor(
    "orders-checks",
    {
      type: "checks",
      source: "orders",
      suite: "orders.yaml",
      window: { type: "tumbling", events: 2 },
      id: "/id",
    },
    suite,
    { type: "tumbling", events: 2 },
    {},
    null,
  );
  const events = [
    { id: "a", max: 1, min: 5 },
    { id: "b", max: 9, min: 2 },
    { id: "c", max: 0, min: 3 },
    { id: "d", max: 4, min: 1 },
    { id: "e", max: 4, min: 1 },
    { id: "f", max: 4, min: 1 },
  ];
  const windows = events.flatMap((e, i) =>
    monitor.add(e, 1000 * i, null, { position: { key: "orders/0", offset: i }, id: monitor.idOf(e) }),
  );
  return { windows, monitor };
}

function run(rules: AlertRuleConfig[], inputs: RuleInput[]) {
  let state: RulesState = {};
  return inputs.map((input) => {
    const out = evaluateRules("orders-checks", rules, input, state);
    state = out.state;
    return out;
  });
}

describe("alerts/rules: expectation_failed", () => {
  it("raises one condition per failing fail-severity expectation, with its observation and window", () => {
    const { windows } = results();
    assert.equal(windows.length, 3);
    const [first] = run([{ type: "expectation_failed" }], [{ kind: checksKind, result: windows[0] }]);
    const conditions = first.sets[0].conditions;
    assert.equal(conditions.length, 1, "the warn-severity row count is left out");
    const c = conditions[0];
    assert.deepEqual(c.labels, {
      alertname: "ExpectationFailed",
      monitor: "orders-checks",
      severity: "warning",
      expectation: "expect_column_pair_values_a_to_be_greater_than_b",
      feature: "max,min",
    });
    assert.equal(c.annotations.unexpected_count, "1");
    assert.equal(c.annotations.partial_unexpected_list, "[[1,5]]");
    assert.equal(c.annotations.offsets, "orders/0 0-1");
    assert.equal(c.annotations.sample_ids, "a, b");
    assert.match(c.annotations.description, /1 unexpected of 2 \(50% of non-missing\)/);
    assert.equal(c.value, 50);
  });

  it("honours include_warn, expectations and consecutive_windows", () => {
    const { windows } = results();
    const input = (r: ChecksResult): RuleInput => ({ kind: checksKind, result: r });
    const warn = run([{ type: "expectation_failed", include_warn: true }], [input(windows[0])]);
    assert.deepEqual(warn[0].sets[0].conditions.map((c) => c.labels.expectation).sort(), [
      "expect_column_pair_values_a_to_be_greater_than_b",
      "expect_table_row_count_to_be_between",
    ]);
    const only = run(
      [{ type: "expectation_failed", expectations: ["expect_table_row_count_to_be_between"] }],
      [input(windows[0])],
    );
    assert.deepEqual(only[0].sets[0].conditions, [], "the listed one is warn-severity");
    // Windows 0 and 1 both have a max below its min; window 2 has none.
    const twice = run([{ type: "expectation_failed", consecutive_windows: 2 }], windows.map(input));
    assert.deepEqual(
      twice.map((o) => o.sets[0].conditions.length),
      [0, 1, 0],
    );
    assert.equal(twice[1].sets[0].conditions[0].annotations.consecutive_windows, "2");
  });

  it("judges clock-driven expectations in a condition set of their own", () => {
    const { windows, monitor } = results();
    const [tick] = monitor.tick(10 * 60_000);
    assert.equal(tick.trigger, "tick");
    assert.equal(tick.validation.results.length, 1);
    assert.equal(tick.validation.results[0].success, false, "ten minutes without an event");
    const out = run(
      [{ type: "expectation_failed" }],
      [
        { kind: checksKind, result: windows[0] },
        { kind: checksKind, result: tick },
      ],
    );
    // The window's set keeps the pair's condition; the clock's set holds the silence.
    assert.equal(out[0].sets[0].rule, "orders-checks/alerts/0");
    assert.deepEqual(
      out[0].sets[0].conditions.map((c) => c.labels.expectation),
      ["expect_column_pair_values_a_to_be_greater_than_b"],
    );
    assert.equal(out[1].sets[0].rule, "orders-checks/alerts/0/clock");
    assert.deepEqual(
      out[1].sets[0].conditions.map((c) => c.labels.expectation),
      ["expect_time_since_last_event_to_be_less_than"],
    );
    assert.equal(out[1].sets[0].conditions[0].annotations.window_index, undefined);
    assert.equal(out[1].sets[0].conditions[0].value, 600 - 5, "seconds since the last event");
  });
});
