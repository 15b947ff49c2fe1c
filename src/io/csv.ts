import { open } from "node:fs/promises";
import { showValue, UserError } from "../errors.js";
import { ColumnBuilder, parseDecimal } from "./columns.js";
import type { ReadOptions, Table } from "./table.js";

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;
const CHUNK_BYTES = 4 << 20;

/**
 * Reads an RFC 4180 CSV file (header row; quoted fields with doubled quotes and embedded line
 * breaks; LF or CRLF line ends; a UTF-8 byte order mark is skipped; blank lines are skipped; an
 * empty field is a missing value) straight into typed columns.
 *
 * Hand-written on purpose: the CSV libraries for Node materialise every field of every row as a
 * string and count rows rather than lines, which costs seconds and hundreds of megabytes on a
 * million-row file and cannot name the physical line of a malformed row. This tokenizer works on
 * bytes, turns numeric fields into doubles without keeping their text, and tracks line numbers
 * through quoted line breaks so that every error names `file:line`.
 *
 * @example
 *   const table = await readCsv("drift/examples/weather-reference.csv", { hint: () => "auto", include: () => true });
 *   table.columns.find((c) => c.name === "temp_max")?.kind; // "numeric"
 */
export async function readCsv(path: string, options: ReadOptions, delimiter = ","): Promise<Table> {
  const sep = delimiter.charCodeAt(0);
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, "r");
  } catch (error) {
    throw new UserError(`${path}: cannot open: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  let names: string[] | null = null;
  let builders: (ColumnBuilder | null)[] = [];
  let rows = 0;
  // Field boundaries of the row being parsed, reused across rows to avoid per-row allocation.
  let starts = new Int32Array(64);
  let ends = new Int32Array(64);
  let quoted = new Uint8Array(64);

  const fail = (line: number, message: string): never => {
    throw new UserError(`${path}:${line}: ${message}`);
  };

  const fieldText = (buf: Buffer, i: number): string => {
    const text = buf.toString("utf8", starts[i], ends[i]);
    return quoted[i] === 2 ? text.replaceAll('""', '"') : text;
  };

  const onHeader = (buf: Buffer, count: number, line: number): void => {
    names = [];
    for (let i = 0; i < count; i++) names.push(fieldText(buf, i));
    const seen = new Set<string>();
    for (const [i, name] of names.entries()) {
      if (name === "") fail(line, `column ${i + 1} of the header has no name`);
      if (seen.has(name)) fail(line, `column name ${showValue(name)} appears twice in the header`);
      seen.add(name);
    }
    builders = names.map((name) =>
      options.include(name) ? new ColumnBuilder(name, options.hint(name)) : null,
    );
  };

  const onRow = (buf: Buffer, count: number, line: number): void => {
    if (names === null) {
      onHeader(buf, count, line);
      return;
    }
    if (count !== names.length) fail(line, `expected ${names.length} fields, found ${count}`);
    rows++;
    for (let i = 0; i < count; i++) {
      const builder = builders[i];
      if (builder === null) continue;
      const start = starts[i];
      const end = ends[i];
      if (start === end && quoted[i] === 0) {
        builder.addMissing();
        continue;
      }
      if (builder.wantsText) {
        builder.addText(fieldText(buf, i), "reread");
        continue;
      }
      // Numbers are ASCII, so latin1 decoding is exact for them and cheaper than UTF-8.
      const value = quoted[i] === 0 ? parseDecimal(buf.toString("latin1", start, end)) : Number.NaN;
      if (!Number.isNaN(value)) {
        builder.addNumber(value);
      } else {
        const text = fieldText(buf, i);
        if (builder.hint === "numeric") {
          fail(
            line,
            `column ${showValue(builder.name)}: value ${showValue(text)} is not a number (remove --numeric to read it as categorical)`,
          );
        }
        builder.addText(text, "reread");
      }
    }
  };

  let carry: Buffer | null = null;
  let line = 1; // physical line at which the pending row starts
  let first = true;
  try {
    const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    for (;;) {
      const { bytesRead } = await handle.read(chunk, 0, CHUNK_BYTES, null);
      const eof = bytesRead === 0;
      options.onProgress?.(bytesRead);
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
        onRow(buf, count, line);
        line += rowLines + 1;
        pos = i;
      }
      if (eof) break;
    }
  } catch (error) {
    if (error instanceof TypeError) throw new UserError(`${path}: ${error.message}`);
    throw error;
  } finally {
    await handle.close();
  }
  if (names === null) throw new UserError(`${path}: empty file: expected a header row`);
  const header: string[] = names;
  const columns = builders.filter((b): b is ColumnBuilder => b !== null);
  return {
    path,
    names: header,
    rows,
    columns: columns.map((b) => b.finish()),
    rereadAsText: columns.filter((b) => b.needsText).map((b) => b.name),
  };
}
