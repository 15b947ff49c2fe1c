import { stat } from "node:fs/promises";
import { asyncBufferFromFile, parquetMetadataAsync, parquetRead, parquetSchema } from "hyparquet";
import { compressors } from "hyparquet-compressors";
import { UserError } from "../errors.js";
import { ColumnBuilder } from "./columns.js";
import type { ReadOptions, Table } from "./table.js";

/**
 * Reads a Parquet file with hyparquet (every standard codec through hyparquet-compressors).
 * Integers (including INT64) and floats are numeric; strings and booleans categorical; dates and
 * timestamps are skipped like ISO-8601 text; structs and lists are skipped as nested values.
 */
export async function readParquet(path: string, options: ReadOptions): Promise<Table> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (error) {
    throw new UserError(`${path}: cannot open: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const file = await asyncBufferFromFile(path);
  let metadata: Awaited<ReturnType<typeof parquetMetadataAsync>>;
  try {
    metadata = await parquetMetadataAsync(file);
  } catch (error) {
    throw new UserError(`${path}: not a readable Parquet file: ${(error as Error).message}`);
  }
  const names = parquetSchema(metadata).children.map((child) => child.element.name);
  const builders = new Map<string, ColumnBuilder>();
  for (const name of names) {
    if (options.include(name)) builders.set(name, new ColumnBuilder(name, options.hint(name)));
  }
  const timestamps = new Set<string>();
  try {
    await parquetRead({
      file,
      metadata,
      compressors,
      columns: [...builders.keys()],
      onChunk: ({ columnName, columnData }) => {
        const builder = builders.get(columnName);
        if (builder === undefined) return;
        for (const value of columnData as Iterable<unknown>) {
          if (value === null || value === undefined) builder.addMissing();
          else if (typeof value === "number") {
            if (Number.isNaN(value)) builder.addMissing();
            else builder.addNumber(value);
          } else if (typeof value === "bigint") builder.addNumber(Number(value));
          else if (typeof value === "string" || typeof value === "boolean") {
            if (builder.hint === "numeric") {
              throw new UserError(
                `${path}: column "${columnName}": value ${JSON.stringify(value)} is not a number (remove --numeric to read it as categorical)`,
              );
            }
            builder.addText(String(value), "stringify");
          } else if (value instanceof Date) timestamps.add(columnName);
          else builder.addNested();
        }
      },
    });
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(`${path}: reading Parquet: ${(error as Error).message}`);
  }
  options.onProgress?.(size);
  const columns = [...builders.values()].map((builder) => {
    const data = builder.finish();
    return timestamps.has(builder.name)
      ? { name: builder.name, kind: "skipped" as const, reason: "timestamps", missing: data.missing }
      : data;
  });
  return { path, names, rows: Number(metadata.num_rows), columns, rereadAsText: [] };
}
