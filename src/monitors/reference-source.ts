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
