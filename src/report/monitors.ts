import { cell, code } from "./markdown.js";

/** A source as a replay read it: its file, and its events as the daemon counts them. */
export interface SourceTally {
  /** The file read in the source's place (or the file source's own). */
  readonly path: string;
  /** Events that reached the monitors. */
  readonly valid: number;
  /** Events set aside as dead letters (malformed, invalid, too large, a `dead_letter` expectation). */
  readonly dead_lettered: number;
  /** Dead letters by reason. */
  readonly reasons: Readonly<Record<string, number>>;
}

/** What one monitor gave over a replay. */
export interface MonitorOutcome {
  /** Its kind (the config's `type`). */
  readonly type: string;
  /**
   * Every result, in the order the daemon would have published them: windows closed during the
   * replay, events a detector fired on, and last the window left open, closed as it stood.
   */
  readonly results: readonly unknown[];
  /** The verdict line of each result that has one (what `driftwatch run` prints). */
  readonly verdicts: readonly string[];
}

/**
 * `driftwatch report --config`: a config's monitors run over files by the daemon's own pipeline,
 * so that its results are the ones the daemon gives on the same events.
 */
export interface MonitorsReport {
  readonly generated_by: string;
  /** The config file. */
  readonly config: string;
  /** The sources read, by name. */
  readonly sources: Readonly<Record<string, SourceTally>>;
  /** The monitors run, by name, in the config's order. */
  readonly monitors: Readonly<Record<string, MonitorOutcome>>;
}

/** Renders a replay: one table of the sources read, then each monitor's verdict lines. */
export function renderMonitorsMarkdown(report: MonitorsReport): string {
  const out: string[] = [`# driftwatch report: the monitors of ${code(report.config)}`, ""];
  out.push("| source | file | valid events | dead-lettered |", "|---|---|---:|---:|");
  for (const [name, tally] of Object.entries(report.sources)) {
    const reasons = Object.entries(tally.reasons)
      .map(([reason, n]) => `${reason}: ${n}`)
      .join(", ");
    out.push(
      `| ${cell(name)} | ${cell(tally.path)} | ${tally.valid} | ${tally.dead_lettered}${reasons === "" ? "" : ` (${cell(reasons)})`} |`,
    );
  }
  for (const [name, outcome] of Object.entries(report.monitors)) {
    out.push("", `## ${code(name)} (${outcome.type})`, "");
    if (outcome.results.length === 0) out.push("No window closed: the replay gave this monitor no event.");
    else if (outcome.verdicts.length === 0)
      out.push(`${outcome.results.length} results, none with a verdict line.`);
    else for (const line of outcome.verdicts) out.push(`- ${code(line)}`);
  }
  return `${out.join("\n")}\n`;
}
