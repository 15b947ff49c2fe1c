import { constants } from "node:fs";
import { access, writeFile } from "node:fs/promises";
import { basename, extname } from "node:path";
import { Command, Option } from "commander";
import { Document, isMap, isSeq, type YAMLMap } from "yaml";
import { SUGGEST_RULES, type SuggestedSuite, suggestSuite } from "../checks/profile.js";
import { UserError } from "../errors.js";
import { type InputFormat, inputFormats } from "../io/read.js";
import { invalidUtf8Warning } from "../io/utf8.js";
import { readDataColumns } from "../report/checks.js";
import { addLimitOptions, type LimitFlags, limitsOf } from "./limits.js";

interface SuggestFlags extends LimitFlags {
  reference: string;
  out?: string;
  name?: string;
  inputFormat?: InputFormat;
  force?: boolean;
}

/** Where a suggested suite came from, for its header. */
export interface SuggestSource {
  readonly path: string;
  readonly rows: number;
  readonly columns: number;
  readonly at: Date;
}

/** The header comment of a suggested suite: its origin, that it is a starter, and the rules. */
export function suggestHeader(source: SuggestSource, remarks: readonly string[]): string {
  return [
    ` Expectation suite suggested by \`driftwatch suggest\` from ${source.path}`,
    ` (${source.rows} rows, ${source.columns} columns) at ${source.at.toISOString()}.`,
    " A starter, not a verdict: read it, tighten or loosen the bounds, delete what does not hold.",
    " Rules used:",
    ...SUGGEST_RULES.flatMap((rule) =>
      wrap(rule, 94).map((line, i) => `${i === 0 ? "   - " : "     "}${line}`),
    ),
    ...remarks.flatMap((remark) => wrap(`Note: ${remark}.`, 96).map((line) => ` ${line}`)),
    " Run it: driftwatch report --reference REF --current CUR --suite THIS_FILE",
  ].join("\n");
}

/** Breaks text into lines of at most `width` characters at spaces (a longer word stays whole). */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  if (line !== "" || lines.length === 0) lines.push(line);
  return lines;
}

/**
 * Writes a suggested suite as YAML in the suite format (`name`, `expectations` of `{type, kwargs,
 * notes}`), short kwargs on one line, a comment above each column's first expectation.
 */
export function suiteYaml(suite: SuggestedSuite, header: string): string {
  const doc = new Document({
    name: suite.name,
    expectations: suite.expectations.map(({ type, kwargs, notes }) => ({
      type,
      kwargs,
      ...(notes === undefined ? {} : { notes }),
    })),
  });
  doc.commentBefore = header;
  const list = (doc.contents as YAMLMap).get("expectations", true);
  if (isSeq(list))
    list.items.forEach((item, i) => {
      if (!isMap(item)) return;
      const comment = suite.expectations[i].comment;
      if (comment !== undefined) item.commentBefore = ` ${comment}`;
      // Short kwargs on one line; long ones (a wide table's column set) as a block, one per line.
      const kwargs = item.get("kwargs", true);
      if (isMap(kwargs) && JSON.stringify(suite.expectations[i].kwargs).length <= 100) kwargs.flow = true;
    });
  return doc.toString({ lineWidth: 110 });
}

/** The suite's name: `--name`, else the output file's base name, else the reference's. */
export function suiteNameOf(flags: { name?: string; out?: string; reference: string }): string {
  const from = (path: string) => basename(path, extname(path));
  return flags.name ?? (flags.out === undefined ? from(flags.reference) : from(flags.out));
}

/**
 * The `suggest` command: profiles a reference data set into a starter expectation suite (YAML),
 * printed or written with `--out`.
 */
export function suggestCommand(): Command {
  const command = new Command("suggest")
    .description("profile a reference data set into a starter expectation suite (YAML) to edit")
    .requiredOption("--reference <file>", "reference data (CSV, TSV, JSON Lines, JSON array or Parquet)")
    .option("--out <file>", "write the suite to a file instead of standard output")
    .option("--name <name>", "suite name (default: the --out or reference file's base name)")
    .option("--force", "overwrite the --out file if it exists")
    .addOption(
      new Option("--input-format <format>", "file format, when the extension does not tell").choices([
        ...inputFormats,
      ]),
    );
  return addLimitOptions(command).action(async (flags: SuggestFlags) => {
    if (flags.name !== undefined && flags.name.trim() === "") throw new UserError("--name must not be empty");
    if (flags.out !== undefined && !flags.force && (await exists(flags.out)))
      throw new UserError(`${flags.out}: exists; pass --force to overwrite it`);
    const data = await readDataColumns(flags.reference, flags.inputFormat, limitsOf(flags));
    if (data.invalidUtf8 !== undefined)
      process.stderr.write(`driftwatch: warning: ${invalidUtf8Warning(flags.reference, data.invalidUtf8)}\n`);
    const suite = suggestSuite(data, suiteNameOf(flags));
    const header = suggestHeader(
      { path: flags.reference, rows: data.rows, columns: data.names.length, at: new Date() },
      suite.remarks,
    );
    const text = suiteYaml(suite, header);
    if (flags.out === undefined) {
      process.stdout.write(text);
      return;
    }
    try {
      await writeFile(flags.out, text);
    } catch (error) {
      throw new UserError(
        `${flags.out}: cannot write: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      );
    }
    process.stdout.write(
      `${flags.out}: suite ${JSON.stringify(suite.name)}, ${suite.expectations.length} expectations for ${data.names.length} columns of ${flags.reference} (${data.rows} rows)\n`,
    );
  });
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path, constants.F_OK);
    return true;
  } catch {
    return false;
  }
}
