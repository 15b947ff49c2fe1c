import { extname } from "node:path";
import { UserError } from "../errors.js";
import { readHeader } from "../io/csv.js";
import { fieldText, tokenizeCsv } from "../io/csv-tokenizer.js";
import { isBlank, parseJson } from "../io/json.js";
import { splitJsonArray } from "../io/json-array.js";
import { defaultReadLimits, lineTooLong, type ReadLimits } from "../io/limits.js";
import { splitLines } from "../io/lines.js";
import { openData } from "../io/open.js";
import { fieldsOf, shapeOf } from "./expectations/stream.js";

// papaparse's dynamic typing (5.x `parseDynamic`), which this reader used to apply by parsing the
// whole file with papaparse: kept value for value so that reference fields keep their types.
const FLOAT = /^\s*-?(\d+\.?|\.\d+|\d+\.\d+)([eE][-+]?\d+)?\s*$/;
const ISO_DATE =
  /^((\d{4}-[01]\d-[0-3]\dT[0-2]\d:[0-5]\d:[0-5]\d\.\d+([+-][0-2]\d:[0-5]\d|Z))|(\d{4}-[01]\d-[0-3]\dT[0-2]\d:[0-5]\d:[0-5]\d([+-][0-2]\d:[0-5]\d|Z))|(\d{4}-[01]\d-[0-3]\dT[0-2]\d:[0-5]\d([+-][0-2]\d:[0-5]\d|Z)))$/;

/** A CSV cell typed as papaparse's `dynamicTyping` types it. */
export function dynamicValue(text: string): unknown {
  if (text === "true" || text === "TRUE") return true;
  if (text === "false" || text === "FALSE") return false;
  if (FLOAT.test(text)) {
    const value = Number.parseFloat(text);
    if (value > -(2 ** 53) && value < 2 ** 53) return value;
  }
  if (ISO_DATE.test(text)) return new Date(text);
  return text === "" ? null : text;
}

/**
 * The fields (JSON pointer → JSON types) of a reference data set, for
 * `expect_schema_to_match_reference`: JSON Lines, a JSON array of events or one event, or a CSV
 * or TSV file (whose columns are top-level fields, each cell typed as papaparse's dynamic typing
 * reads it). Read as a stream with the data readers' limits (`limits`); errors are `UserError`s
 * naming the file and line.
 */
export async function readReferenceFields(
  path: string,
  limits: ReadLimits = defaultReadLimits,
): Promise<Map<string, Set<string>>> {
  const ext = extname(path).toLowerCase();
  const shapes = new Set<string>();
  const handle = await openData(path);
  try {
    if (ext === ".csv" || ext === ".tsv") {
      let names: string[] | null = null;
      await tokenizeCsv(
        path,
        handle,
        (row, line) => {
          if (names === null) {
            names = readHeader(path, row, line);
            return;
          }
          if (row.count !== names.length)
            throw new UserError(`${path}:${line}: expected ${names.length} fields, found ${row.count}`);
          const event: Record<string, unknown> = {};
          for (let i = 0; i < row.count; i++) event[names[i]] = dynamicValue(fieldText(row, i));
          shapes.add(shapeOf(event));
        },
        { delimiter: ext === ".tsv" ? "\t" : ",", limits },
      );
      return fieldsOf(shapes);
    }
    const add = (buf: Buffer, start: number, end: number, where: string): void => {
      shapes.add(shapeOf(parseJson(buf, start, end, () => where)));
    };
    if (ext === ".json") {
      // One array of events, streamed; or one event, read whole within the line limit.
      const head = Buffer.alloc(64);
      const { bytesRead } = await handle.read(head, 0, head.length, 0);
      const first = head
        .subarray(0, bytesRead)
        .toString("latin1")
        .replace(/^\uFEFF|^\xEF\xBB\xBF/, "")
        .trimStart();
      if (first.startsWith("[")) {
        await splitJsonArray(
          path,
          handle,
          (buf, start, end, _i, line) => add(buf, start, end, `${path}:${line}`),
          {
            limits,
          },
        );
      } else {
        const { size } = await handle.stat();
        if (size > limits.maxLineBytes) throw lineTooLong(path, 1, limits, size);
        const text = await handle.readFile();
        add(text, 0, text.length, path);
      }
      return fieldsOf(shapes);
    }
    await splitLines(
      path,
      handle,
      (buf, start, end, line) => {
        if (!isBlank(buf, start, end)) add(buf, start, end, `${path}:${line}`);
      },
      { limits },
    );
    return fieldsOf(shapes);
  } finally {
    await handle.close();
  }
}
