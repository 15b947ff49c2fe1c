import type { MonitorResult } from "./types.js";

/**
 * An `onResult` handler that passes on the results of one monitor kind only, as that kind's own
 * result type (e.g. the drift evaluations of a pipeline that also runs a checks monitor).
 *
 * @example
 *   const drift: DriftResult[] = [];
 *   await Pipeline.create(loaded, { log, onResult: resultsOf<DriftResult>("drift", (r) => drift.push(r)) });
 */
export function resultsOf<R>(type: string, handle: (result: R) => void): (result: MonitorResult) => void {
  return ({ kind, result }) => {
    if (kind.type === type) handle(result as R);
  };
}
