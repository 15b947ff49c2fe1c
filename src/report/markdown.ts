import { describeVerdict } from "../drift/scope.js";
import { invalidUtf8Warning } from "../io/utf8.js";
import type { ClassificationMetrics, Estimate, RegressionMetrics } from "../performance/types.js";
import { describeOutcome, showKwargs } from "./checks-text.js";
import type {
  ChecksSection,
  ColumnReport,
  DriftReport,
  ModelQuality,
  OutlierSection,
  SegmentsReport,
} from "./model.js";

/** Formats a p-value or statistic compactly: scientific notation when tiny, 4 significant digits. */
export function formatNumber(value: number | null): string {
  if (value === null) return "–";
  if (value === 0) return "0";
  const abs = Math.abs(value);
  if (abs < 1e-3 || abs >= 1e6) return value.toExponential(2);
  return Number(value.toPrecision(4)).toString();
}

// Markdown table cells: escape the characters that would end the cell or start markup.
export function cell(text: string): string {
  return text.replace(/[\\|`*_[\]<>]/g, (c) => `\\${c}`).replace(/\r?\n/g, " ");
}

/** Orders columns as the renderers show them: drifted first, then by p-value or distance. */
export function displayOrder(columns: readonly ColumnReport[]): ColumnReport[] {
  return [...columns].sort((a, b) => {
    if (a.drift !== b.drift) return a.drift ? -1 : 1;
    const pa = a.p_value_adjusted ?? a.p_value;
    const pb = b.p_value_adjusted ?? b.p_value;
    if (pa !== null && pb !== null && pa !== pb) return pa - pb;
    if ((pa === null) !== (pb === null)) return pa === null ? 1 : -1;
    return b.statistic - a.statistic || a.name.localeCompare(b.name);
  });
}

/** Renders the report as GitHub-flavoured Markdown, for CI comments. */
export function renderMarkdown(report: DriftReport): string {
  const d = report.dataset;
  const lines: string[] = [];
  lines.push(`## Drift report: ${d.drift ? "**dataset drift detected**" : "no dataset drift"}`);
  lines.push("");
  lines.push(
    `${d.drifted_columns} of ${d.columns} columns drifted (share ${formatNumber(d.share)}, dataset drift at ≥ ${formatNumber(d.drift_share)}; alpha ${d.alpha}, correction ${d.correction}).`,
  );
  lines.push("");
  lines.push(
    `Reference: \`${report.inputs.reference.path}\` (${report.inputs.reference.rows} rows) · current: \`${report.inputs.current.path}\` (${report.inputs.current.rows} rows)`,
  );
  lines.push("");
  for (const input of [report.inputs.reference, report.inputs.current]) {
    if (input.invalid_utf8 === undefined) continue;
    lines.push(`> **Warning:** ${invalidUtf8Warning(`\`${input.path}\``, input.invalid_utf8)}.`, "");
  }
  lines.push(
    "| column | kind | test | statistic | p-value | threshold | drift | n ref / cur | missing ref / cur | Wasserstein | PSI | JS | Hellinger |",
  );
  lines.push("|---|---|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|");
  for (const c of displayOrder(report.columns)) {
    const p =
      c.p_value_adjusted !== null && c.p_value_adjusted !== c.p_value
        ? `${formatNumber(c.p_value)} (adj. ${formatNumber(c.p_value_adjusted)})`
        : formatNumber(c.p_value);
    lines.push(
      `| ${cell(c.name)} | ${c.kind} | ${c.test} | ${formatNumber(c.statistic)} | ${p} | ${formatNumber(c.threshold)} | ${c.drift ? "**yes**" : "no"} | ${c.n_reference} / ${c.n_current} | ${c.missing_reference} / ${c.missing_current} | ${formatNumber(c.distances.wasserstein ?? null)} | ${formatNumber(c.distances.psi)} | ${formatNumber(c.distances.jensen_shannon)} | ${formatNumber(c.distances.hellinger)} |`,
    );
  }
  const categorical = report.columns.filter(
    (c) => (c.only_in_current?.length ?? 0) > 0 || (c.only_in_reference?.length ?? 0) > 0,
  );
  if (categorical.length > 0) {
    lines.push("");
    lines.push("Categories seen on one side only:");
    lines.push("");
    for (const c of categorical) {
      const list = (xs: readonly string[] | undefined): string =>
        xs && xs.length > 0 ? xs.map((x) => `\`${x.replaceAll("`", "'")}\``).join(", ") : "none";
      lines.push(
        `- ${cell(c.name)}: only in reference ${list(c.only_in_reference)}; only in current ${list(c.only_in_current)}`,
      );
    }
  }
  if (report.segments) lines.push("", ...segmentsMarkdown(report.segments));
  if (report.roles) {
    const named = [report.roles.target, report.roles.prediction, report.roles.score].filter(
      (n): n is string => n !== undefined,
    );
    const rows = report.columns.filter((c) => named.includes(c.name));
    lines.push("");
    lines.push("### Target and prediction drift");
    lines.push("");
    for (const c of rows) {
      const role =
        c.name === report.roles.target
          ? "target"
          : c.name === report.roles.prediction
            ? "prediction"
            : "score";
      lines.push(
        `- ${role} \`${c.name.replaceAll("`", "'")}\`: ${c.test} ${formatNumber(c.statistic)}, p ${formatNumber(c.p_value_adjusted ?? c.p_value)}: ${c.drift ? "**drift**" : "no drift"}`,
      );
    }
  }
  if (report.quality) lines.push("", ...qualityMarkdown(report.quality));
  if (report.outliers) lines.push("", ...outliersMarkdown(report.outliers));
  for (const section of report.checks ?? []) lines.push("", ...checksMarkdown(section));
  if (report.skipped.length > 0) {
    lines.push("");
    lines.push(`Skipped: ${report.skipped.map((s) => `${cell(s.name)} (${s.reason})`).join(", ")}.`);
  }
  lines.push("");
  lines.push(
    `<sub>${report.generated_by}; Jensen–Shannon distance uses the natural logarithm; PSI replaces zero proportions by 1e-4.</sub>`,
  );
  return `${lines.join("\n")}\n`;
}

/** A column's verdict in a few words: `temp_max (ks 0.8, p=1.2e-09)`. */
function columnBrief(c: ColumnReport): string {
  const p = c.p_value_adjusted ?? c.p_value;
  return `${c.name} (${c.test} ${formatNumber(c.statistic)}${p === null ? "" : `, p=${formatNumber(p)}`})`;
}

/** How rows were given segments, in one sentence; `name` formats the column's and a segment's name. */
export function segmentsRule(segments: SegmentsReport, name: (text: string) => string): string {
  const own = segments.segments.filter((s) => s.segment !== "__other__").length;
  return `Up to ${segments.max_segments} values of ${name(segments.by)}, those with the most reference rows, have a segment of their own (${own} here); current rows of any other value (${segments.overflow_rows}) and rows without a value are pooled in ${name("__other__")}.`;
}

/**
 * The segments of `--segment-by`: the dataset-level verdict, a table of which segments drifted,
 * then a section per segment with its columns.
 */
export function segmentsMarkdown(segments: SegmentsReport): string[] {
  const lines = [
    `### Segments by ${code(segments.by)}: ${segments.verdict.scope === "none" ? "" : "**"}${describeVerdict(segments.verdict)}${segments.verdict.scope === "none" ? "" : "**"}`,
    "",
    `${segmentsRule(segments, code)} A segment drifts when its share of drifted columns reaches the dataset's bound; the drift is global when the pooled data drifts or more than half of the segments compared drift.`,
    "",
    "| segment | rows ref / cur | drifted columns | drift | drifted columns (most significant first) |",
    "|---|---:|---:|---|---|",
  ];
  for (const s of segments.segments) {
    const d = s.dataset;
    const drifted = displayOrder(s.columns).filter((c) => c.drift);
    lines.push(
      `| ${cell(s.segment)} | ${s.rows.reference} / ${s.rows.current} | ${d.drifted_columns} of ${d.columns} | ${d.columns === 0 ? "not compared" : d.drift ? "**yes**" : "no"} | ${cell(drifted.map(columnBrief).join(", "))} |`,
    );
  }
  for (const s of segments.segments) {
    const d = s.dataset;
    lines.push(
      "",
      `#### Segment ${code(s.segment)}: ${d.columns === 0 ? "not compared" : d.drift ? "**drift**" : "no drift"}, ${d.drifted_columns} of ${d.columns} columns drifted`,
      "",
    );
    if (s.columns.length > 0) {
      lines.push(
        "| column | test | statistic | p-value | drift | n ref / cur |",
        "|---|---|---:|---:|---|---:|",
      );
      for (const c of displayOrder(s.columns))
        lines.push(
          `| ${cell(c.name)} | ${c.test} | ${formatNumber(c.statistic)} | ${formatNumber(c.p_value_adjusted ?? c.p_value)} | ${c.drift ? "**yes**" : "no"} | ${c.n_reference} / ${c.n_current} |`,
        );
    }
    if (s.skipped.length > 0)
      lines.push("", `Not compared: ${s.skipped.map((k) => `${cell(k.name)} (${k.reason})`).join(", ")}.`);
  }
  return lines;
}

function estimateText(e: Estimate | undefined): string {
  if (e === undefined || e.value === null) return "–";
  const interval = e.interval ? ` [${formatNumber(e.interval.low)}, ${formatNumber(e.interval.high)}]` : "";
  return `${formatNumber(e.value)}${interval}`;
}

/** The model-quality section: one row per metric, reference against current, with intervals. */
export function qualityMetricRows(quality: ModelQuality): [string, Estimate, Estimate][] {
  const names =
    quality.task === "classification"
      ? ([
          "accuracy",
          "macro_precision",
          "macro_recall",
          "macro_f1",
          // One-vs-rest for every class's probabilities; the positive class's otherwise.
          quality.probabilities === null ? "roc_auc" : "roc_auc_ovr",
          "log_loss",
          "expected_calibration_error",
        ] as const)
      : (["mae", "rmse", "mape", "r2"] as const);
  const of = (metrics: ClassificationMetrics | RegressionMetrics, name: string): Estimate =>
    (metrics as unknown as Record<string, Estimate>)[name] ?? { value: null, interval: null };
  return names.map((name) => [name, of(quality.reference, name), of(quality.current, name)]);
}

/** " N reference and M current rows had probabilities that could not be used.", or "". */
export function unusableText(quality: ModelQuality): string {
  const of = (m: ModelQuality["reference"]) => ("invalid_scores" in m ? m.invalid_scores : 0);
  const [ref, cur] = [of(quality.reference), of(quality.current)];
  return ref + cur === 0
    ? ""
    : ` Rows whose probabilities could not be used (not a number in [0, 1]): ${ref} reference, ${cur} current.`;
}

function qualityMarkdown(quality: ModelQuality): string[] {
  const lines = [
    `### Model quality (${quality.task}: \`${quality.prediction}\` against \`${quality.target}\`${quality.positive ? `, positive class \`${quality.positive}\`` : ""})`,
    "",
    "| metric | reference | current |",
    "|---|---:|---:|",
  ];
  for (const [name, ref, cur] of qualityMetricRows(quality))
    lines.push(`| ${name} | ${estimateText(ref)} | ${estimateText(cur)} |`);
  lines.push("", `Task: ${quality.task}, because ${quality.task_reason}.${unusableText(quality)}`);
  lines.push(
    "",
    `<sub>95 % intervals: Wilson for proportions, delta method for F1, RMSE and R², DeLong for ROC AUC, a conservative bound from the classes' DeLong errors for one-vs-rest ROC AUC, a seeded Poisson bootstrap for the calibration error. Rows without a label or prediction: ${quality.skipped_rows.reference} reference, ${quality.skipped_rows.current} current.</sub>`,
  );
  return lines;
}

function outliersMarkdown(section: OutlierSection): string[] {
  const lines = [
    `### Outliers among the ${section.rows} current rows (${section.features.map(cell).join(", ")})`,
    "",
    "| scorer | threshold | outliers | share | most extreme rows |",
    "|---|---:|---:|---:|---|",
  ];
  for (const s of section.scorers) {
    lines.push(
      `| ${s.scorer} | ${formatNumber(s.threshold)} | ${s.outliers} | ${formatNumber(s.ratio)} | ${s.top
        .slice(0, 5)
        .map((t) => `${t.row} (${formatNumber(t.score)})`)
        .join(", ")} |`,
    );
  }
  return lines;
}

/** Inline code that cannot be closed early by a backtick in the text. */
export function code(text: string): string {
  return `\`${text.replaceAll("`", "'").replace(/\r?\n/g, " ")}\``;
}

/**
 * An expectation suite's section: its verdict and statistics, then one row per expectation with
 * its columns, severity, verdict and what it found; failures are bold.
 */
export function checksMarkdown(section: ChecksSection): string[] {
  const s = section.statistics;
  const lines = [
    `### Expectation suite ${code(section.suite)}: ${section.success ? "passed" : "**failed**"}`,
    "",
    `${s.successful_expectations} of ${s.evaluated_expectations} expectations met, run over the current data (suite file ${code(section.file)}).`,
    "",
    "| expectation | column | severity | result | found |",
    "|---|---|---|---|---|",
  ];
  for (const e of section.expectations) {
    const verdict = e.success ? "passed" : e.error !== null ? "**error**" : "**failed**";
    // Types are GE identifiers ([a-z_]), safe in a code span.
    const args = showKwargs(e.kwargs);
    const type = `${e.success ? code(e.type) : `**${code(e.type)}**`}${args === "" ? "" : ` ${cell(args)}`}`;
    lines.push(
      `| ${type} | ${e.columns.length === 0 ? "(table)" : cell(e.columns.join(", "))} | ${e.severity} | ${verdict} | ${cell(describeOutcome(e))} |`,
    );
  }
  return lines;
}
