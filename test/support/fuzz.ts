/**
 * A seeded generator (sfc32, `seededRandom`) of hostile events and a harness that pushes them through the real daemon
 * (file and HTTP sources) and checks the invariant of issue "one bad message must never stop the
 * stream": every event sent ends counted as valid or dead-lettered (sent = valid + invalid = the
 * daemon's own counts, dead-letter lines = invalid), the daemon never crashes, never hangs (every
 * wait is bounded), and stops cleanly with a final checkpoint.
 *
 * Used by `test/reliability/fuzz.test.ts` (100 000 events in CI) and by `npm run fuzz` (any
 * count and seed: `FUZZ_EVENTS=1000000 FUZZ_SEED=7 npm run fuzz`).
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { seededRandom as prng } from "../../src/stats/prng.js";
import { type Daemon, freePort, startDaemon } from "./daemon.js";

const repoRoot = resolve(new URL("../..", import.meta.url).pathname);
const DEMO = readFileSync(join(repoRoot, "drift/demo/seattle-weather.jsonl"), "utf8").trimEnd().split("\n");
/** The fuzz config's `max_event_bytes`: small, so that oversized events are cheap to make. */
export const FUZZ_MAX_EVENT_BYTES = 4096;
const NEWLINE = 0x0a;

type Kind = (random: () => number) => Buffer | string;

const pick = <T>(random: () => number, items: readonly T[]): T => items[Math.floor(random() * items.length)];
const demo = (random: () => number) => JSON.parse(pick(random, DEMO)) as Record<string, unknown>;
const nested = (depth: number, leaf: string) => `${"[".repeat(depth)}${leaf}${"]".repeat(depth)}`;
const weirdStrings = [
  "",
  "\u0000",
  "\ud800",
  "é",
  "💥",
  "\\",
  '"',
  "sun\u202e",
  "__proto__",
  "a".repeat(300),
];
const weirdNumbers = ["1e999", "-1e999", "-0", "1e-400", "123456789012345678901234567890", "0.1e1", "-5e2"];

/** The kinds of event, with weights: about half are valid. */
const kinds: readonly [number, Kind][] = [
  [40, (r) => pick(r, DEMO)],
  // Valid, with odd extras: nesting within the limit, unicode, prototype keys, wide objects.
  [4, (r) => JSON.stringify({ ...demo(r), extra: JSON.parse(nested(1 + Math.floor(r() * 100), "1")) })],
  [3, (r) => JSON.stringify({ ...demo(r), note: pick(r, weirdStrings), [pick(r, weirdStrings)]: 1 })],
  [2, (r) => `{"__proto__":{"polluted":1},"constructor":{"prototype":1},${pick(r, DEMO).slice(1)}`],
  [
    2,
    (r) =>
      JSON.stringify({
        ...demo(r),
        ...Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`k${i}`, i])),
      }),
  ],
  [2, (r) => pick(r, DEMO).replace(/"wind":[^,}]+/, `"wind":${pick(r, weirdNumbers)}`)],
  // Schema violations.
  [5, (r) => JSON.stringify({ ...demo(r), temp_max: pick(r, ["hot", null, true, [], {}, 1000]) })],
  [3, (r) => JSON.stringify({ ...demo(r), weather: pick(r, ["hail", 7, "", "SUN"]) })],
  [3, () => "{}"],
  [2, (r) => JSON.stringify({ ...demo(r), date: pick(r, ["2012-13-01", "yesterday", 20120101]) })],
  // Nested beyond the limit, where the schema wants a number or anywhere.
  [
    4,
    (r) =>
      pick(r, DEMO).replace(/"temp_max":[^,}]+/, `"temp_max":${nested(129 + Math.floor(r() * 1500), "1")}`),
  ],
  [1, (r) => nested(200 + Math.floor(r() * 1800), "{}")],
  // Too large.
  [3, (r) => JSON.stringify({ ...demo(r), blob: "x".repeat(FUZZ_MAX_EVENT_BYTES + Math.floor(r() * 8000)) })],
  // Malformed JSON and non-objects.
  [
    4,
    (r) => {
      const line = pick(r, DEMO);
      return line.slice(0, 1 + Math.floor(r() * (line.length - 2)));
    },
  ],
  [
    2,
    (r) =>
      pick(r, ["[1,2", '{"a":}', "nul", "{'a':1}", '{"a":1}}', "\u00ef\u00bb\u00bf{}", "NaN", '{"a":1,}']),
  ],
  [3, (r) => pick(r, ["1", '"text"', "[]", "[{}]", "null", "true", "-0", "[[[]]]"])],
  // Random bytes, mostly not UTF-8.
  [3, (r) => Buffer.from(Array.from({ length: 1 + Math.floor(r() * 300) }, () => Math.floor(r() * 256)))],
  [
    1,
    (r) =>
      Buffer.concat([Buffer.from(pick(r, DEMO).slice(0, -1)), Buffer.from([0xff, 0xfe]), Buffer.from("}")]),
  ],
];
const totalWeight = kinds.reduce((sum, [w]) => sum + w, 0);

/**
 * `count` events from `seed`, each one line (no newline byte inside, never blank, since both
 * sources skip blank lines and split on newlines).
 */
export function fuzzEvents(count: number, seed: number): Buffer[] {
  const random = prng(seed);
  const events: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    let roll = random() * totalWeight;
    let kind = kinds[kinds.length - 1][1];
    for (const [weight, make] of kinds) {
      roll -= weight;
      if (roll < 0) {
        kind = make;
        break;
      }
    }
    const made = kind(random);
    let bytes = typeof made === "string" ? Buffer.from(made) : made;
    if (bytes.includes(NEWLINE)) bytes = Buffer.from(bytes.map((b) => (b === NEWLINE ? 0x20 : b)));
    if (bytes.toString("latin1").trim() === "") bytes = Buffer.from("x");
    events.push(bytes);
  }
  return events;
}

function config(dir: string, source: string[]): string {
  const path = join(dir, "fuzz.yaml");
  writeFileSync(
    path,
    [
      "sources:",
      "  inputs:",
      ...source.map((line) => `    ${line}`),
      `    schema: ${join(repoRoot, "drift/weather/schemas/weather-input.json")}`,
      `    max_event_bytes: ${FUZZ_MAX_EVENT_BYTES}`,
      "    event_time: /date",
      `    dead_letter: { path: ${join(dir, "dead-letter.jsonl")} }`,
      "features:",
      "  temp_max: { source: inputs, path: /temp_max, type: numeric }",
      "  wind: { source: inputs, path: /wind, type: numeric }",
      "  weather: { source: inputs, path: /weather, type: categorical }",
      "monitors:",
      "  drift:",
      "    type: drift",
      "    features: [temp_max, wind, weather]",
      "    reference: { type: first, events: 1000 }",
      "    window: { type: tumbling, events: 5000 }",
      "  outliers:",
      "    type: outliers",
      "    features: [temp_max, wind]",
      "    reference: { type: first, events: 1000 }",
      "    scorers: [ { type: robust_z, threshold: { value: 4 } } ]",
      "    window: { type: tumbling, events: 5000 }",
      "    id: /date",
      "  checks:",
      "    type: checks",
      "    source: inputs",
      `    suite: ${join(repoRoot, "checks/weather.yaml")}`,
      "    window: { same_as: drift }",
      "    id: /date",
      "state: { dir: state, checkpoint_interval_secs: 1 }",
    ].join("\n"),
  );
  return path;
}

/** What one fuzz run saw. */
export interface FuzzOutcome {
  readonly sent: number;
  readonly valid: number;
  readonly invalid: number;
  readonly deadLetters: number;
  readonly reasons: Readonly<Record<string, number>>;
}

async function counts(daemon: Daemon, sent: number, timeoutMs: number): Promise<FuzzOutcome> {
  const total = (s: Awaited<ReturnType<Daemon["scrape"]>>) =>
    (s.value("driftwatch_events_total", { source: "inputs", outcome: "valid" }) ?? 0) +
    (s.value("driftwatch_events_total", { source: "inputs", outcome: "invalid" }) ?? 0);
  const scrape = await daemon.waitFor((s) => total(s) >= sent, timeoutMs, `all ${sent} events counted`);
  const reasons: Record<string, number> = {};
  for (const sample of scrape.all("driftwatch_events_invalid_total", { source: "inputs" }))
    if (sample.value > 0) reasons[sample.labels.reason] = sample.value;
  return {
    sent,
    valid: scrape.value("driftwatch_events_total", { source: "inputs", outcome: "valid" }) ?? 0,
    invalid: scrape.value("driftwatch_events_total", { source: "inputs", outcome: "invalid" }) ?? 0,
    deadLetters: 0,
    reasons,
  };
}

function deadLetterLines(dir: string): number {
  const text = readFileSync(join(dir, "dead-letter.jsonl"), "utf8");
  return text === "" ? 0 : text.trimEnd().split("\n").length;
}

/** Replays the events from a JSON Lines file through the daemon's file source. */
export async function fuzzFileSource(events: readonly Buffer[], timeoutMs: number): Promise<FuzzOutcome> {
  const dir = mkdtempSync(join(tmpdir(), "driftwatch-fuzz-file-"));
  try {
    const input = join(dir, "events.jsonl");
    writeFileSync(input, Buffer.concat(events.flatMap((e) => [e, Buffer.from("\n")])));
    const daemon = await startDaemon({
      config: config(dir, ["type: file", `path: ${input}`]),
      stateDir: join(dir, "state"),
      logLevel: "warn",
    });
    await daemon.waitReady(60_000);
    const outcome = await counts(daemon, events.length, timeoutMs);
    await daemon.stop(60_000);
    return { ...outcome, deadLetters: deadLetterLines(dir) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Posts the events to the daemon's HTTP source: mostly NDJSON batches of 500, some one event per
 * request, some JSON arrays. Returns the daemon's counts; asserts that the responses add up too.
 */
export async function fuzzHttpSource(
  events: readonly Buffer[],
  seed: number,
  timeoutMs: number,
): Promise<FuzzOutcome> {
  const dir = mkdtempSync(join(tmpdir(), "driftwatch-fuzz-http-"));
  const random = prng(seed ^ 0x5eed);
  try {
    const port = await freePort();
    const daemon = await startDaemon({
      config: config(dir, ["type: http", `listen: 127.0.0.1:${port}`]),
      stateDir: join(dir, "state"),
      logLevel: "warn",
    });
    await daemon.waitReady(60_000);
    const url = `http://127.0.0.1:${port}/v1/events`;
    let received = 0;
    let answered = 0;
    for (let i = 0; i < events.length; ) {
      const mode = random();
      const size = mode < 0.02 ? 1 : 1 + Math.floor(random() * 500);
      const batch = events.slice(i, i + size);
      i += batch.length;
      let body: Buffer;
      let type: string;
      if (mode < 0.02) [body, type] = [batch[0], "application/json"];
      else if (mode < 0.1)
        [body, type] = [
          Buffer.concat([
            Buffer.from("["),
            ...batch.flatMap((e, k) => (k ? [Buffer.from(","), e] : [e])),
            Buffer.from("]"),
          ]),
          "application/json",
        ];
      else
        [body, type] = [Buffer.concat(batch.flatMap((e) => [e, Buffer.from("\n")])), "application/x-ndjson"];
      const response = await fetch(url, { method: "POST", body, headers: { "content-type": type } });
      if (response.status !== 202)
        assert.fail(`POST of ${batch.length} events: ${response.status} ${await response.text()}`);
      const answer = (await response.json()) as { received: number; accepted: number; rejected: number };
      assert.equal(answer.accepted + answer.rejected, answer.received, JSON.stringify(answer));
      // An array that does not split is one event; NDJSON and single bodies are what was sent.
      if (type === "application/x-ndjson" || batch.length === 1) assert.equal(answer.received, batch.length);
      received += answer.received;
      answered += batch.length;
    }
    assert.equal(answered, events.length);
    const outcome = await counts(daemon, received, timeoutMs);
    await daemon.stop(60_000);
    return { ...outcome, sent: received, deadLetters: deadLetterLines(dir) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The invariant: sent = valid + invalid, and every invalid event is one dead-letter line. */
export function assertAccounted(outcome: FuzzOutcome): void {
  assert.equal(outcome.valid + outcome.invalid, outcome.sent, JSON.stringify(outcome));
  assert.equal(outcome.deadLetters, outcome.invalid, JSON.stringify(outcome));
  const byReason = Object.values(outcome.reasons).reduce((a, b) => a + b, 0);
  assert.equal(byReason, outcome.invalid, JSON.stringify(outcome));
}
