import type { MonitorResult } from "./types.js";

/**
 * The verdict lines of a stream of results, as `driftwatch run` prints them: each result's
 * `kind.verdict`, except that results repeating every tick (a kind's `repeatKey`, e.g. freshness)
 * give a line only when their key changes for the monitor. One per stream: it remembers the keys.
 */
export function verdictLines(): (result: MonitorResult) => string | null {
  const repeated = new Map<string, string>();
  return ({ kind, monitor, result }) => {
    const line = kind.verdict(result);
    if (line === null) return null;
    const key = kind.repeatKey?.(result);
    if (key !== undefined) {
      if (repeated.get(monitor) === key) return null;
      repeated.set(monitor, key);
    }
    return line;
  };
}
