import { checkChecksMonitorState } from "../checks/monitor.js";
import type { MonitorConfig } from "../config/types.js";
import { checkDriftMonitorState } from "../drift/monitor.js";
import { checkOutlierMonitorState } from "../outliers/monitor.js";
import { checkPerformanceMonitorState } from "../performance/monitor.js";
import { expectObject, expectOneOf, expectString, pointerSegment } from "../shape.js";

/** The shape check of each monitor type's checkpointed state, by the type the entry records. */
const stateChecks: Record<MonitorConfig["type"], (state: unknown, path: string) => void> = {
  drift: checkDriftMonitorState,
  outliers: checkOutlierMonitorState,
  checks: checkChecksMonitorState,
  performance: checkPerformanceMonitorState,
};

/**
 * Checks every monitor entry of a checkpoint (`{ hash, type, state }`) with its type's own check,
 * whether or not the running config still has that monitor: a checkpoint is usable as a whole or
 * not at all. Throws a `StateShapeError` naming the JSON path and the value.
 *
 * @example
 *   checkMonitorStates({ m: { hash: "h", type: "drift", state: { collecting: null, window: null } } })
 *   // throws: /monitors/m/state/window: not an object (got null)
 */
export function checkMonitorStates(monitors: unknown, path = "/monitors"): void {
  for (const [name, value] of Object.entries(expectObject(monitors, path))) {
    const at = `${path}/${pointerSegment(name)}`;
    const entry = expectObject(value, at);
    expectString(entry.hash, `${at}/hash`);
    const type = expectOneOf(entry.type, Object.keys(stateChecks) as MonitorConfig["type"][], `${at}/type`);
    stateChecks[type](entry.state, `${at}/state`);
  }
}
