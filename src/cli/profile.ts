import { writeFile } from "node:fs/promises";
import { Command } from "commander";
import { profileOf } from "../drift/reference.js";
import { UserError } from "../errors.js";
import type { KindHint } from "../io/columns.js";
import { readTable } from "../io/read.js";
import { invalidUtf8Warning } from "../io/utf8.js";
import { addLimitOptions, type LimitFlags, limitsOf } from "./limits.js";

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** The `profile` command: saves a reference data set as a profile the daemon loads unchanged. */
export function profileCommand(): Command {
  const command = new Command("profile")
    .description("save a reference data set as a profile for `reference: { type: profile }`")
    .requiredOption("--input <file>", "reference data (CSV, TSV, JSON Lines, JSON array or Parquet)")
    .requiredOption("--out <file>", "profile to write (JSON)")
    .option("--categorical <name>", "treat a column as categorical (repeatable)", collect, [])
    .option("--numeric <name>", "treat a column as numeric (repeatable)", collect, []);
  return addLimitOptions(command).action(
    async (flags: { input: string; out: string; categorical: string[]; numeric: string[] } & LimitFlags) => {
      const hints = new Map<string, KindHint>();
      for (const name of flags.numeric) hints.set(name, "numeric");
      for (const name of flags.categorical) hints.set(name, "categorical");
      const table = await readTable(flags.input, {
        hint: (name) => hints.get(name) ?? "auto",
        include: () => true,
        limits: limitsOf(flags),
      });
      if (table.invalidUtf8 !== undefined)
        process.stderr.write(`driftwatch: warning: ${invalidUtf8Warning(flags.input, table.invalidUtf8)}\n`);
      for (const name of hints.keys()) {
        if (!table.names.includes(name))
          throw new UserError(`${flags.input}: column ${JSON.stringify(name)} not found`);
      }
      const profile = profileOf(flags.input, table.rows, table.columns);
      try {
        await writeFile(flags.out, `${JSON.stringify(profile)}\n`);
      } catch (error) {
        throw new UserError(
          `${flags.out}: cannot write: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
        );
      }
      const kinds = Object.values(profile.columns).map((c) => c.kind);
      process.stdout.write(
        `${flags.out}: ${table.rows} rows, ${kinds.filter((k) => k === "numeric").length} numeric and ${kinds.filter((k) => k === "categorical").length} categorical columns${profile.skipped.length ? `, skipped ${profile.skipped.map((s) => `${s.name} (${s.reason})`).join(", ")}` : ""}\n`,
      );
    },
  );
}
