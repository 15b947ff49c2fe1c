import type { FileHandle } from "node:fs/promises";
import { UserError } from "../errors.js";

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
  { delimiter = ",", chunkBytes = 4 << 20, onProgress, onChunkEnd }: TokenizeOptions = {},
): Promise<void> {
  const sep = delimiter.charCodeAt(0);
  let starts = new Int32Array(64);
  let ends = new Int32Array(64);
  let quoted = new Uint8Array(64);
  const fail = (line: number, message: string): never => {
    throw new UserError(`${path}:${line}: ${message}`);
  };
  let carry: Buffer | null = null;
  let line = 1; // physical line at which the pending row starts
  let first = true;
  try {
    const chunk = Buffer.allocUnsafe(chunkBytes);
    for (;;) {
      const { bytesRead } = await handle.read(chunk, 0, chunkBytes, null);
      const eof = bytesRead === 0;
      onProgress?.(bytesRead);
      let buf: Buffer =
        carry === null ? chunk.subarray(0, bytesRead) : Buffer.concat([carry, chunk.subarray(0, bytesRead)]);
      carry = null;
      if (first && buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf)
        buf = buf.subarray(3);
      first = false;
      const len = buf.length;
      let pos = 0;
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
          if (count === starts.length) {
            const grow = <T extends Int32Array | Uint8Array>(a: T, make: (n: number) => T): T => {
              const b = make(a.length * 2);
              b.set(a);
              return b;
            };
            starts = grow(starts, (n) => new Int32Array(n));
            ends = grow(ends, (n) => new Int32Array(n));
            quoted = grow(quoted, (n) => new Uint8Array(n));
          }
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
          carry = Buffer.from(buf.subarray(rowStart));
          break;
        }
        onRow({ buf, starts, ends, quoted, count }, line);
        line += rowLines + 1;
        pos = i;
      }
      await onChunkEnd?.();
      if (eof) break;
    }
  } catch (error) {
    // ColumnBuilder signals a forced-numeric column that met text with a TypeError.
    if (error instanceof TypeError) throw new UserError(`${path}: ${error.message}`);
    throw error;
  }
}
