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
