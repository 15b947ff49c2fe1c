/**
 * The one logger: short messages with structured fields, one line each, to stderr (logfmt), so
 * that stdout stays free for what a command prints. A child carries its component's fields.
 * Nothing is logged per event.
 */
export type Level = "debug" | "info" | "warn" | "error";
const order: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

function formatValue(value: unknown): string {
  const text =
    value instanceof Error ? value.message : typeof value === "string" ? value : JSON.stringify(value);
  return /^[\w./:@+-]*$/.test(text ?? "") && text !== "" ? (text as string) : JSON.stringify(text);
}

/** A structured logger writing logfmt lines. */
export class Logger {
  constructor(
    private readonly level: Level = "info",
    private readonly fields: Readonly<Record<string, unknown>> = {},
    private readonly write: (line: string) => void = (line) => process.stderr.write(line),
  ) {}

  /** A logger that adds `fields` to every line. */
  child(fields: Record<string, unknown>): Logger {
    return new Logger(this.level, { ...this.fields, ...fields }, this.write);
  }

  log(level: Level, message: string, fields: Record<string, unknown> = {}): void {
    if (order[level] < order[this.level]) return;
    const all = { ...this.fields, ...fields };
    const parts = [`ts=${new Date().toISOString()}`, `level=${level}`, `msg=${JSON.stringify(message)}`];
    for (const [key, value] of Object.entries(all))
      if (value !== undefined) parts.push(`${key}=${formatValue(value)}`);
    this.write(`${parts.join(" ")}\n`);
  }

  debug(message: string, fields?: Record<string, unknown>): void {
    this.log("debug", message, fields);
  }
  info(message: string, fields?: Record<string, unknown>): void {
    this.log("info", message, fields);
  }
  warn(message: string, fields?: Record<string, unknown>): void {
    this.log("warn", message, fields);
  }
  error(message: string, fields?: Record<string, unknown>): void {
    this.log("error", message, fields);
  }
}
