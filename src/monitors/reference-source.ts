import { showValue, UserError } from "../errors.js";
import type { ReferenceSource } from "./types.js";

/**
 * Reads `--from` of `driftwatch reference set`: `window:N` (a window index), `profile:PATH` (a
 * profile from `driftwatch profile`), `file:PATH` or a bare `PATH` (a data file). Paths are
 * resolved with `resolve` (against the working directory of the command, which sends them
 * absolute to the daemon).
 */
export function parseReferenceSource(text: string, resolve: (path: string) => string): ReferenceSource {
  const window = /^window:(\d{1,15})$/.exec(text);
  if (window) return { type: "window", index: Number(window[1]) };
  if (text.startsWith("window:"))
    throw new UserError(`--from ${showValue(text)}: a window is window:N, N its index (a whole number)`);
  const typed = /^(file|profile):(.+)$/s.exec(text);
  const type = typed ? (typed[1] as "file" | "profile") : "file";
  const path = typed ? typed[2] : text;
  if (path.trim() === "") throw new UserError(`--from ${showValue(text)} names no file`);
  return { type, path: resolve(path) };
}

/**
 * Throws, naming the monitor, when window `index` has closed already: windows are not kept, so a
 * `window:N` reference must name one still to come (`next` is the index of the next to close).
 */
export function checkFutureWindow(monitor: string, index: number, next: number): void {
  if (index < next)
    throw new UserError(
      `window ${index} of monitor ${showValue(monitor)} has closed, and windows are not kept; name one still to come (the next is ${next}) or give a file`,
    );
}
