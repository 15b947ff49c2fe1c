import type { FileHandle } from "node:fs/promises";
import { lineTooLong, type ReadLimits } from "./limits.js";
import { readSome } from "./open.js";
import { type InvalidUtf8, isUtf8Range, Utf8Tally } from "./utf8.js";

const LF = 0x0a;
const CR = 0x0d;

/** Options of {@link splitLines}. */
export interface SplitOptions {
  readonly limits: ReadLimits;
  readonly chunkBytes?: number;
  readonly onProgress?: (bytes: number) => void;
}

/**
 * Splits a file into lines (LF or CRLF; a UTF-8 byte order mark at the start is skipped) and
 * calls `onLine` with each line's bytes as a range of `buf`, valid only during the call, and its
 * 1-based line number. A line longer than `limits.maxLineBytes` is an error naming its line as
 * soon as that many bytes have been read without a line end: memory stays within about twice the
 * limit plus one chunk, whatever the file holds (node's readline builds a 2 GiB line as one
 * string first). Returns the lines that are not valid UTF-8, checked natively per chunk.
 */
export async function splitLines(
  path: string,
  handle: FileHandle,
  onLine: (buf: Buffer, start: number, end: number, line: number) => void,
  { limits, chunkBytes = 4 << 20, onProgress }: SplitOptions,
): Promise<{ invalidUtf8?: InvalidUtf8 }> {
  const tally = new Utf8Tally();
  let carry: Buffer | null = null;
  let line = 1; // the line at which `carry` starts
  let first = true;
  for (;;) {
    // Read at least as much as is carried, so that a long line is scanned a bounded number of
    // times (its size doubles on each read) rather than once per chunk.
    const carried: number = carry?.length ?? 0;
    const want = Math.max(chunkBytes, carried);
    const buf = Buffer.allocUnsafe(carried + want);
    if (carry !== null) carry.copy(buf, 0);
    const bytesRead = await readSome(path, handle, buf, carried, want);
    onProgress?.(bytesRead);
    const eof = bytesRead === 0;
    const len: number = carried + bytesRead;
    let pos = 0;
    if (first && len >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) pos = 3;
    if (len > 0) first = false;
    const regionStart = pos;
    const regionLine = line;
    for (;;) {
      const nl = buf.indexOf(LF, pos);
      if (nl < 0 || nl >= len) break;
      const end = nl > pos && buf[nl - 1] === CR ? nl - 1 : nl;
      if (end - pos > limits.maxLineBytes) throw lineTooLong(path, line, limits, end - pos);
      onLine(buf, pos, end, line);
      pos = nl + 1;
      line++;
    }
    if (eof && pos < len) {
      const end = buf[len - 1] === CR ? len - 1 : len;
      if (end - pos > limits.maxLineBytes) throw lineTooLong(path, line, limits, end - pos);
      onLine(buf, pos, end, line);
      line++;
      pos = len;
    }
    // Whole chunks of complete lines are checked at once; only a chunk with invalid bytes is
    // walked again line by line to count them.
    if (pos > regionStart && !isUtf8Range(buf, regionStart, pos)) {
      let at = regionStart;
      let n = regionLine;
      while (at < pos) {
        let nl = buf.indexOf(LF, at);
        if (nl < 0 || nl >= pos) nl = pos;
        if (!isUtf8Range(buf, at, nl)) tally.add(n);
        at = nl + 1;
        n++;
      }
    }
    if (eof) break;
    if (len - pos > limits.maxLineBytes) throw lineTooLong(path, line, limits);
    carry = pos < len ? buf.subarray(pos, len) : null;
  }
  return { invalidUtf8: tally.result };
}
