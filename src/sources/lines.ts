import { isUtf8 } from "node:buffer";
import type { FileHandle } from "node:fs/promises";

/** One physical line of a file: its text, or, past the size limit, its length and first bytes. */
export type Line =
  | {
      readonly index: number;
      readonly text: string;
      /** The line's own bytes when they are not valid UTF-8 (`text` then holds U+FFFD for them). */
      readonly raw?: Buffer;
      readonly oversize?: undefined;
    }
  | {
      readonly index: number;
      readonly text?: undefined;
      /** The whole line's length in bytes and its first `maxBytes` bytes. */
      readonly oversize: { readonly bytes: number; readonly head: Buffer };
    };

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/**
 * Reads a file's lines (split on `\n`, a trailing `\r` dropped) with a bound on each line's size:
 * a line longer than `maxBytes` is not assembled; it is reported with its length and first
 * `maxBytes` bytes, and the reader skips to its end. Memory is bounded by `maxBytes` plus one
 * chunk, whatever the file holds (node's readline would build a 2 GiB line as one string).
 * `index` counts physical lines from 0.
 */
export async function* readLines(
  handle: FileHandle,
  maxBytes: number,
  chunkBytes = 1 << 20,
): AsyncGenerator<Line> {
  const chunk = Buffer.allocUnsafe(chunkBytes);
  let parts: Buffer[] = [];
  let partBytes = 0;
  let skipped = 0; // bytes of the current line beyond what `parts` holds, once it is oversize
  let index = 0;
  const finish = (tail: Buffer): Line => {
    let total = partBytes + tail.length + skipped;
    if (skipped === 0 && total <= maxBytes + 1) {
      let bytes = parts.length === 0 ? tail : Buffer.concat([...parts, tail]);
      if (bytes.length > 0 && bytes[bytes.length - 1] === CARRIAGE_RETURN) bytes = bytes.subarray(0, -1);
      if (bytes.length <= maxBytes)
        return isUtf8(bytes)
          ? { index: index++, text: bytes.toString("utf8") }
          : { index: index++, text: bytes.toString("utf8"), raw: Buffer.from(bytes) };
      total = bytes.length;
    }
    const head = Buffer.concat([...parts, tail]).subarray(0, maxBytes);
    return { index: index++, oversize: { bytes: total, head: Buffer.from(head) } };
  };
  for (;;) {
    const { bytesRead } = await handle.read(chunk, 0, chunkBytes, null);
    if (bytesRead === 0) break;
    const data = chunk.subarray(0, bytesRead);
    let start = 0;
    for (;;) {
      const end = data.indexOf(NEWLINE, start);
      if (end === -1) break;
      yield finish(data.subarray(start, end));
      parts = [];
      partBytes = 0;
      skipped = 0;
      start = end + 1;
    }
    const rest = data.subarray(start);
    if (rest.length === 0) continue;
    // Keep at most maxBytes + 1 bytes of an unfinished line (one more than allowed tells it is over).
    const room = maxBytes + 1 - partBytes;
    if (room > 0) {
      const kept = Buffer.from(rest.subarray(0, room));
      parts.push(kept);
      partBytes += kept.length;
      skipped += rest.length - kept.length;
    } else skipped += rest.length;
  }
  if (partBytes > 0 || skipped > 0) yield finish(Buffer.alloc(0));
}
