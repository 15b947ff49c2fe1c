import { createReadStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { createInterface } from "node:readline";
import { showValue, UserError } from "../errors.js";
import { ColumnBuilder } from "./columns.js";
import type { ReadOptions, Table } from "./table.js";

/**
 * Collects rows of JSON objects into columns. Keys are columns in order of first appearance; a
 * key absent from a row, or `null`, is a missing value. JSON numbers are numeric, strings and
 * booleans categorical, nested objects and arrays make the column un-comparable (it is skipped).
 */
class JsonRows {
  private readonly builders = new Map<string, ColumnBuilder | null>();
  private readonly order: string[] = [];
  rows = 0;

  constructor(
    private readonly path: string,
    private readonly options: ReadOptions,
  ) {}

  add(row: unknown, where: string): void {
    if (row === null || typeof row !== "object" || Array.isArray(row)) {
      throw new UserError(
        `${where}: expected a JSON object, found ${Array.isArray(row) ? "an array" : showValue(row)}`,
      );
    }
    for (const [key, value] of Object.entries(row)) {
      let builder = this.builders.get(key);
      if (builder === undefined) {
        builder = this.options.include(key) ? new ColumnBuilder(key, this.options.hint(key)) : null;
        if (builder !== null) for (let i = 0; i < this.rows; i++) builder.addMissing();
        this.builders.set(key, builder);
        this.order.push(key);
      }
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
  }

  finish(): Table {
    const columns = this.order.map((name) => this.builders.get(name)).filter((b): b is ColumnBuilder => !!b);
    return {
      path: this.path,
      names: this.order,
      rows: this.rows,
      columns: columns.map((b) => b.finish()),
      rereadAsText: [],
    };
  }
}

/** Reads JSON Lines: one object per line; blank lines are skipped. Errors name `file:line`. */
export async function readJsonLines(path: string, options: ReadOptions): Promise<Table> {
  const rows = new JsonRows(path, options);
  const stream = createReadStream(path);
  const opened = new Promise<void>((resolve, reject) => {
    stream.once("open", () => resolve());
    stream.once("error", (error: NodeJS.ErrnoException) =>
      reject(new UserError(`${path}: cannot open: ${error.code ?? error.message}`)),
    );
  });
  await opened;
  stream.on("data", (chunk) => options.onProgress?.(chunk.length));
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  let line = 0;
  for await (const text of lines) {
    line++;
    if (line === 1 && text.charCodeAt(0) === 0xfeff) continue;
    if (text.trim() === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new UserError(`${path}:${line}: invalid JSON: ${(error as Error).message}`);
    }
    rows.add(value, `${path}:${line}`);
  }
  return rows.finish();
}

/** Reads a JSON document holding one array of objects. Errors name `file:line` where known. */
export async function readJsonArray(path: string, options: ReadOptions): Promise<Table> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new UserError(`${path}: cannot open: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  options.onProgress?.(Buffer.byteLength(text));
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    // V8 says "... at position N"; turn the offset into a line number.
    const match = /position (\d+)/.exec(message);
    const line = match ? text.slice(0, Number(match[1])).split("\n").length : null;
    throw new UserError(`${path}${line === null ? "" : `:${line}`}: invalid JSON: ${message}`);
  }
  if (!Array.isArray(document)) throw new UserError(`${path}: expected a JSON array of objects`);
  const rows = new JsonRows(path, options);
  for (const [i, row] of document.entries()) rows.add(row, `${path}: element ${i}`);
  return rows.finish();
}
