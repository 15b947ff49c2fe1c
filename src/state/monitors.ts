import { monitorKinds } from "../monitors/registry.js";
import { expectObject, expectOneOf, expectString, pointerSegment } from "../shape.js";

/**
 * Checks every monitor entry of a checkpoint (`{ hash, type, state }`) with its kind's own check,
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
    const type = expectOneOf(entry.type, Object.keys(monitorKinds), `${at}/type`);
    monitorKinds[type].checkState(entry.state, `${at}/state`);
  }
}
