import { isUtf8 } from "node:buffer";

/**
 * Where text stops being UTF-8. Node's `isUtf8` (simdutf) says whether a whole buffer is valid at
 * native speed, but not where it fails; this finds the first invalid byte, for an error or a
 * warning that names a line, and is only run on a buffer `isUtf8` already rejected.
 */

/** Offset of the first byte that does not belong to a valid UTF-8 sequence, or -1 if there is none. */
export function firstInvalidUtf8(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let i = start;
  while (i < end) {
    const b = bytes[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    // Lead byte: the sequence length and the range of the second byte (RFC 3629, table 3-7 of
    // the Unicode standard), which excludes overlong forms, surrogates and code points > U+10FFFF.
    let length: number;
    let low = 0x80;
    let high = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) length = 2;
    else if (b >= 0xe0 && b <= 0xef) {
      length = 3;
      if (b === 0xe0) low = 0xa0;
      else if (b === 0xed) high = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      length = 4;
      if (b === 0xf0) low = 0x90;
      else if (b === 0xf4) high = 0x8f;
    } else return i;
    if (i + length > end) return i;
    const second = bytes[i + 1];
    if (second < low || second > high) return i;
    for (let k = 2; k < length; k++) {
      const c = bytes[i + k];
      if (c < 0x80 || c > 0xbf) return i;
    }
    i += length;
  }
  return -1;
}

/** True when `bytes[start, end)` is valid UTF-8 (native; no copy). */
export function isUtf8Range(bytes: Buffer, start: number, end: number): boolean {
  return isUtf8(bytes.subarray(start, end));
}

/** 1-based line of byte `offset` in `bytes` (counting line feeds before it). */
export function lineAt(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (bytes[i] === 0x0a) line++;
  return line;
}

/**
 * Invalid UTF-8 found while reading a file: how many records (lines, CSV rows, JSON array
 * elements, or Parquet string values) held some, and the line the first of them starts on. Their invalid bytes are read as
 * U+FFFD, as a browser or Python's `errors="replace"` would.
 */
export interface InvalidUtf8 {
  readonly records: number;
  /** Absent for Parquet, whose string values are counted and have no line. */
  readonly first_line?: number;
}

/** Counts records with invalid UTF-8 as a reader meets them. */
export class Utf8Tally {
  records = 0;
  firstLine = 0;

  /** Records one record, starting on `line`, that holds invalid UTF-8. */
  add(line: number): void {
    if (this.records === 0 || line < this.firstLine) this.firstLine = line;
    this.records++;
  }

  /** The tally, or undefined when every record was valid. */
  get result(): InvalidUtf8 | undefined {
    return this.records === 0 ? undefined : { records: this.records, first_line: this.firstLine };
  }
}

/**
 * The one-line warning for a file with invalid UTF-8: how many records, the first one's line, and
 * what became of them: their values are used, with U+FFFD in place of each invalid sequence (what
 * a browser or Python's `errors="replace"` shows), so a mis-encoded category is still counted.
 *
 * @example
 *   invalidUtf8Warning("cur.csv", { records: 2, first_line: 3 })
 *   // 'cur.csv: 2 records with invalid UTF-8, the first on line 3; read with U+FFFD (�) in place of each invalid byte sequence, and used'
 */
export function invalidUtf8Warning(path: string, invalid: InvalidUtf8): string {
  const what =
    invalid.first_line === undefined
      ? `${invalid.records} string value${invalid.records === 1 ? "" : "s"} with invalid UTF-8`
      : `${invalid.records} record${invalid.records === 1 ? "" : "s"} with invalid UTF-8, the first on line ${invalid.first_line}`;
  return `${path}: ${what}; read with U+FFFD (\uFFFD) in place of each invalid byte sequence, and used`;
}
