import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { SingleBar } from "cli-progress";
import { Command, InvalidArgumentError, Option } from "commander";
import { loadSuite } from "../checks/suite.js";
import { loadConfig } from "../config/load.js";
import { type DriftOptions, defaultDriftOptions, type EffectFloors } from "../drift/evaluate.js";
import { showValue, suggest, UserError } from "../errors.js";
import { type InputFormat, inputFormats } from "../io/read.js";
import { invalidUtf8Warning } from "../io/utf8.js";
import { monitorKind } from "../monitors/registry.js";
import { replayMonitors } from "../replay.js";
import { buildReport } from "../report/build.js";
import { renderMarkdown } from "../report/markdown.js";
import type { DriftReport } from "../report/model.js";
import { renderMonitorsMarkdown } from "../report/monitors.js";
import type { ProbabilityColumn } from "../report/quality.js";
import { type DriftTestName, driftTests, testsFor } from "../stats/registry.js";
import { addLimitOptions, type LimitFlags, limitsOf } from "./limits.js";
import { isTopicRange, type MaterializedRange, materializeRange, quietLog } from "./topics.js";

/** Parses a number flag within bounds, with a message naming the flag. */
export function numberIn(flag: string, min: number, max: number, { exclusiveMin = false } = {}) {
  return (text: string): number => {
    const value = Number(text);
    const low = exclusiveMin ? value > min : value >= min;
    if (text.trim() === "" || !Number.isFinite(value) || !low || value > max) {
      throw new InvalidArgumentError(
        `${flag} must be a number in ${exclusiveMin ? "(" : "["}${min}, ${max}] (got ${JSON.stringify(text)})`,
      );
    }
    return value;
  };
}

/**
 * `--min-effect`: one floor for every p-value test (`0.1`), or one per test (`ks=0.1,chi2=0.05`),
 * as the config's `min_effect`.
 */
function effectFloors(text: string): number | EffectFloors {
  if (!text.includes("=")) return numberIn("--min-effect", 0, 1)(text);
  const tests = (Object.keys(driftTests) as DriftTestName[]).filter(
    (name) => driftTests[name].decision === "p_value",
  );
  const out: Partial<Record<DriftTestName, number>> = {};
  for (const part of text.split(",")) {
    const [name, value, ...rest] = part.split("=").map((x) => x.trim());
    if (value === undefined || rest.length > 0 || !tests.includes(name as DriftTestName))
      throw new InvalidArgumentError(
        `--min-effect must be a number in [0, 1] or TEST=NUMBER pairs for p-value tests (${tests.join(", ")}) separated by commas (got ${JSON.stringify(part)})`,
      );
    out[name as DriftTestName] = numberIn(`--min-effect ${name}`, 0, 1)(value);
  }
  return out;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];
const list = (value: string, previous: string[]): string[] => [
  ...previous,
  ...value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== ""),
];

interface ReportFlags extends LimitFlags {
  reference?: string;
  current: string[];
  config?: string;
  monitor: string[];
  sourceConfig?: string;
  format: "json" | "markdown" | "html";
  out?: string;
  inputFormat?: InputFormat;
  categorical: string[];
  numeric: string[];
  columns: string[];
  ignore: string[];
  numericTest: DriftTestName;
  categoricalTest: DriftTestName;
  alpha: number;
  threshold?: number;
  correction: DriftOptions["correction"];
  driftShare: number;
  minEffect: number | EffectFloors;
  failOnDrift?: boolean;
  target?: string;
  prediction?: string;
  score?: string;
  probabilities?: ProbabilityColumn[];
  positive?: string;
  task?: "classification" | "regression";
  outliers?: boolean;
  suite: string[];
  segmentBy?: string;
  maxSegments?: number;
  quiet?: boolean;
}

/**
 * `--probabilities`: `COLUMN` (the class is the column's name) or `LABEL=COLUMN`, separated by
 * commas; at least two, no class or column twice.
 */
function probabilityColumns(value: string): ProbabilityColumn[] {
  const columns = value.split(",").map((part) => {
    const at = part.indexOf("=");
    const [label, column] = at === -1 ? [part, part] : [part.slice(0, at), part.slice(at + 1)];
    if (label.trim() === "" || column.trim() === "")
      throw new InvalidArgumentError(
        `--probabilities ${showValue(value)}: ${showValue(part)} names no column`,
      );
    return { label: label.trim(), column: column.trim() };
  });
  if (columns.length < 2)
    throw new InvalidArgumentError(
      `--probabilities ${showValue(value)}: give the columns of at least two classes`,
    );
  for (const key of ["label", "column"] as const) {
    const seen = new Set<string>();
    for (const c of columns) {
      if (seen.has(c[key]))
        throw new InvalidArgumentError(
          `--probabilities ${showValue(value)}: ${key === "label" ? "class" : "column"} ${showValue(c[key])} is given twice`,
        );
      seen.add(c[key]);
    }
  }
  return columns;
}

/** Parses a whole-number flag within bounds, with a message naming the flag. */
function wholeNumberIn(flag: string, min: number, max: number) {
  return (text: string): number => {
    const value = Number(text);
    if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min || value > max)
      throw new InvalidArgumentError(
        `${flag} must be a whole number in [${min}, ${max}] (got ${JSON.stringify(text)})`,
      );
    return value;
  };
}

/** Renders a report in the requested format. */
export async function renderReport(report: DriftReport, format: ReportFlags["format"]): Promise<string> {
  switch (format) {
    case "json":
      return `${JSON.stringify(report, null, 2)}\n`;
    case "markdown":
      return renderMarkdown(report);
    case "html": {
      // Vega is large: load it only when an HTML report is asked for.
      const { renderHtml } = await import("../report/html.js");
      return renderHtml(report);
    }
  }
}

/**
 * The `report` command: compares a reference and a current data file column by column, and runs
 * expectation suites (`--suite`) over the current file; or, with `--config`, runs a config's
 * monitors over files through the daemon's own pipeline (`replayMonitors`).
 */
export function reportCommand(setExitCode: (code: number) => void): Command {
  const command = new Command("report")
    .description("compare a reference and a current data file column by column and report drift")
    .option(
      "--reference <file>",
      "reference data (CSV, TSV, JSON Lines, JSON array or Parquet), or a topic range: kafka://HOST:PORT/TOPIC?from=...&to=... or source:NAME?from=...&to=...",
    )
    .option(
      "--current <file>",
      "current data, same formats; with --config, events (JSON Lines or CSV) as NAME=FILE in place of a source (repeatable)",
      collect,
      [],
    )
    .option(
      "--config <file>",
      "run this config's monitors over files as the daemon runs them (its references, windows and suites), instead of comparing two files",
    )
    .option("--monitor <name>", "with --config: run only this monitor (repeatable)", collect, [])
    .option(
      "--source-config <file>",
      "the config whose kafka sources --reference/--current name as source:NAME?from=...&to=... (brokers, TLS, SASL, format, registry, schema)",
    )
    .addOption(
      new Option("--format <format>", "output format").choices(["json", "markdown", "html"]).default("json"),
    )
    .option("--out <file>", "write the report to a file instead of standard output")
    .addOption(
      new Option("--input-format <format>", "file format, when the extension does not tell").choices([
        ...inputFormats,
      ]),
    )
    .option("--categorical <name>", "treat a column as categorical (repeatable)", collect, [])
    .option("--numeric <name>", "treat a column as numeric (repeatable)", collect, [])
    .option("--columns <names>", "compare only these columns (comma-separated, repeatable)", list, [])
    .option("--ignore <names>", "leave these columns out (comma-separated, repeatable)", list, [])
    .addOption(
      new Option("--numeric-test <test>", "test for numeric columns")
        .choices(testsFor("numeric"))
        .default(defaultDriftOptions.numeric_test),
    )
    .addOption(
      new Option("--categorical-test <test>", "test for categorical columns")
        .choices(testsFor("categorical"))
        .default(defaultDriftOptions.categorical_test),
    )
    .option(
      "--alpha <p>",
      "significance level of p-value tests",
      numberIn("--alpha", 0, 1, { exclusiveMin: true }),
      defaultDriftOptions.alpha,
    )
    .option(
      "--threshold <value>",
      "drift threshold of distance tests (default: the test's own, 0.1)",
      numberIn("--threshold", 0, Number.MAX_VALUE, { exclusiveMin: true }),
    )
    .addOption(
      new Option("--correction <method>", "multiple-testing correction across columns")
        .choices(["none", "bonferroni", "fdr"])
        .default(defaultDriftOptions.correction),
    )
    .option(
      "--drift-share <share>",
      "dataset drift when this share of columns drifts",
      numberIn("--drift-share", 0, 1),
      defaultDriftOptions.drift_share,
    )
    .option(
      "--min-effect <size>",
      "effect-size floor for p-value tests (KS D, Cramér's V, ...): one number, or TEST=NUMBER pairs (ks=0.1,chi2=0.05)",
      effectFloors,
      defaultDriftOptions.min_effect,
    )
    .option(
      "--target <name>",
      "true label (or value) column: model quality and target drift (with --prediction)",
    )
    .option(
      "--prediction <name>",
      "predicted label (or value) column: model quality and prediction drift (with --target)",
    )
    .option("--score <name>", "probability of the positive class, for ROC AUC, log loss and calibration")
    .option(
      "--probabilities <columns>",
      "every class's probability, as COLUMN or LABEL=COLUMN separated by commas (multiclass ROC AUC one-vs-rest, log loss, calibration)",
      probabilityColumns,
    )
    .option("--positive <label>", "positive class (default: the greater of two labels)")
    .addOption(
      new Option(
        "--task <task>",
        "model task (default: regression when the target holds non-integers)",
      ).choices(["classification", "regression"]),
    )
    .option("--outliers", "score the current rows for outliers against the reference rows (numeric columns)")
    .option(
      "--suite <file>",
      "run an expectation suite (YAML or JSON) over the current data; exit 1 when it fails (repeatable)",
      collect,
      [],
    )
    .option(
      "--segment-by <column>",
      "cut the comparison by this column's values: a section per value (the most frequent in the reference), the rest pooled in __other__",
    )
    .option(
      "--max-segments <n>",
      "with --segment-by: values with a section of their own at most (default 20)",
      wholeNumberIn("--max-segments", 1, 1000),
    )
    .option("--fail-on-drift", "exit with code 1 when the dataset (or, with --segment-by, a segment) drifted")
    .option("--quiet", "no progress bar");
  return addLimitOptions(command).action(async (flags: ReportFlags, self: Command) => {
    if (flags.config !== undefined) {
      await reportMonitors(flags, self);
      return;
    }
    if (flags.monitor.length > 0) throw new UserError("--monitor needs --config");
    if (flags.reference === undefined) throw new UserError("--reference <file> is required (or --config)");
    if (flags.current.length !== 1)
      throw new UserError(
        flags.current.length === 0
          ? "--current <file> is required (or --config)"
          : "--current is given more than once; compare one reference with one current file",
      );
    const current = flags.current[0];
    const bar =
      !flags.quiet && process.stderr.isTTY
        ? new SingleBar({
            stream: process.stderr,
            format: "reading [{bar}] {percentage}% | {value}/{total} MB",
            hideCursor: true,
            clearOnComplete: true,
          })
        : null;
    let started = false;
    if ((flags.target === undefined) !== (flags.prediction === undefined)) {
      throw new UserError("--target and --prediction go together (model quality needs both)");
    }
    if (
      flags.target === undefined &&
      (flags.score !== undefined ||
        flags.probabilities !== undefined ||
        flags.positive !== undefined ||
        flags.task !== undefined)
    ) {
      throw new UserError("--score, --probabilities, --positive and --task need --target and --prediction");
    }
    if (flags.maxSegments !== undefined && flags.segmentBy === undefined)
      throw new UserError("--max-segments needs --segment-by");
    if (flags.score !== undefined && flags.probabilities !== undefined)
      throw new UserError(
        "give --score (the positive class's probability) or --probabilities (every class's), not both",
      );
    // Suites first: a suite that does not load is reported before any data is read.
    const suites = flags.suite.map((file) => loadSuite(file));
    // Topic ranges are read first, each into a temporary JSON Lines file the report reads as a file.
    const ranges: MaterializedRange[] = [];
    const fileOf = async (value: string, flag: string): Promise<string> => {
      if (!isTopicRange(value)) return value;
      if (flags.inputFormat !== undefined)
        throw new UserError(`--input-format is for files; ${flag} ${value} is read as events`);
      const topicBar =
        !flags.quiet && process.stderr.isTTY
          ? new SingleBar({
              stream: process.stderr,
              format: `reading ${flag} [{bar}] {value}/{total} messages`,
              clearOnComplete: true,
            })
          : null;
      let barStarted = false;
      const range = await materializeRange(value, flag, flags.sourceConfig, quietLog, (done, total) => {
        if (topicBar === null) return;
        if (!barStarted) topicBar.start(total, 0);
        barStarted = true;
        topicBar.update(done);
      }).finally(() => {
        if (barStarted) topicBar?.stop();
      });
      ranges.push(range);
      const rejected = Object.entries(range.outcome.rejected).map(([reason, n]) => `${n} ${reason}`);
      if (rejected.length > 0)
        process.stderr.write(
          `driftwatch: warning: ${flag} ${value}: records rejected and left out: ${rejected.join(", ")}\n`,
        );
      return range.path;
    };
    const build = (referenceFile: string, currentFile: string): Promise<DriftReport> =>
      buildReport({
        quality:
          flags.target !== undefined && flags.prediction !== undefined
            ? {
                target: flags.target,
                prediction: flags.prediction,
                score: flags.score,
                probabilities: flags.probabilities,
                positive: flags.positive,
                task: flags.task,
              }
            : undefined,
        outliers: flags.outliers,
        suites,
        reference: referenceFile,
        current: currentFile,
        inputFormat: flags.inputFormat,
        numeric: flags.numeric,
        categorical: flags.categorical,
        columns: flags.columns,
        ignore: flags.ignore,
        drift: {
          numeric_test: flags.numericTest,
          categorical_test: flags.categoricalTest,
          alpha: flags.alpha,
          threshold: flags.threshold,
          correction: flags.correction,
          drift_share: flags.driftShare,
          min_effect: flags.minEffect,
        },
        limits: limitsOf(flags),
        ...(flags.segmentBy === undefined
          ? {}
          : { segmentBy: flags.segmentBy, maxSegments: flags.maxSegments }),
        onProgress: bar
          ? (done, total) => {
              const mb = (n: number): number => Math.round(n / 1e6);
              if (!started) {
                bar.start(mb(total), 0);
                started = true;
              }
              bar.update(mb(done));
            }
          : undefined,
      }).finally(() => {
        if (started) bar?.stop();
      });
    let report: DriftReport;
    try {
      const referenceFile = await fileOf(flags.reference, "--reference");
      const currentFile = await fileOf(current, "--current");
      report = await build(referenceFile, currentFile);
    } finally {
      for (const range of ranges) range.remove();
    }
    // A topic range is named as given, not by its temporary file.
    const named = (value: string, input: DriftReport["inputs"]["current"]) =>
      isTopicRange(value) ? { ...input, path: value } : input;
    report = {
      ...report,
      inputs: {
        reference: named(flags.reference, report.inputs.reference),
        current: named(current, report.inputs.current),
      },
    };
    // Once per file, before the report: values were used with U+FFFD, and the report says so too.
    const warned = new Set<string>();
    for (const input of [report.inputs.reference, report.inputs.current]) {
      if (input.invalid_utf8 !== undefined && !warned.has(input.path) && warned.add(input.path))
        process.stderr.write(`driftwatch: warning: ${invalidUtf8Warning(input.path, input.invalid_utf8)}\n`);
    }
    await writeOut(flags.out, await renderReport(report, flags.format));
    const segmentDrift = report.segments !== undefined && report.segments.verdict.scope !== "none";
    if (flags.failOnDrift && (report.dataset.drift || segmentDrift)) setExitCode(1);
    if (report.checks?.some((c) => !c.success)) setExitCode(1);
  });
}

/** Options of the two-file comparison, refused with --config (whose monitors say all of that). */
const comparisonOnly = [
  "reference",
  "inputFormat",
  "categorical",
  "numeric",
  "columns",
  "ignore",
  "numericTest",
  "categoricalTest",
  "alpha",
  "threshold",
  "correction",
  "driftShare",
  "minEffect",
  "failOnDrift",
  "target",
  "prediction",
  "score",
  "probabilities",
  "positive",
  "task",
  "outliers",
  "suite",
  "segmentBy",
  "maxSegments",
];

/** `report --config`: the config's monitors over files, through the daemon's pipeline. */
async function reportMonitors(flags: ReportFlags, self: Command): Promise<void> {
  for (const key of comparisonOnly) {
    if (self.getOptionValueSource(key) === "cli") {
      const flag = `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
      throw new UserError(
        `${flag} compares two files; with --config the monitors' own settings (references, tests, suites) apply`,
      );
    }
  }
  if (flags.format === "html")
    throw new UserError("--format html compares two files; with --config use json or markdown");
  const loaded = loadConfig(flags.config as string);
  const files: Record<string, string> = {};
  const plain: string[] = [];
  for (const value of flags.current) {
    const at = value.indexOf("=");
    const name = at > 0 ? value.slice(0, at) : "";
    const sources = Object.keys(loaded.config.sources);
    if (at > 0 && sources.includes(name)) {
      if (files[name] !== undefined) throw new UserError(`--current ${name}=... is given more than once`);
      files[name] = value.slice(at + 1);
    } else if (at > 0 && !existsSync(value))
      throw new UserError(
        `--current ${value}: no source ${showValue(name)} in ${flags.config}${suggest(name, sources)}; sources: ${sources.join(", ")}`,
      );
    else plain.push(value);
  }
  if (plain.length > 0) {
    // A bare file stands for the one source the monitors read.
    const read = new Set<string>();
    for (const name of flags.monitor.length > 0 ? flags.monitor : Object.keys(loaded.config.monitors)) {
      const monitor = loaded.config.monitors[name];
      if (monitor !== undefined)
        for (const source of monitorKind(monitor.type).sources(monitor, loaded.config)) read.add(source);
    }
    if (plain.length > 1 || read.size !== 1)
      throw new UserError(
        `--current ${plain[0]}: the monitors read ${read.size === 1 ? "one source" : `the sources ${[...read].join(", ")}`}; give each file as --current SOURCE=FILE`,
      );
    const [only] = read;
    if (files[only] !== undefined) throw new UserError(`--current ${only}=... is given more than once`);
    files[only] = plain[0];
  }
  const report = await replayMonitors(loaded, { files, monitors: flags.monitor });
  await writeOut(
    flags.out,
    flags.format === "markdown" ? renderMonitorsMarkdown(report) : `${JSON.stringify(report, null, 2)}\n`,
  );
}

/** Writes a report to `--out`, or to standard output without it. */
async function writeOut(out: string | undefined, text: string): Promise<void> {
  if (out === undefined) {
    process.stdout.write(text);
    return;
  }
  try {
    await writeFile(out, text);
  } catch (error) {
    throw new UserError(`${out}: cannot write: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}
