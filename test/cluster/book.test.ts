import { strict as assert } from "node:assert";
import { MergeBook } from "../../src/cluster/book.js";
import {
  decodePartial,
  decodeProgress,
  decodeStateRecord,
  encodeProgress,
  type Partial,
  partialKeys,
  partialRecords,
} from "../../src/cluster/records.js";

/** A partial as an instance publishes it: one numeric feature x with `values`. */
function partial(monitor: string, window: number, partition: number, values: number[], identity = "id-1") {
  return {
    format: "driftwatch-partial",
    version: 1,
    identity,
    monitor,
    window,
    next: window + 1,
    topic: "t",
    partition,
    pane: {
      start: null,
      end: null,
      events: values.length,
      first_time: null,
      last_time: null,
      features: { x: { kind: "numeric", values, missing: 0, invalid: 0 } },
      offsets: { [`t/${partition}`]: [0, values.length - 1] },
      sample_ids: [],
    },
    published_at: 1,
  };
}

const record = (key: string, value: unknown) =>
  decodeStateRecord(
    key,
    value === null ? null : Buffer.from(typeof value === "string" ? value : JSON.stringify(value)),
  );
/** Publishes a partial as an instance does, in records of at most `bytes`; the last rejection, if any. */
const put = (book: MergeBook, p: ReturnType<typeof partial>, bytes = 1 << 20, nonce = "n1") => {
  let last = null;
  for (const r of partialRecords(p as unknown as Partial, nonce, bytes))
    last = book.apply(decodeStateRecord(r.key, r.value)) ?? last;
  return last;
};
/** The merger's mark that window `window` of monitor d is merged. */
const merged = (book: MergeBook, window: number) =>
  book.apply(
    record("merged/d", {
      format: "driftwatch-merged",
      version: 1,
      monitor: "d",
      window,
      outcome: "evaluated",
    }),
  );
/** The key of a partial published in one record. */
const keyOf = (monitor: string, window: number, partition: number) =>
  partialKeys({ monitor, window, partition }, "n1", 1)[0];

describe("cluster merge book", () => {
  const identities = new Map([
    ["d", { identity: "id-1", lateness: null }],
    ["e", { identity: "id-1", lateness: null }],
  ]);

  it("has a window ready once every partition's partial is in, in partition order", () => {
    const book = new MergeBook(identities, 3);
    assert.equal(put(book, partial("d", 0, 2, [3])), null);
    assert.equal(put(book, partial("d", 0, 0, [1])), null);
    assert.equal(book.ready("d"), null, "partition 1 missing");
    assert.deepEqual(book.waiting("d"), { windows: 1, partitions: 1 });
    put(book, partial("d", 0, 1, [2]));
    const ready = book.ready("d");
    assert.equal(ready?.outcome, "evaluated");
    assert.deepEqual(ready?.outcome === "evaluated" ? ready.partials.map((p) => p.partition) : [], [0, 1, 2]);
  });

  it("merges windows in order: a later window waits for the one before", () => {
    const book = new MergeBook(identities, 1);
    put(book, partial("d", 1, 0, [1]));
    assert.equal(book.ready("d"), null);
    put(book, partial("d", 0, 0, [1]));
    assert.equal(book.ready("d")?.window, 0);
    merged(book, 0);
    assert.equal(book.ready("d")?.window, 1);
  });

  it("skips a window one of whose partials cannot be read, and one with another config's partial, saying why", () => {
    const book = new MergeBook(identities, 2);
    put(book, partial("d", 0, 0, [1]));
    const rejection = book.apply(record(keyOf("d", 0, 1), "{not json"));
    assert.equal(rejection?.reason, "undecodable");
    assert.equal(rejection?.monitor, "d");
    assert.equal(rejection?.window, 0);
    const skipped = book.ready("d");
    assert.equal(skipped?.outcome, "skipped");
    assert.match(
      skipped?.outcome === "skipped" ? skipped.why : "",
      /partition 1's partial cannot be read: not JSON/,
    );

    put(book, partial("e", 0, 0, [1]));
    put(book, partial("e", 0, 1, [1], "id-0"));
    const stale = book.ready("e");
    assert.equal(stale?.outcome, "skipped");
    assert.deepEqual(stale?.outcome === "skipped" ? stale.stale.map((r) => r.reason) : [], ["stale_config"]);
  });

  it("lets the last partial of a place win, as compaction keeps it", () => {
    const book = new MergeBook(identities, 1);
    book.apply(record(keyOf("d", 0, 0), "garbage"));
    put(book, partial("d", 0, 0, [1]));
    assert.equal(book.ready("d")?.outcome, "evaluated", "a good partial written after a bad one");
    assert.deepEqual(book.keysOf("d", 0), [keyOf("d", 0, 0)], "one key to tombstone");
  });

  it("counts what it cannot use and keeps the other monitors going", () => {
    const book = new MergeBook(identities, 1);
    assert.equal(put(book, partial("gone", 0, 0, [1]))?.reason, "unknown_monitor");
    merged(book, 3);
    assert.equal(put(book, partial("d", 2, 0, [1]))?.reason, "late");
    assert.equal(
      put(book, partial("d", 0, 5, [1]))?.reason,
      "undecodable",
      "a partition the topic does not have",
    );
    assert.equal(book.apply(record("nonsense", "{}"))?.reason, "undecodable");
    put(book, partial("e", 0, 0, [1]));
    assert.equal(book.ready("e")?.outcome, "evaluated");
    assert.equal(book.next("d"), 4);
  });
});

describe("cluster merge book, event-time windows", () => {
  const timed = new Map([["d", { identity: "id-1", lateness: 2 }]]);
  const at = (window: number, partition: number, next: number) => ({
    ...partial("d", window, partition, [partition]),
    next,
  });

  it("takes a partition whose next partial is past a window as done with it", () => {
    const book = new MergeBook(timed, 3);
    // Partition 2 had no event in windows 5 and 6: its partial of window 4 says its next is 7.
    put(book, at(5, 0, 6));
    put(book, at(5, 1, 6));
    put(book, at(4, 2, 7));
    const first = book.ready("d");
    assert.equal(first?.window, 4);
    assert.deepEqual(first?.outcome === "evaluated" ? first.partials.map((p) => p.partition) : null, [2]);
    assert.deepEqual(first?.outcome === "evaluated" ? first.missing : null, []);
    merged(book, 4);
    const second = book.ready("d");
    assert.equal(second?.window, 5);
    assert.deepEqual(
      second?.outcome === "evaluated" ? second.partials.map((p) => p.partition) : null,
      [0, 1],
    );
  });

  it("waits for a silent partition until another is the lateness bound past the window, then leaves it out", () => {
    const book = new MergeBook(timed, 3);
    put(book, at(5, 0, 6));
    put(book, at(5, 1, 7));
    assert.equal(book.ready("d"), null, "partition 2 may still send window 5");
    put(book, at(6, 0, 8));
    const forced = book.ready("d");
    assert.equal(forced?.window, 5);
    assert.deepEqual(forced?.outcome === "evaluated" ? forced.missing : null, [2]);
    merged(book, 5);
    assert.equal(put(book, at(5, 2, 6))?.reason, "late", "its partial of window 5 comes late");
  });
});

describe("cluster records", () => {
  it("cuts a large partial into records and assembles it from them in any order", () => {
    const p = partial(
      "d",
      4,
      1,
      Array.from({ length: 5000 }, (_, i) => i / 7),
    );
    const records = partialRecords(p as unknown as Partial, "n2", 4096);
    assert.ok(records.length > 5, `${records.length} records`);
    assert.ok(records.every((r) => r.value.length <= 4096));
    const book = new MergeBook(new Map([["d", { identity: "id-1", lateness: null }]]), 2);
    merged(book, 3);
    for (const r of [...records].reverse()) assert.equal(book.apply(decodeStateRecord(r.key, r.value)), null);
    put(book, partial("d", 4, 0, [1]));
    const ready = book.ready("d");
    assert.equal(ready?.outcome, "evaluated");
    assert.deepEqual(
      ready?.outcome === "evaluated"
        ? (ready.partials[1].pane.features.x as unknown as { values: number[] }).values.length
        : 0,
      5000,
    );
    assert.equal(book.keysOf("d", 4).length, records.length + 1);
  });

  it("never mixes the records of two publications of one place", () => {
    const book = new MergeBook(new Map([["d", { identity: "id-1", lateness: null }]]), 1);
    const a = partialRecords(partial("d", 0, 0, [1, 2, 3]) as unknown as Partial, "aaaa", 64);
    const b = partialRecords(partial("d", 0, 0, [1, 2, 3]) as unknown as Partial, "bbbb", 64);
    // All of a's records but its last, then all of b's: b's partial is whole, a's never is.
    for (const r of [...a.slice(0, -1), ...b]) book.apply(decodeStateRecord(r.key, r.value));
    assert.equal(book.ready("d")?.outcome, "evaluated");
  });

  it("reads back a partial it wrote, and refuses one whose key disagrees with it", () => {
    const p = partial("d", 4, 1, [1, 2]);
    const bytes = Buffer.from(JSON.stringify(p));
    assert.ok("partial" in decodePartial({ monitor: "d", window: 4, partition: 1 }, bytes));
    const moved = decodePartial({ monitor: "d", window: 5, partition: 1 }, bytes);
    assert.match("bad" in moved ? moved.bad : "", /differs from its key/);
  });

  it("refuses a partial of another version, and a feature state that is not one", () => {
    const place = { monitor: "d", window: 0, partition: 0 };
    const v2 = decodePartial(place, Buffer.from(JSON.stringify({ ...partial("d", 0, 0, [1]), version: 2 })));
    assert.ok("bad" in v2);
    const broken = partial("d", 0, 0, [1]);
    (broken.pane.features.x as { values: unknown }).values = ["1"];
    const read = decodePartial(place, Buffer.from(JSON.stringify(broken)));
    assert.match("bad" in read ? read.bad : "", /\/pane\/features\/x/);
  });

  it("keeps a partition's progress in the committed offset's metadata, and refuses metadata that is not it", () => {
    const progress = { v: 1 as const, windows: { d: [3, 1200] as const }, letters: 1180 };
    assert.deepEqual(decodeProgress(encodeProgress(progress)), progress);
    assert.equal(decodeProgress(""), null);
    assert.equal(decodeProgress(null), null);
    assert.throws(() => decodeProgress("checkpoint 12"), /not driftwatch progress/);
    assert.throws(() => decodeProgress('{"v":1,"windows":{"d":[-1,3]},"letters":0}'), /windows\/d\/0/);
  });
});
