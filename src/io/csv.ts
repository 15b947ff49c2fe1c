import { showValue, UserError } from "../errors.js";
import { ColumnBuilder, parseDecimal, parseDecimalBytes } from "./columns.js";
import { type CsvRow, fieldText, tokenizeCsv } from "./csv-tokenizer.js";
import { defaultReadLimits } from "./limits.js";
import { openData } from "./open.js";
import { RawColumns, type RawValue } from "./raw.js";
import type { ReadOptions, Table } from "./table.js";

/**
 * Reads a CSV file (see `tokenizeCsv` for the dialect; an empty field is a missing value) straight
 * into typed columns: numeric fields become doubles without keeping their text.
 *
 * @example
 *   const table = await readCsv("drift/examples/seattle-weather-2012.csv", { hint: () => "auto", include: () => true });
 *   table.columns.find((c) => c.name === "temp_max")?.kind; // "numeric"
 */
export async function readCsv(path: string, options: ReadOptions, delimiter = ","): Promise<Table> {
  const handle = await openData(path);
  let names: string[] | null = null;
  let builders: (ColumnBuilder | null)[] = [];
  const raw = new RawColumns(options.keep);
  // Per field, the raw column it goes to, or null.
  let kept: (RawValue[] | null)[] = [];
  let rows = 0;
  const fail = (line: number, message: string): never => {
    throw new UserError(`${path}:${line}: ${message}`);
  };

  const onHeader = (row: CsvRow, line: number): void => {
    const header = readHeader(path, row, line);
    names = header;
    builders = header.map((name) =>
      options.include(name) ? new ColumnBuilder(name, options.hint(name), options.rowOrder) : null,
    );
    kept = header.map((name) => raw.open(name));
  };

  const onRow = (row: CsvRow, line: number): void => {
    if (names === null) {
      onHeader(row, line);
      return;
    }
    const { buf, starts, ends, quoted, count } = row;
    if (count !== names.length) fail(line, `expected ${names.length} fields, found ${count}`);
    rows++;
    for (let i = 0; i < count; i++) {
      const into = kept[i];
      if (into !== null) into.push(starts[i] === ends[i] && quoted[i] === 0 ? null : fieldText(row, i));
      const builder = builders[i];
      if (builder === null) continue;
      const start = starts[i];
      const end = ends[i];
      if (start === end && quoted[i] === 0) {
        builder.addMissing();
        continue;
      }
      if (builder.wantsText) {
        builder.addText(fieldText(row, i), "reread");
        continue;
      }
      // Plain decimals are parsed from the bytes; anything else through its text. Numbers are
      // ASCII, so latin1 decoding is exact for them and cheaper than UTF-8.
      let value = Number.NaN;
      if (quoted[i] === 0) {
        value = parseDecimalBytes(buf, start, end);
        if (Number.isNaN(value)) value = parseDecimal(buf.toString("latin1", start, end));
      }
      if (!Number.isNaN(value)) {
        builder.addNumber(value);
      } else {
        const text = fieldText(row, i);
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

  let invalidUtf8: Table["invalidUtf8"];
  try {
    ({ invalidUtf8 } = await tokenizeCsv(path, handle, onRow, {
      delimiter,
      onProgress: options.onProgress,
      limits: options.limits ?? defaultReadLimits,
      describeField: (i) => describeColumn(names, i),
    }));
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
    ...raw.finish(),
    ...(invalidUtf8 === undefined ? {} : { invalidUtf8 }),
  };
}

/** A CSV field in an error: `column 3 ("price")`, or `column 3 of the header` before names are known. */
export function describeColumn(names: readonly string[] | null, i: number): string {
  return names === null || i >= names.length
    ? `column ${i + 1}${names === null ? " of the header" : ""}`
    : `column ${i + 1} (${showValue(names[i])})`;
}

/** The column names of a header row; empty and duplicate names are errors naming the line. */
export function readHeader(path: string, row: CsvRow, line: number): string[] {
  const names: string[] = [];
  for (let i = 0; i < row.count; i++) names.push(fieldText(row, i));
  const seen = new Set<string>();
  for (const [i, name] of names.entries()) {
    if (name === "") throw new UserError(`${path}:${line}: column ${i + 1} of the header has no name`);
    if (seen.has(name))
      throw new UserError(`${path}:${line}: column name ${showValue(name)} appears twice in the header`);
    seen.add(name);
  }
  return names;
}
