import { readFileSync } from "node:fs";
import { extname } from "node:path";
import Papa from "papaparse";
import { UserError } from "../errors.js";
import { fieldsOf, shapeOf } from "./expectations/stream.js";

/**
 * The fields (JSON pointer → JSON types) of a reference data set, for
 * `expect_schema_to_match_reference`: JSON Lines or a JSON array of events, or a CSV file (whose
 * columns are top-level fields, typed as papaparse's dynamic typing reads them).
 */
export function readReferenceFields(path: string): Map<string, Set<string>> {
  const text = readFileSync(path, "utf8");
  const ext = extname(path).toLowerCase();
  const shapes = new Set<string>();
  if (ext === ".csv" || ext === ".tsv") {
    const parsed = Papa.parse<Record<string, unknown>>(text, {
      header: true,
      dynamicTyping: true,
      skipEmptyLines: true,
      delimiter: ext === ".tsv" ? "\t" : "",
    });
    for (const row of parsed.data) shapes.add(shapeOf(row));
    return fieldsOf(shapes);
  }
  const events: unknown[] = [];
  if (ext === ".json") {
    try {
      const value = JSON.parse(text) as unknown;
      events.push(...(Array.isArray(value) ? value : [value]));
    } catch (error) {
      throw new UserError(`${path}: not JSON: ${(error as Error).message}`);
    }
  } else {
    text.split("\n").forEach((line, i) => {
      if (line.trim() === "") return;
      try {
        events.push(JSON.parse(line));
      } catch (error) {
        throw new UserError(`${path}:${i + 1}: not JSON: ${(error as Error).message}`);
      }
    });
  }
  for (const event of events) shapes.add(shapeOf(event));
  return fieldsOf(shapes);
}
