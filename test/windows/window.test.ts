import { strict as assert } from "node:assert";
import fc from "fast-check";
import type { WindowConfig } from "../../src/config/types.js";
import {
  emptyFeatureState,
  type FeatureState,
  mergeFeatureStates,
  updateFeatureState,
} from "../../src/windows/feature-state.js";
import { type ClosedWindow, Windower } from "../../src/windows/window.js";

const kinds = { x: "numeric", c: "categorical" } as const;

function values(window: ClosedWindow): number[] {
  const x = window.features.x;
  return x.kind === "numeric" ? [...x.values] : [];
}

function feed(w: Windower, xs: number[], time: (i: number) => number = () => 0): ClosedWindow[] {
  return xs.flatMap((x, i) => w.add({ x, c: x % 2 ? "odd" : "even" }, time(i), time(i)));
}

describe("Windower", () => {
  it("closes a tumbling count window on the event that fills it", () => {
    const w = new Windower({ type: "tumbling", events: 3 }, kinds);
    const out = feed(w, [1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual(out.map(values), [
      [1, 2, 3],
      [4, 5, 6],
    ]);
    assert.deepEqual(
      out.map((o) => o.index),
      [0, 1],
    );
    assert.deepEqual(w.current().events, 1);
  });

  it("slides a count window by its step once it is full", () => {
    const w = new Windower({ type: "sliding", events: 4, step_events: 2 }, kinds);
    assert.deepEqual(feed(w, [1, 2, 3, 4, 5, 6, 7, 8]).map(values), [
      [1, 2, 3, 4],
      [3, 4, 5, 6],
      [5, 6, 7, 8],
    ]);
  });

  it("flushes the open window as it stands at the end of input, once, and nothing when it is empty", () => {
    const tumbling = new Windower({ type: "tumbling", events: 3 }, kinds);
    feed(tumbling, [1, 2, 3, 4, 5]);
    const last = tumbling.flush();
    assert.deepEqual(last && values(last), [4, 5]);
    assert.equal(last?.index, 1);
    assert.equal(tumbling.flush(), null, "a flushed window is closed");
    feed(tumbling, [6, 7, 8]);
    assert.equal(tumbling.flush(), null, "a full window closed on its own");
    // A sliding window's flush covers its closed panes in range and the open one, like a full window.
    const sliding = new Windower({ type: "sliding", events: 4, step_events: 2 }, kinds);
    assert.equal(feed(sliding, [1, 2, 3, 4, 5]).length, 1);
    const partial = sliding.flush();
    assert.deepEqual(partial && values(partial), [3, 4, 5]);
    assert.deepEqual(feed(sliding, [6, 7]).map(values), [[5, 6, 7]]);
  });

  it("closes event-time windows when a later event arrives and counts late events", () => {
    const w = new Windower({ type: "tumbling", duration_secs: 10, time: "event" }, kinds);
    const times = [1000, 5000, 9999, 10000, 3000, 25000];
    const out = feed(w, [1, 2, 3, 4, 5, 6], (i) => times[i]);
    assert.deepEqual(out.map(values), [[1, 2, 3], [4]]);
    assert.deepEqual(
      out.map((o) => [o.start, o.end, o.first_time, o.last_time]),
      [
        [0, 10000, 1000, 9999],
        [10000, 20000, 10000, 10000],
      ],
    );
    assert.equal(w.state.late, 1, "the event at 3 s arrived after its window closed");
  });

  it("closes processing-time windows on tick even when no event arrives", () => {
    const w = new Windower({ type: "tumbling", duration_secs: 1 }, kinds);
    assert.ok(w.processingTime);
    feed(w, [1, 2], () => 100);
    assert.deepEqual(w.tick(999), []);
    assert.deepEqual(w.tick(1000).map(values), [[1, 2]]);
    assert.deepEqual(w.tick(5000), []);
  });

  it("slides a time window over empty steps and forgets panes after a long gap", () => {
    const w = new Windower({ type: "sliding", duration_secs: 3, step_secs: 1, time: "event" }, kinds);
    const times = [0, 1000, 2000, 3000, 5500, 60000];
    const out = feed(w, [1, 2, 3, 4, 5, 6], (i) => times[i]);
    assert.deepEqual(out.map(values), [
      [1, 2, 3],
      [2, 3, 4],
      [3, 4],
      [4, 5],
    ]);
    assert.equal(w.state.closed.length, 0, "a gap longer than the window empties it");
  });

  it("continues from a JSON round trip of its state exactly as without it", () => {
    const configs: WindowConfig[] = [
      { type: "tumbling", events: 5 },
      { type: "sliding", events: 6, step_events: 2 },
      { type: "tumbling", duration_secs: 2, time: "event" },
      { type: "sliding", duration_secs: 4, step_secs: 2, time: "event" },
    ];
    for (const config of configs) {
      fc.assert(
        fc.property(fc.array(fc.integer({ min: -50, max: 50 }), { maxLength: 60 }), fc.nat(60), (xs, cut) => {
          const time = (i: number): number => i * 700;
          const straight = new Windower(config, kinds);
          const expected = feed(straight, xs, time);
          const first = new Windower(config, kinds);
          const head = xs.slice(0, cut);
          const out = feed(first, head, time);
          const resumed = new Windower(config, kinds, JSON.parse(JSON.stringify(first.state)));
          out.push(
            ...xs
              .slice(cut)
              .flatMap((x, j) => resumed.add({ x, c: x % 2 ? "odd" : "even" }, time(cut + j), time(cut + j))),
          );
          assert.deepEqual(out, expected);
        }),
        { numRuns: 50 },
      );
    }
  });
});

describe("feature state", () => {
  const numericValue = fc.oneof(
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.constant(null),
    fc.constant("text"),
  );
  const categoricalValue = fc.oneof(
    fc.constantFrom("a", "b", "c"),
    fc.integer({ max: 3, min: 0 }),
    fc.boolean(),
    fc.constant(undefined),
    fc.constant({}),
  );

  function pass(kind: "numeric" | "categorical", xs: unknown[]): FeatureState {
    const state = emptyFeatureState(kind);
    for (const x of xs) updateFeatureState(state, x);
    return state;
  }

  it("merges two states into exactly the state of one pass over both inputs", () => {
    for (const [kind, value] of [
      ["numeric", numericValue],
      ["categorical", categoricalValue],
    ] as const) {
      fc.assert(
        fc.property(
          fc.array(value as fc.Arbitrary<unknown>),
          fc.array(value as fc.Arbitrary<unknown>),
          (a, b) => {
            const merged = mergeFeatureStates(pass(kind, a), pass(kind, b));
            assert.deepEqual(
              JSON.parse(JSON.stringify(merged)),
              JSON.parse(JSON.stringify(pass(kind, [...a, ...b]))),
            );
          },
        ),
      );
    }
  });

  it("counts missing and wrongly typed values apart from values", () => {
    const numeric = pass("numeric", [1, null, undefined, "7", Number.POSITIVE_INFINITY, 2]);
    assert.deepEqual(numeric, { kind: "numeric", values: [1, 2], missing: 2, invalid: 2 });
    const categorical = pass("categorical", ["a", 1, true, null, [1], "a"]);
    assert.deepEqual(
      { ...categorical, counts: { ...(categorical as { counts: object }).counts } },
      {
        kind: "categorical",
        counts: { a: 2, "1": 1, true: 1 },
        missing: 1,
        invalid: 1,
      },
    );
  });
});

describe("restored state", () => {
  it("keeps counting categories named like Object.prototype members after a JSON round trip", () => {
    const w = new Windower({ type: "tumbling", events: 4 }, { c: "categorical" });
    w.add({ c: "__proto__" }, 0);
    w.add({ c: "constructor" }, 0);
    const restored = new Windower(
      { type: "tumbling", events: 4 },
      { c: "categorical" },
      JSON.parse(JSON.stringify(w.state)),
    );
    restored.add({ c: "__proto__" }, 0);
    const [window] = restored.add({ c: "toString" }, 0);
    const c = window.features.c;
    const expected = Object.fromEntries([
      ["__proto__", 2],
      ["constructor", 1],
      ["toString", 1],
    ]);
    assert.deepEqual(c.kind === "categorical" ? { ...c.counts } : {}, expected);
  });
});
