import type { FileHandle } from "node:fs/promises";
import { UserError } from "../errors.js";
import { lineTooLong, type ReadLimits } from "./limits.js";
import { readSome } from "./open.js";
import { type InvalidUtf8, isUtf8Range, Utf8Tally } from "./utf8.js";

const LF = 0x0a;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

const isSpace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/** Options of {@link splitJsonArray}. */
export interface SplitArrayOptions {
  readonly limits: ReadLimits;
  readonly chunkBytes?: number;
  readonly onProgress?: (bytes: number) => void;
}

/**
 * Streams a JSON document that is one array: calls `onElement` with each element's bytes (a range
 * of `buf`, valid only during the call, surrounding white space trimmed), its 0-based index and
 * the line it starts on. Only the element boundaries are found here (strings, escapes and
 * nesting are followed byte by byte); each element is then parsed on its own by the caller, so
 * memory is one element, not the document, and an element longer than `limits.maxLineBytes` is
 * an error as soon as that many of its bytes are read. Returns the elements that are not valid
 * UTF-8.
 *
 * @example
 *   // [{"a": 1},\n {"a": 2}] calls onElement twice: '{"a": 1}' on line 1, '{"a": 2}' on line 2.
 */
export async function splitJsonArray(
  path: string,
  handle: FileHandle,
  onElement: (buf: Buffer, start: number, end: number, index: number, line: number) => void,
  { limits, chunkBytes = 4 << 20, onProgress }: SplitArrayOptions,
): Promise<{ invalidUtf8?: InvalidUtf8 }> {
  const tally = new Utf8Tally();
  // Where the scanner is: before the array, between elements, inside one, or after the array.
  let state = "start" as "start" | "before" | "inside" | "end";
  let depth = 0;
  let inString = false;
  let escaped = false;
  let index = 0;
  let line = 1; // line of the next byte to scan
  let elementLine = 1;
  let carry: Buffer | null = null; // the element read so far, when a chunk ended inside it
  let first = true;
  const fail = (at: number, message: string): never => {
    throw new UserError(`${path}:${at}: ${message}`);
  };
  for (;;) {
    const carried: number = carry?.length ?? 0;
    const want = Math.max(chunkBytes, carried);
    const buf = Buffer.allocUnsafe(carried + want);
    if (carry !== null) carry.copy(buf, 0);
    const bytesRead = await readSome(path, handle, buf, carried, want);
    onProgress?.(bytesRead);
    const eof = bytesRead === 0;
    const len: number = carried + bytesRead;
    let i = carried; // the carried bytes were scanned already
    if (first && len >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) i = 3;
    if (len > 0) first = false;
    let elementStart = state === "inside" ? 0 : -1;
    const emit = (end: number): void => {
      let start = elementStart;
      let stop = end;
      while (stop > start && isSpace(buf[stop - 1])) stop--;
      while (start < stop && isSpace(buf[start])) start++;
      if (stop - start > limits.maxLineBytes) throw lineTooLong(path, elementLine, limits, stop - start);
      if (!isUtf8Range(buf, start, stop)) tally.add(elementLine);
      onElement(buf, start, stop, index++, elementLine);
    };
    for (; i < len; i++) {
      const c = buf[i];
      if (c === LF) line++;
      if (state === "inside") {
        if (inString) {
          if (escaped) escaped = false;
          else if (c === BACKSLASH) escaped = true;
          else if (c === QUOTE) inString = false;
          continue;
        }
        if (c === QUOTE) inString = true;
        else if (c === OPEN_OBJECT || c === OPEN_ARRAY) depth++;
        else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
          if (depth === 0) {
            // The array's own closing bracket ends the last element.
            emit(i);
            state = "end";
          } else depth--;
        } else if (c === COMMA && depth === 0) {
          emit(i);
          state = "before";
        }
        continue;
      }
      if (isSpace(c)) continue;
      if (state === "start") {
        if (c !== OPEN_ARRAY) throw new UserError(`${path}: expected a JSON array of objects`);
        state = "before";
      } else if (state === "before") {
        if (c === CLOSE_ARRAY && index === 0) {
          state = "end";
          continue;
        }
        state = "inside";
        elementStart = i;
        elementLine = line;
        depth = 0;
        inString = false;
        escaped = false;
        i--; // scan this byte again, as the element's first
      } else {
        fail(line, "invalid JSON: unexpected data after the array");
      }
    }
    if (state === "inside" && len - elementStart > limits.maxLineBytes)
      throw lineTooLong(path, elementLine, limits);
    if (eof) break;
    carry = state === "inside" ? buf.subarray(elementStart, len) : null;
  }
  if (state === "start") throw new UserError(`${path}: expected a JSON array of objects`);
  if (state !== "end") fail(line, "invalid JSON: the array is not closed");
  return { invalidUtf8: tally.result };
}

/** The line of byte `position` of an element that starts on `line` (for JSON.parse's positions). */
export function lineWithin(buf: Buffer, start: number, position: number, line: number): number {
  let n = line;
  for (let i = start; i < start + position && i < buf.length; i++) if (buf[i] === LF) n++;
  return n;
}
