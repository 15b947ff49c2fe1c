/**
 * Deterministic benchmark events: 20 features (16 numeric, 4 categorical) in about 600 bytes of
 * JSON, some nested two levels deep, plus a JSON Schema for them and the feature table a
 * driftwatch config needs. Event `i` depends only on `i` (a counter-based generator), so every
 * part of the benchmark, and a child process, can make the same messages without sharing them.
 *
 * From `DRIFT_FROM` on, three numeric features and one categorical feature shift a little (one
 * strongly, two slightly), so that evaluated windows carry a mix of p-values, as real ones do.
 *
 * @example
 *   eventText(0).length; // 616
 *   JSON.parse(eventText(0)).context.device; // "ios"
 */

/** Index of the first event whose distributions have shifted. */
export const DRIFT_FROM = 100_000;

/** A feature as a driftwatch config declares it. */
export interface BenchFeature {
  readonly name: string;
  readonly path: string;
  readonly type: "numeric" | "categorical";
}

/** The 20 features, by JSON pointer into an event. */
export const features: readonly BenchFeature[] = [
  { name: "amount", path: "/features/amount", type: "numeric" },
  { name: "income", path: "/features/income", type: "numeric" },
  { name: "age", path: "/features/age", type: "numeric" },
  { name: "credit_score", path: "/features/credit_score", type: "numeric" },
  { name: "utilization", path: "/features/utilization", type: "numeric" },
  { name: "debt_ratio", path: "/features/debt_ratio", type: "numeric" },
  { name: "late_payments", path: "/features/late_payments", type: "numeric" },
  { name: "risk_index", path: "/features/risk_index", type: "numeric" },
  { name: "balance", path: "/features/account/balance", type: "numeric" },
  { name: "tenure_months", path: "/features/account/tenure_months", type: "numeric" },
  { name: "open_accounts", path: "/features/account/open_accounts", type: "numeric" },
  { name: "days_since_login", path: "/features/account/days_since_login", type: "numeric" },
  { name: "session_secs", path: "/features/session/duration_secs", type: "numeric" },
  { name: "pages_viewed", path: "/features/session/pages_viewed", type: "numeric" },
  { name: "latency_ms", path: "/features/session/latency_ms", type: "numeric" },
  { name: "temperature_c", path: "/features/session/temperature_c", type: "numeric" },
  { name: "country", path: "/context/country", type: "categorical" },
  { name: "device", path: "/context/device", type: "categorical" },
  { name: "channel", path: "/context/channel", type: "categorical" },
  { name: "segment", path: "/context/segment", type: "categorical" },
];

const number = { type: "number" };
const count = { type: "integer", minimum: 0 };
const label = { type: "string", minLength: 1, maxLength: 32 };

function object(properties: Record<string, unknown>): Record<string, unknown> {
  return { type: "object", additionalProperties: false, required: Object.keys(properties), properties };
}

/** A strict producer-side JSON Schema for the events (every key required, no unknown keys). */
export const eventSchema = {
  $schema: "http://json-schema.org/draft-07/schema#",
  ...object({
    event_id: { type: "string", pattern: "^evt-[0-9a-f]{12}$" },
    ts: count,
    request: object({ trace_id: { type: "string", pattern: "^[0-9a-f]{32}$" }, endpoint: label }),
    model: object({ name: label, version: label, score: { type: "number", minimum: 0, maximum: 1 } }),
    features: object({
      amount: { type: "number", minimum: 0 },
      income: { type: "number", minimum: 0 },
      age: count,
      credit_score: count,
      utilization: { type: "number", minimum: 0, maximum: 1 },
      debt_ratio: { type: "number", minimum: 0 },
      late_payments: count,
      risk_index: number,
      account: object({
        balance: number,
        tenure_months: count,
        open_accounts: count,
        days_since_login: count,
      }),
      session: object({
        duration_secs: { type: "number", minimum: 0 },
        pages_viewed: count,
        latency_ms: { type: "number", minimum: 0 },
        temperature_c: number,
      }),
    }),
    context: object({ country: label, device: label, channel: label, segment: label }),
  }),
};

/** splitmix32: a 32-bit integer hash, used to seed each event's generator. */
function splitmix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * sfc32 (Doty-Humphrey's small fast counting generator), seeded from the event index. Its 128 bits
 * of state keep the streams of different events apart; a 32-bit generator seeded per event would
 * make every event's draws a window of one shared sequence, and neighbouring windows overlap.
 */
function randomFor(index: number): () => number {
  let a = splitmix32(index);
  let b = splitmix32(a ^ 0x3c6ef372);
  let c = splitmix32(b ^ 0xa54ff53a);
  let d = splitmix32(c ^ 0x510e527f);
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 12; i++) next(); // as sfc32's author advises, mix the seed in first
  return next;
}

function normal(random: () => number): number {
  // Box–Muller; 1 − u keeps the logarithm's argument in (0, 1].
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

function poisson(random: () => number, mean: number): number {
  // Knuth's product of uniforms; means here are small.
  const limit = Math.exp(-mean);
  let k = 0;
  let p = random();
  while (p > limit) {
    k++;
    p *= random();
  }
  return k;
}

function pick(random: () => number, choices: readonly string[], weights: readonly number[]): string {
  let u = random() * weights.reduce((a, b) => a + b, 0);
  for (let i = 0; i < choices.length; i++) {
    u -= weights[i];
    if (u < 0) return choices[i];
  }
  return choices[choices.length - 1];
}

const round = (x: number, digits: number): number => {
  const scale = 10 ** digits;
  return Math.round(x * scale) / scale;
};
const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));

const countries = ["US", "DE", "FR", "GB", "ES", "IT", "NL", "PL", "SE", "BR", "IN", "JP"];
const countryWeights = [30, 12, 9, 10, 6, 6, 4, 4, 3, 7, 6, 3];
const devices = ["android", "ios", "web", "tablet"];
const channels = ["organic", "paid_search", "referral", "email", "partner", "social"];
const segments = ["retail", "small_business", "premium"];

function hex(random: () => number, digits: number): string {
  let text = "";
  while (text.length < digits)
    text += Math.floor(random() * 0x10000)
      .toString(16)
      .padStart(4, "0");
  return text.slice(0, digits);
}

/** The event with index `i`, as a plain object. */
export function eventAt(i: number): Record<string, unknown> {
  const r = randomFor(i);
  const drifted = i >= DRIFT_FROM;
  const amount = Math.exp(4 + 1.1 * normal(r) + (drifted ? 0.02 : 0));
  const income = Math.exp(10.8 + 0.5 * normal(r));
  const risk = normal(r);
  return {
    event_id: `evt-${(i * 2654435761).toString(16).padStart(12, "0").slice(-12)}`,
    ts: 1_764_115_200_000 + i * 7,
    request: { trace_id: hex(r, 32), endpoint: "/v2/score" },
    model: { name: "credit-risk-gbm", version: "4.12.0", score: round(r(), 4) },
    features: {
      amount: round(amount, 2),
      income: round(income, 0),
      age: Math.round(clamp(41 + 13 * normal(r), 18, 95)),
      credit_score: Math.round(clamp(690 + 60 * normal(r), 300, 850)),
      utilization: round(r() ** 1.6, 4),
      debt_ratio: round(-Math.log(1 - r()) * 0.35, 4),
      late_payments: poisson(r, 0.4),
      risk_index: round(risk, 4),
      account: {
        balance: round(2500 * normal(r) + 4000, 2),
        tenure_months: poisson(r, 30),
        open_accounts: 1 + poisson(r, 2),
        days_since_login: poisson(r, 6),
      },
      session: {
        duration_secs: round(-Math.log(1 - r()) * (drifted ? 52 : 45), 1),
        pages_viewed: 1 + poisson(r, 5),
        latency_ms: round((20 + 8 * normal(r) ** 2) * (drifted ? 1.01 : 1), 2),
        temperature_c: round(12 + 9 * normal(r), 1),
      },
    },
    context: {
      country: pick(r, countries, countryWeights),
      device: pick(r, devices, drifted ? [40, 33, 22, 5] : [42, 33, 20, 5]),
      channel: pick(r, channels, [35, 25, 12, 10, 8, 10]),
      segment: pick(r, segments, [70, 22, 8]),
    },
  };
}

/** The event with index `i` as one line of JSON (no newline). */
export function eventText(i: number): string {
  return JSON.stringify(eventAt(i));
}

const double = "double";
const long = "long";
const text = "string";
const record = (name: string, fields: Record<string, unknown>) => ({
  type: "record",
  name,
  fields: Object.entries(fields).map(([field, type]) => ({ name: field, type })),
});

/** The events' Avro schema (numbers as double, counts as long), for the Avro case of part 2. */
export const eventAvroSchema = record("ScoringEvent", {
  event_id: text,
  ts: long,
  request: record("Request", { trace_id: text, endpoint: text }),
  model: record("Model", { name: text, version: text, score: double }),
  features: record("Features", {
    amount: double,
    income: double,
    age: long,
    credit_score: long,
    utilization: double,
    debt_ratio: double,
    late_payments: long,
    risk_index: double,
    account: record("Account", {
      balance: double,
      tenure_months: long,
      open_accounts: long,
      days_since_login: long,
    }),
    session: record("Session", {
      duration_secs: double,
      pages_viewed: long,
      latency_ms: double,
      temperature_c: double,
    }),
  }),
  context: record("Context", { country: text, device: text, channel: text, segment: text }),
});
