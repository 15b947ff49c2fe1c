import type { FileHandle } from "node:fs/promises";
import { UserError } from "../errors.js";
import { defaultReadLimits, fieldTooLong, lineTooLong, type ReadLimits, tooManyColumns } from "./limits.js";
import { readSome } from "./open.js";
import { type InvalidUtf8, isUtf8Range, Utf8Tally } from "./utf8.js";

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

/**
 * The fields of one CSV row as byte ranges into `buf`, valid only during the callback (the
 * arrays are reused for every row). `quoted[i]` is 0 for a plain field, 1 for a quoted one and 2
 * for a quoted one with doubled quotes to undo.
 */
export interface CsvRow {
  readonly buf: Buffer;
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  readonly quoted: Uint8Array;
  readonly count: number;
}

/** The text of field `i` of a row, quotes undone. */
export function fieldText(row: CsvRow, i: number): string {
  const text = row.buf.toString("utf8", row.starts[i], row.ends[i]);
  return row.quoted[i] === 2 ? text.replaceAll('""', '"') : text;
}

/** Options of {@link tokenizeCsv}. */
export interface TokenizeOptions {
  /** Default `defaultReadLimits`. */
  readonly limits?: ReadLimits;
  /** Names field `i` (0-based) of the row on `line` in an error; default `field i+1`. */
  readonly describeField?: (i: number, line: number) => string;
  readonly delimiter?: string;
  readonly chunkBytes?: number;
  readonly onProgress?: (bytes: number) => void;
  /** Awaited after each chunk's rows: lets a caller hand rows on and apply back-pressure. */
  readonly onChunkEnd?: () => Promise<void>;
}

/**
 * Tokenizes an RFC 4180 CSV file row by row: quoted fields with doubled quotes and embedded line
 * breaks; LF or CRLF line ends; a UTF-8 byte order mark is skipped; blank lines are skipped.
 * `onRow` gets each row with the physical line it starts on; errors name `path:line`.
 * `limits` are enforced while reading: a row longer than `maxLineBytes` fails as soon as that
 * many bytes are read without its end, a field longer than `maxFieldBytes` when it is complete,
 * a row with more than `maxColumns` fields when the next one starts; so memory stays within
 * about twice the line limit plus one chunk. Returns the rows that are not valid UTF-8 (their
 * fields decode with U+FFFD), checked natively per chunk.
 *
 * Hand-written on purpose: the CSV libraries for Node materialise every field of every row as a
 * string and count rows rather than lines, which costs seconds and hundreds of megabytes on a
 * million-row file and cannot name the physical line of a malformed row. This works on bytes, so
 * numeric fields can become doubles without keeping their text.
 */
export async function tokenizeCsv(
  path: string,
  handle: FileHandle,
  onRow: (row: CsvRow, line: number) => void,
  {
    limits = defaultReadLimits,
    describeField = (i) => `field ${i + 1}`,
    delimiter = ",",
    chunkBytes = 4 << 20,
    onProgress,
    onChunkEnd,
  }: TokenizeOptions = {},
): Promise<{ invalidUtf8?: InvalidUtf8 }> {
  const sep = delimiter.charCodeAt(0);
  const { maxLineBytes, maxFieldBytes, maxColumns } = limits;
  let starts = new Int32Array(Math.min(64, maxColumns));
  let ends = new Int32Array(starts.length);
  let quoted = new Uint8Array(starts.length);
  const fail = (line: number, message: string): never => {
    throw new UserError(`${path}:${line}: ${message}`);
  };
  // Called only when the field arrays are full, so the column limit costs nothing per field.
  const room = (line: number): void => {
    if (starts.length >= maxColumns) throw tooManyColumns(path, line, limits);
    const size = Math.min(starts.length * 2, maxColumns);
    const next = { starts: new Int32Array(size), ends: new Int32Array(size), quoted: new Uint8Array(size) };
    next.starts.set(starts);
    next.ends.set(ends);
    next.quoted.set(quoted);
    ({ starts, ends, quoted } = next);
  };
  const tally = new Utf8Tally();
  // Start offset and line of each row of the current chunk, to count invalid UTF-8 row by row
  // in the rare chunk that holds some.
  let chunkRowStarts: Int32Array = new Int32Array(1024);
  let chunkRowLines: Int32Array = new Int32Array(1024);
  let carry: Buffer | null = null;
  let line = 1; // physical line at which the pending row starts
  let first = true;
  try {
    for (;;) {
      // Read at least as much as is carried: a long row is then parsed again a bounded number of
      // times (the buffer doubles) instead of once per chunk, which made a 2 GiB line quadratic.
      const carried = carry?.length ?? 0;
      const want = Math.max(chunkBytes, carried);
      const whole = Buffer.allocUnsafe(carried + want);
      if (carry !== null) carry.copy(whole, 0);
      const bytesRead = await readSome(path, handle, whole, carried, want);
      const eof = bytesRead === 0;
      onProgress?.(bytesRead);
      let buf: Buffer = whole.subarray(0, carried + bytesRead);
      carry = null;
      if (first && buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf)
        buf = buf.subarray(3);
      if (buf.length > 0) first = false;
      const len = buf.length;
      let pos = 0;
      let rows = 0;
      // Parse complete rows; a row cut by the chunk end is carried over and parsed again whole.
      while (pos < len) {
        const rowStart = pos;
        let rowLines = 0;
        let count = 0;
        let i = pos;
        let complete = false;
        // Blank line: skip it.
        if (buf[i] === LF || (buf[i] === CR && i + 1 < len && buf[i + 1] === LF)) {
          pos = buf[i] === LF ? i + 1 : i + 2;
          line++;
          continue;
        }
        if (buf[i] === CR && i + 1 >= len && !eof) {
          carry = Buffer.from(buf.subarray(rowStart));
          break;
        }
        for (;;) {
          if (count === starts.length) room(line);
          if (i < len && buf[i] === QUOTE) {
            // Quoted field: runs to the next quote not followed by another quote.
            let j = i + 1;
            let escaped = false;
            let lines = 0;
            let closed = false;
            while (j < len) {
              const c = buf[j];
              if (c === QUOTE) {
                if (j + 1 < len && buf[j + 1] === QUOTE) {
                  escaped = true;
                  j += 2;
                  continue;
                }
                if (j + 1 >= len && !eof) break; // cannot tell yet whether the quote is doubled
                closed = true;
                break;
              }
              if (c === LF) lines++;
              j++;
            }
            if (!closed) {
              if (eof) fail(line + rowLines, "unterminated quoted field");
              break; // need more bytes
            }
            if (j - i - 1 > maxFieldBytes)
              throw fieldTooLong(path, line + rowLines, describeField(count, line), j - i - 1, limits);
            starts[count] = i + 1;
            ends[count] = j;
            quoted[count] = escaped ? 2 : 1;
            rowLines += lines;
            i = j + 1;
            count++;
            if (i >= len) {
              if (!eof) break;
              complete = true;
              break;
            }
            const c = buf[i];
            if (c === sep) {
              i++;
              continue;
            }
            if (c === LF) {
              i++;
              complete = true;
              break;
            }
            if (c === CR) {
              if (i + 1 >= len && !eof) break;
              i += i + 1 < len && buf[i + 1] === LF ? 2 : 1;
              complete = true;
              break;
            }
            fail(line + rowLines, `unexpected character after the closing quote of field ${count}`);
          }
          // Unquoted field: runs to the separator or the line end.
          let j = i;
          while (j < len) {
            const c = buf[j];
            if (c === sep || c === LF || c === CR) break;
            if (c === QUOTE) fail(line + rowLines, `quote inside unquoted field ${count + 1}`);
            j++;
          }
          if (j >= len && !eof) break;
          if (j - i > maxFieldBytes)
            throw fieldTooLong(path, line + rowLines, describeField(count, line), j - i, limits);
          starts[count] = i;
          ends[count] = j;
          quoted[count] = 0;
          count++;
          if (j >= len) {
            i = j;
            complete = true;
            break;
          }
          const c = buf[j];
          if (c === sep) {
            i = j + 1;
            if (i >= len && eof) {
              // Trailing separator at end of file: one more empty field.
              if (count === starts.length) room(line);
              starts[count] = ends[count] = i;
              quoted[count] = 0;
              count++;
              complete = true;
              break;
            }
            continue;
          }
          if (c === CR) {
            if (j + 1 >= len && !eof) break;
            i = j + (j + 1 < len && buf[j + 1] === LF ? 2 : 1);
          } else {
            i = j + 1;
          }
          complete = true;
          break;
        }
        if (!complete) {
          carry = buf.subarray(rowStart);
          break;
        }
        const bytes = rowBytes(buf, rowStart, i);
        if (bytes > maxLineBytes) throw lineTooLong(path, line, limits, bytes);
        if (rows === chunkRowStarts.length) {
          chunkRowStarts = grown(chunkRowStarts);
          chunkRowLines = grown(chunkRowLines);
        }
        chunkRowStarts[rows] = rowStart;
        chunkRowLines[rows++] = line;
        onRow({ buf, starts, ends, quoted, count }, line);
        line += rowLines + 1;
        pos = i;
      }
      // Complete rows are checked for UTF-8 a chunk at a time; a chunk with invalid bytes is
      // walked again row by row to count them.
      if (rows > 0 && !isUtf8Range(buf, chunkRowStarts[0], pos)) {
        for (let r = 0; r < rows; r++) {
          const end = r + 1 < rows ? chunkRowStarts[r + 1] : pos;
          if (!isUtf8Range(buf, chunkRowStarts[r], end)) tally.add(chunkRowLines[r]);
        }
      }
      if (carry !== null && carry.length > maxLineBytes) throw lineTooLong(path, line, limits);
      await onChunkEnd?.();
      if (eof) break;
    }
  } catch (error) {
    // ColumnBuilder signals a forced-numeric column that met text with a TypeError.
    if (error instanceof TypeError) throw new UserError(`${path}: ${error.message}`);
    throw error;
  }
  return { invalidUtf8: tally.result };
}

/** Bytes of the row in `buf[start, end)` without its line end. */
function rowBytes(buf: Buffer, start: number, end: number): number {
  let last = end;
  if (last > start && buf[last - 1] === LF) last--;
  if (last > start && buf[last - 1] === CR) last--;
  return last - start;
}

function grown(a: Int32Array): Int32Array {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}
