/**
 * A problem the user can fix: a bad flag, a missing or malformed file, a column that does not
 * exist. The CLI prints its message as one line and exits with code 2, without a stack trace.
 * Messages are lower-case fragments naming the file, line and column where they apply, e.g.
 * `data/current.csv:17: column "price": expected 5 fields, found 4`.
 */
export class UserError extends Error {
  override readonly name = "UserError";
}

/** Formats a value for an error message: JSON (strings quoted), cut to 60 characters. */
export function showValue(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** " (did you mean "x"?)" when a known name is one or two edits away. */
export function suggest(name: string, known: readonly string[]): string {
  let best: string | null = null;
  let bestDistance = 3;
  for (const candidate of known) {
    const d = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate;
    }
  }
  return best === null ? "" : ` (did you mean ${showValue(best)}?)`;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

/** One problem in a configuration file. */
export interface ConfigProblem {
  /** JSON pointer to the offending value ("" for the document). */
  readonly path: string;
  readonly message: string;
  /** 1-based line in the file, where known. */
  readonly line?: number;
}

/**
 * An invalid configuration: every problem at once, each with its JSON path and line, like
 * Prometheus's rule loader. The CLI prints it and exits with code 2.
 */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(
    readonly file: string,
    readonly problems: readonly ConfigProblem[],
  ) {
    super(formatProblems(file, problems));
  }
}

function formatProblems(file: string, problems: readonly ConfigProblem[]): string {
  const head = `${file}: ${problems.length} problem${problems.length === 1 ? "" : "s"}`;
  const width = Math.max(...problems.map((p) => (p.path || "/").length));
  const lines = problems.map(
    (p) =>
      `  ${p.line === undefined ? "" : `line ${p.line}: `}${(p.path || "/").padEnd(width)}  ${p.message}`,
  );
  return [head, ...lines].join("\n");
}
