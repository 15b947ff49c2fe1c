/**
 * Limits on what one event may be, checked before anything walks it. Every size a user (or a
 * hostile producer) controls is bounded here, so that no later step, be it schema validation,
 * an expectation canonicalising a value, or a dead-letter preview, recurses or allocates in
 * proportion to an event's depth or size.
 */
export interface EventLimits {
  /** Largest event in bytes (its UTF-8 encoding); larger ones are rejected as `too_large`. */
  readonly maxBytes: number;
  /** Deepest nesting of objects and arrays; deeper events are rejected as `too_deep`. */
  readonly maxDepth: number;
}

/** Kafka's default `message.max.bytes` is about 1 MiB; an event larger than that is rarely a model input. */
export const DEFAULT_MAX_EVENT_BYTES = 1024 * 1024;
/** serde_json's default recursion limit; real events nest a few levels (an embedding is two). */
export const DEFAULT_MAX_DEPTH = 128;

/** The defaults, for callers that take no configuration. */
export const defaultLimits: EventLimits = { maxBytes: DEFAULT_MAX_EVENT_BYTES, maxDepth: DEFAULT_MAX_DEPTH };

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * The nesting depth of JSON text, or a number above `max` as soon as it passes `max` (the scan
 * stops there). Brackets inside strings do not count.
 *
 * Cheap on ordinary events: an event with no more than `max` opening brackets cannot be deeper
 * than `max`, and counting them is a few native `indexOf` calls; only an event with more brackets
 * than the limit pays for the string-aware scan (about half a JSON.parse).
 */
export function jsonDepthExceeds(text: string, max: number): boolean {
  let brackets = 0;
  for (let i = text.indexOf("{"); i !== -1 && brackets <= max; i = text.indexOf("{", i + 1)) brackets++;
  for (let i = text.indexOf("["); i !== -1 && brackets <= max; i = text.indexOf("[", i + 1)) brackets++;
  if (brackets <= max) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > max) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
  }
  return false;
}

/**
 * Splits the text of a JSON array into the texts of its elements, without parsing them: each
 * element keeps its original bytes (for the dead letter) and is decoded on its own, so one bad or
 * too deep element rejects only itself. Returns null when the text is not a single array (then
 * the caller treats the whole body as one event). Iterative, linear in the length.
 */
export function splitJsonArray(text: string): string[] | null {
  let i = 0;
  const n = text.length;
  const space = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
  while (i < n && space(text.charCodeAt(i))) i++;
  if (text.charCodeAt(i) !== OPEN_BRACKET) return null;
  i++;
  const elements: string[] = [];
  let depth = 0;
  let inString = false;
  let start = i;
  let closed = false;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
      continue;
    }
    if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
    else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      if (depth === 0) {
        if (c !== CLOSE_BRACKET) return null;
        const last = text.slice(start, i).trim();
        if (last !== "") elements.push(last);
        else if (elements.length > 0) return null; // a trailing comma
        closed = true;
        i++;
        break;
      }
      depth--;
    } else if (c === 0x2c && depth === 0) {
      const element = text.slice(start, i).trim();
      if (element === "") return null;
      elements.push(element);
      start = i + 1;
    }
  }
  if (!closed) return null;
  while (i < n && space(text.charCodeAt(i))) i++;
  return i === n ? elements : null;
}

/**
 * A short description of a value for an error message, at most `width` characters, built with an
 * explicit stack and cut as soon as it is long enough: the value may be deep or huge, so it is
 * never stringified whole nor walked recursively.
 */
export function previewValue(value: unknown, width = 40): string {
  if (value === undefined) return "nothing";
  let out = "";
  const stack: ({ readonly text: string } | { readonly value: unknown })[] = [{ value }];
  while (stack.length > 0 && out.length <= width) {
    const item = stack.pop() as { text: string } | { value: unknown };
    if ("text" in item) {
      out += item.text;
      continue;
    }
    const v = item.value;
    if (Array.isArray(v)) {
      out += "[";
      stack.push({ text: "]" });
      const shown = Math.min(v.length, width);
      if (shown < v.length) stack.push({ text: ",..." });
      for (let k = shown - 1; k >= 0; k--) {
        stack.push({ value: v[k] });
        if (k > 0) stack.push({ text: "," });
      }
    } else if (v !== null && typeof v === "object") {
      out += "{";
      const entries: { readonly text: string }[] | { readonly value: unknown }[] = [];
      const pending: ({ readonly text: string } | { readonly value: unknown })[] = entries;
      let count = 0;
      for (const key in v) {
        if (!Object.hasOwn(v, key)) continue;
        if (count > 0) pending.push({ text: "," });
        if (count++ === width) {
          pending.push({ text: "..." });
          break;
        }
        pending.push({ text: `${JSON.stringify(key.length > width ? key.slice(0, width) : key)}:` });
        pending.push({ value: (v as Record<string, unknown>)[key] });
      }
      stack.push({ text: "}" });
      for (let k = pending.length - 1; k >= 0; k--) stack.push(pending[k]);
    } else if (typeof v === "string") {
      out += JSON.stringify(v.length > width ? v.slice(0, width + 1) : v);
    } else {
      out += String(JSON.stringify(v) ?? v);
    }
  }
  return out.length > width || stack.length > 0 ? `${out.slice(0, width - 3)}...` : out;
}
