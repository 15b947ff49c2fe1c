import { showValue, UserError } from "../errors.js";
import { ColumnBuilder } from "./columns.js";
import { lineWithin, splitJsonArray } from "./json-array.js";
import { defaultReadLimits, fieldTooLong, type ReadLimits, tooManyColumns } from "./limits.js";
import { splitLines } from "./lines.js";
import { openData } from "./open.js";
import { RawColumns, rawOf } from "./raw.js";
import type { ReadOptions, Table } from "./table.js";

/**
 * Collects rows of JSON objects into columns. Keys are columns in order of first appearance; a
 * key absent from a row, or `null`, is a missing value. JSON numbers are numeric, strings and
 * booleans categorical, nested objects and arrays make the column un-comparable (it is skipped).
 */
class JsonRows {
  private readonly builders = new Map<string, ColumnBuilder | null>();
  private readonly order: string[] = [];
  private readonly raw: RawColumns;
  rows = 0;

  constructor(
    private readonly path: string,
    private readonly options: ReadOptions,
    private readonly limits: ReadLimits,
  ) {
    this.raw = new RawColumns(options.keep);
  }

  add(row: unknown, where: string): void {
    if (row === null || typeof row !== "object" || Array.isArray(row)) {
      throw new UserError(
        `${where}: expected a JSON object, found ${Array.isArray(row) ? "an array" : showValue(row)}`,
      );
    }
    for (const [key, value] of Object.entries(row)) {
      let builder = this.builders.get(key);
      if (builder === undefined) {
        if (this.order.length >= this.limits.maxColumns) throw tooManyColumns(where, undefined, this.limits);
        builder = this.options.include(key)
          ? new ColumnBuilder(key, this.options.hint(key), this.options.rowOrder)
          : null;
        if (builder !== null) for (let i = 0; i < this.rows; i++) builder.addMissing();
        this.builders.set(key, builder);
        this.order.push(key);
      }
      // A UTF-16 string of n units has between n and 3n UTF-8 bytes: count only the doubtful.
      if (typeof value === "string" && value.length * 3 > this.limits.maxFieldBytes) {
        const bytes = Buffer.byteLength(value);
        if (bytes > this.limits.maxFieldBytes)
          throw fieldTooLong(where, undefined, `column ${showValue(key)}`, bytes, this.limits);
      }
      this.raw.open(key, this.rows)?.push(rawOf(value));
      if (builder === null) continue;
      if (value === null) builder.addMissing();
      else if (typeof value === "number") builder.addNumber(value);
      else if (typeof value === "string" || typeof value === "boolean") {
        if (builder.hint === "numeric") {
          throw new UserError(
            `${where}: column ${showValue(key)}: value ${showValue(value)} is not a number (remove --numeric to read it as categorical)`,
          );
        }
        builder.addText(String(value), "stringify");
      } else builder.addNested();
    }
    this.rows++;
    // Keys this row lacks are missing values; count them so every column spans every row.
    for (const builder of this.builders.values()) {
      if (builder !== null) builder.fill(this.rows);
    }
    this.raw.fill(this.rows);
  }

  finish(invalidUtf8: Table["invalidUtf8"]): Table {
    const columns = this.order.map((name) => this.builders.get(name)).filter((b): b is ColumnBuilder => !!b);
    return {
      path: this.path,
      names: this.order,
      rows: this.rows,
      columns: columns.map((b) => b.finish()),
      rereadAsText: [],
      ...this.raw.finish(),
      ...(invalidUtf8 === undefined ? {} : { invalidUtf8 }),
    };
  }
}

/** Parses one JSON text of a file; `where` names it in the error. */
export function parseJson(buf: Buffer, start: number, end: number, where: () => string): unknown {
  try {
    return JSON.parse(buf.toString("utf8", start, end));
  } catch (error) {
    throw new UserError(`${where()}: invalid JSON: ${(error as Error).message}`);
  }
}

/**
 * Reads JSON Lines: one object per line; blank lines are skipped. Errors name `file:line`; lines
 * are bounded by `limits.maxLineBytes` while read.
 */
export async function readJsonLines(path: string, options: ReadOptions): Promise<Table> {
  const limits = options.limits ?? defaultReadLimits;
  const rows = new JsonRows(path, options, limits);
  const handle = await openData(path);
  let invalidUtf8: Table["invalidUtf8"];
  try {
    ({ invalidUtf8 } = await splitLines(
      path,
      handle,
      (buf, start, end, line) => {
        if (isBlank(buf, start, end)) return;
        rows.add(
          parseJson(buf, start, end, () => `${path}:${line}`),
          `${path}:${line}`,
        );
      },
      { limits, onProgress: options.onProgress },
    ));
  } finally {
    await handle.close();
  }
  return rows.finish(invalidUtf8);
}

/**
 * Reads a JSON document holding one array of objects, element by element (memory is one element,
 * bounded by `limits.maxLineBytes`). Errors name `file:line`.
 */
export async function readJsonArray(path: string, options: ReadOptions): Promise<Table> {
  const limits = options.limits ?? defaultReadLimits;
  const rows = new JsonRows(path, options, limits);
  const handle = await openData(path);
  let invalidUtf8: Table["invalidUtf8"];
  try {
    ({ invalidUtf8 } = await splitJsonArray(
      path,
      handle,
      (buf, start, end, index, line) => {
        const where = (): string => `${path}:${line}: element ${index}`;
        let value: unknown;
        try {
          value = JSON.parse(buf.toString("utf8", start, end));
        } catch (error) {
          // V8 says "... at position N"; name the line of that position.
          const message = (error as Error).message;
          const match = /position (\d+)/.exec(message);
          const at = match ? lineWithin(buf, start, Number(match[1]), line) : line;
          throw new UserError(`${path}:${at}: invalid JSON: ${message}`);
        }
        rows.add(value, where());
      },
      { limits, onProgress: options.onProgress },
    ));
  } finally {
    await handle.close();
  }
  return rows.finish(invalidUtf8);
}

/** True when `buf[start, end)` holds only white space. */
export function isBlank(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = buf[i];
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d) return false;
  }
  return true;
}
