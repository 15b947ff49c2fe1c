import assert from "node:assert/strict";
import fc from "fast-check";
import { fingerprint } from "../../src/alerts/fingerprint.js";
import { AlertEngine } from "../../src/alerts/lifecycle.js";
import { evaluateRules } from "../../src/alerts/rules.js";
import type { Alert, Condition, ConditionSet } from "../../src/alerts/types.js";
import { driftKind } from "../../src/drift/kind.js";
import { column, driftResult, T0 } from "./fixtures.js";

const SEC = 1000;

function cond(feature: string, for_secs = 0, p = "0.001"): Condition {
  return {
    labels: { alertname: "FeatureDrift", monitor: "orders", severity: "warning", feature },
    annotations: { summary: `feature "${feature}" drifted`, p_value: p },
    value: 0.3,
    for_secs,
    generatorURL: "",
  };
}

const set = (...conditions: Condition[]): ConditionSet[] => [{ rule: "orders/alerts/0", conditions }];

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

describe("alerts/lifecycle", () => {
  it("waits in pending for for_secs, then fires and sends once", () => {
    const engine = new AlertEngine({ repeat_interval_secs: 3600 });
    let out = engine.evaluate(set(cond("amount", 300)), T0);
    assert.deepEqual(out.send, []);
    assert.deepEqual(
      out.transitions.map((t) => [t.from, t.to]),
      [["inactive", "pending"]],
    );
    out = engine.evaluate(set(cond("amount", 300)), T0 + 299 * SEC);
    assert.deepEqual(out.send, []);
    out = engine.evaluate([], T0 + 300 * SEC);
    assert.deepEqual(
      out.transitions.map((t) => [t.from, t.to]),
      [["pending", "firing"]],
    );
    assert.equal(out.send.length, 1);
    assert.equal(out.send[0].startsAt, "2024-05-01T00:05:00.000Z");
    assert.equal(out.send[0].endsAt, "2024-05-01T04:05:00.000Z", "send time + 4 × repeat_interval_secs");
    assert.deepEqual(
      engine.evaluate([], T0 + 600 * SEC).send,
      [],
      "not sent again before the repeat interval",
    );
  });

  it("fires at once when for_secs is 0", () => {
    const engine = new AlertEngine();
    const out = engine.evaluate(set(cond("amount")), T0);
    assert.deepEqual(
      out.transitions.map((t) => t.to),
      ["pending", "firing"],
    );
    assert.equal(out.send.length, 1);
    assert.equal(out.send[0].startsAt, "2024-05-01T00:00:00.000Z");
  });

  it("repeats a firing alert once its last send is repeat_interval_secs old, with the latest annotations", () => {
    const engine = new AlertEngine({ repeat_interval_secs: 60 });
    engine.evaluate(set(cond("amount")), T0);
    assert.deepEqual(engine.evaluate(set(cond("amount", 0, "0.0001")), T0 + 59 * SEC).send, []);
    const repeat = engine.evaluate([], T0 + 60 * SEC).send;
    assert.equal(repeat.length, 1);
    assert.equal(repeat[0].startsAt, "2024-05-01T00:00:00.000Z", "startsAt stays at the first firing");
    assert.equal(repeat[0].endsAt, "2024-05-01T00:05:00.000Z");
    assert.equal(repeat[0].annotations.p_value, "0.0001");
    assert.deepEqual(engine.evaluate([], T0 + 119 * SEC).send, []);
    assert.equal(engine.evaluate([], T0 + 120 * SEC).send.length, 1);
  });

  it("sends a resolved alert exactly once, with endsAt at the resolution", () => {
    const engine = new AlertEngine();
    engine.evaluate(set(cond("amount")), T0);
    const out = engine.evaluate(set(), T0 + 90 * SEC);
    assert.deepEqual(
      out.transitions.map((t) => [t.from, t.to]),
      [["firing", "resolved"]],
    );
    assert.equal(out.send.length, 1);
    assert.equal(out.send[0].startsAt, "2024-05-01T00:00:00.000Z");
    assert.equal(out.send[0].endsAt, "2024-05-01T00:01:30.000Z");
    assert.deepEqual(engine.evaluate(set(), T0 + 100 * SEC).send, []);
    assert.deepEqual(engine.evaluate([], T0 + 7200 * SEC).send, []);
    assert.deepEqual(engine.state.alerts, {});
  });

  it("drops a pending alert silently when its condition ends before for_secs", () => {
    const engine = new AlertEngine();
    engine.evaluate(set(cond("amount", 300)), T0);
    const out = engine.evaluate(set(), T0 + 100 * SEC);
    assert.deepEqual(out.send, []);
    assert.deepEqual(
      out.transitions.map((t) => [t.from, t.to]),
      [["pending", "inactive"]],
    );
    assert.deepEqual(engine.evaluate(set(cond("amount", 300)), T0 + 200 * SEC).send, []);
    assert.equal(
      engine.evaluate([], T0 + 499 * SEC).send.length,
      0,
      "pending restarts from the new activation",
    );
    assert.equal(engine.evaluate([], T0 + 500 * SEC).send.length, 1);
  });

  it("deduplicates conditions by label set, whatever the key order or which rule reports them", () => {
    const engine = new AlertEngine();
    const a = cond("amount");
    const reordered: Condition = {
      ...a,
      labels: { feature: "amount", severity: "warning", monitor: "orders", alertname: "FeatureDrift" },
    };
    const out = engine.evaluate(
      [
        { rule: "orders/alerts/0", conditions: [a, reordered] },
        { rule: "orders/alerts/1", conditions: [a] },
      ],
      T0,
    );
    assert.equal(out.send.length, 1);
    assert.equal(Object.keys(engine.state.alerts).length, 1);
    // Still active while one of the two rules reports it.
    assert.deepEqual(engine.evaluate([{ rule: "orders/alerts/1", conditions: [] }], T0 + SEC).send, []);
    assert.equal(engine.evaluate([{ rule: "orders/alerts/0", conditions: [] }], T0 + 2 * SEC).send.length, 1);
  });

  it("keeps a rule's conditions until the rule reports again", () => {
    const engine = new AlertEngine();
    engine.evaluate(set(cond("amount")), T0);
    engine.evaluate([{ rule: "other/alerts/0", conditions: [] }], T0 + SEC);
    assert.equal(engine.firing(T0 + SEC).length, 1);
  });

  it("resolves the alerts of rules dropped by retain", () => {
    const engine = new AlertEngine();
    engine.evaluate(set(cond("amount")), T0);
    engine.retain(["orders/alerts/1"]);
    const out = engine.evaluate([], T0 + SEC);
    assert.equal(out.send.length, 1);
    assert.equal(out.send[0].endsAt, "2024-05-01T00:00:01.000Z");
  });

  it("counts pending and firing alerts per alertname, keeping zeros for names seen before", () => {
    const engine = new AlertEngine();
    const silent: Condition = {
      ...cond("x", 60),
      labels: { alertname: "SourceSilent", monitor: "orders", source: "s" },
    };
    engine.evaluate(
      [
        { rule: "r0", conditions: [cond("amount"), cond("country")] },
        { rule: "r1", conditions: [silent] },
      ],
      T0,
    );
    assert.deepEqual(engine.countByState(), [
      { alertname: "FeatureDrift", state: "pending", count: 0 },
      { alertname: "FeatureDrift", state: "firing", count: 2 },
      { alertname: "SourceSilent", state: "pending", count: 1 },
      { alertname: "SourceSilent", state: "firing", count: 0 },
    ]);
    engine.evaluate([{ rule: "r0", conditions: [] }], T0 + SEC);
    assert.equal(
      engine.countByState().find((r) => r.alertname === "FeatureDrift" && r.state === "firing")?.count,
      0,
    );
  });

  it("sends alerts shaped for Alertmanager: RFC 3339 times and string-only labels and annotations", () => {
    const engine = new AlertEngine({ repeat_interval_secs: 60 });
    const rules = evaluateRules(
      "orders",
      [{ type: "feature_drift" }],
      {
        kind: driftKind,
        result: driftResult(2, [column("amount", "ks", 0.31, 1e-6, 0.05, true)]),
      },
      {},
    );
    const sent: Alert[] = [...engine.evaluate(rules.sets, T0).send, ...engine.evaluate(set(), T0 + SEC).send];
    assert.equal(sent.length, 2);
    for (const alert of sent) {
      assert.deepEqual(Object.keys(alert).sort(), [
        "annotations",
        "endsAt",
        "generatorURL",
        "labels",
        "startsAt",
      ]);
      assert.match(alert.startsAt, RFC3339);
      assert.match(alert.endsAt, RFC3339);
      assert.equal(typeof alert.generatorURL, "string");
      for (const v of [...Object.values(alert.labels), ...Object.values(alert.annotations)])
        assert.equal(typeof v, "string");
      for (const name of Object.keys(alert.labels)) assert.match(name, /^[a-zA-Z_][a-zA-Z0-9_]*$/);
      assert.ok(Date.parse(alert.endsAt) >= Date.parse(alert.startsAt));
    }
    assert.ok(JSON.parse(JSON.stringify(sent)));
  });

  it("rejects a resolve timeout that would let an Alertmanager resolve alerts between sends", () => {
    assert.throws(
      () => new AlertEngine({ repeat_interval_secs: 600, resolve_timeout_secs: 300 }),
      /must exceed/,
    );
    assert.throws(() => new AlertEngine({ repeat_interval_secs: 0 }), /must be > 0/);
  });

  it("continues identically from its state after a JSON round trip", () => {
    const features = ["amount", "country", "basket"];
    const step = fc.record({
      dt: fc.integer({ min: 0, max: 2000 }),
      sets: fc.array(
        fc.record({
          rule: fc.constantFrom("r0", "r1"),
          active: fc.subarray(features),
          p: fc.constantFrom("0.01", "0.001"),
        }),
        { maxLength: 2 },
      ),
    });
    const toSets = (s: { sets: { rule: string; active: string[]; p: string }[] }): ConditionSet[] =>
      s.sets.map((x) => ({
        rule: x.rule,
        conditions: x.active.map((f) => cond(f, f === "amount" ? 0 : 120, x.p)),
      }));
    fc.assert(
      fc.property(fc.array(step, { maxLength: 30 }), fc.nat(30), (steps, cut) => {
        const options = { repeat_interval_secs: 300 };
        const straight = new AlertEngine(options);
        let resumed = new AlertEngine(options);
        let now = T0;
        steps.forEach((s, i) => {
          now += s.dt * SEC;
          if (i === cut) resumed = new AlertEngine(options, JSON.parse(JSON.stringify(resumed.state)));
          const a = straight.evaluate(toSets(s), now);
          const b = resumed.evaluate(toSets(s), now);
          assert.deepEqual(b, a);
        });
        assert.deepEqual(resumed.state, straight.state);
        assert.deepEqual(
          resumed.countByState().filter((r) => r.count > 0),
          straight.countByState().filter((r) => r.count > 0),
        );
      }),
      { numRuns: 300 },
    );
  });

  it("sends every firing alert exactly once as resolved over any condition sequence", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ dt: fc.integer({ min: 0, max: 400 }), active: fc.subarray(["a", "b"]) }), {
          maxLength: 40,
        }),
        (steps) => {
          const engine = new AlertEngine({ repeat_interval_secs: 100 });
          let now = T0;
          const firing = new Set<string>();
          for (const s of [...steps, { dt: 1, active: [] as string[] }]) {
            now += s.dt * SEC;
            const out = engine.evaluate(set(...s.active.map((f) => cond(f, 60))), now);
            for (const alert of out.send) {
              const fp = fingerprint(alert.labels);
              if (Date.parse(alert.endsAt) === now) {
                assert.ok(firing.delete(fp), "resolved only what was firing");
              } else {
                firing.add(fp);
                assert.ok(Date.parse(alert.endsAt) > now);
              }
            }
          }
          assert.equal(firing.size, 0, "everything that fired was resolved");
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("alerts/fingerprint", () => {
  it("ignores key order and tells label sets apart", () => {
    assert.equal(fingerprint({ a: "1", b: "2" }), fingerprint({ b: "2", a: "1" }));
    assert.notEqual(fingerprint({ a: "1", b: "2" }), fingerprint({ a: "12" }));
    assert.notEqual(fingerprint({ a: "1" }), fingerprint({ a: "2" }));
    assert.match(fingerprint({}), /^[0-9a-f]{16}$/);
  });

  it("is FNV-1a 64 as Prometheus computes it", () => {
    // The empty label set hashes no bytes, leaving the offset basis; Go's hash/fnv New64a gives
    // 0xd2b371819297f98a for "a\xffb\xff" (name a, value b), the bytes of { a: "b" }.
    assert.equal(fingerprint({}), "cbf29ce484222325");
    assert.equal(fingerprint({ a: "b" }), "d2b371819297f98a");
  });
});
