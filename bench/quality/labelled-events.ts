/**
 * The events of the pipeline part of `npm run bench:quality`: `bench/stream/events.ts`'s events
 * (20 features, about 610 bytes) with what a performance monitor needs added, on one stream:
 *
 * - every event is a prediction: `event_id`, `model.score` (already there) and `model.label`,
 *   the class the score implies (`"1"` when score ≥ 0.5);
 * - half of the predictions get their true label, `LABEL_LAG` events later: that later event
 *   carries `feedback: { event_id, label }` for it. The other half never get one and wait in the
 *   join, as unlabelled predictions do in production.
 *
 * The true label of prediction `j` is 1 with probability `score` (a calibrated model) before
 * `DRIFT_FROM`, and with probability 0.3 + 0.4 × score after it (the model got worse), drawn from
 * a hash of `j`, so every run and both sides see the same labels.
 *
 * @example
 *   const { texts, pairs } = labelledEvents(200_000);
 *   JSON.parse(texts[1500]).feedback; // { event_id: "evt-…", label: "0" } or undefined
 */
import { DRIFT_FROM, eventAt, eventSchema } from "../stream/events.js";

/** How many events after its prediction a label arrives. */
export const LABEL_LAG = 1000;
/** The share of predictions that ever get a label. */
export const LABEL_SHARE = 0.5;

/** A uniform in [0, 1) from an index and a salt (splitmix32 on both). */
function hashUniform(i: number, salt: number): number {
  let z = (Math.imul(i, 0x9e3779b1) ^ salt) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return ((z ^ (z >>> 16)) >>> 0) / 4294967296;
}

/** The shape `bench/stream/events.ts` builds its (strict) object schemas in. */
interface ObjectSchema {
  readonly type: "object";
  readonly additionalProperties: false;
  readonly required: readonly string[];
  readonly properties: Readonly<Record<string, unknown>>;
}

const labelSchema = { type: "string", enum: ["0", "1"] };
const root = eventSchema as unknown as ObjectSchema & { readonly $schema: string };
const model = root.properties.model as ObjectSchema;

/** `eventSchema` plus `model.label` (required) and `feedback` (optional), as strict as the rest. */
export const labelledEventSchema = {
  ...root,
  properties: {
    ...root.properties,
    model: {
      ...model,
      required: [...model.required, "label"],
      properties: { ...model.properties, label: labelSchema },
    },
    feedback: {
      type: "object",
      additionalProperties: false,
      required: ["event_id", "label"],
      properties: { event_id: root.properties.event_id, label: labelSchema },
    },
  },
};

/** The events as JSON text, and how many labels join a waiting prediction. */
export function labelledEvents(count: number): { texts: string[]; pairs: number } {
  const ids: string[] = [];
  const actual: string[] = [];
  const texts: string[] = [];
  let pairs = 0;
  for (let i = 0; i < count; i++) {
    const event = eventAt(i) as { event_id: string; model: { score: number; label?: string } } & Record<
      string,
      unknown
    >;
    const score = event.model.score;
    event.model.label = score >= 0.5 ? "1" : "0";
    const p = i < DRIFT_FROM ? score : 0.3 + 0.4 * score;
    ids.push(event.event_id);
    actual.push(hashUniform(i, 0x5bd1e995) < p ? "1" : "0");
    const j = i - LABEL_LAG;
    if (j >= 0 && hashUniform(j, 0x27d4eb2f) < LABEL_SHARE) {
      event.feedback = { event_id: ids[j], label: actual[j] };
      pairs++;
    }
    texts.push(JSON.stringify(event));
  }
  return { texts, pairs };
}
