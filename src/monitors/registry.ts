import { checksKind } from "../checks/kind.js";
import { driftKind } from "../drift/kind.js";
import { multivariateKind } from "../multivariate/kind.js";
import { onlineKind } from "../online/kind.js";
import { outliersKind } from "../outliers/kind.js";
import { performanceKind } from "../performance/kind.js";
import type { AnyMonitorKind } from "./types.js";

/**
 * The monitor kinds by their config `type`: the only list of them. A batch's results are
 * published kind by kind in this order.
 */
export const monitorKinds: Record<string, AnyMonitorKind> = {
  checks: checksKind,
  drift: driftKind,
  multivariate: multivariateKind,
  online_drift: onlineKind,
  outliers: outliersKind,
  performance: performanceKind,
};

/**
 * Registers a monitor kind beside the built-in ones (an extension, a test's toy kind): configs may
 * then name its `type` (the config is checked with its `schema`), and checkpoints hold its state.
 * Throws when the type is taken or the kind has no schema.
 */
export function registerMonitorKind(kind: AnyMonitorKind): void {
  if (Object.hasOwn(monitorKinds, kind.type))
    throw new Error(`monitor kind ${kind.type} is already registered`);
  monitorKinds[kind.type] = kind;
}

// The order the schema lists the built-in kinds' branches in, which is also the order of the "known
// types" a config error names: kept from before the kinds gave their own branches, so that neither
// the published schema nor the messages moved. (The registry's own order is the publishing order.)
const schemaOrder = ["drift", "outliers", "performance", "checks", "multivariate", "online_drift"];

/**
 * The config branches of the registered kinds, for the `monitors` map of the config schema: the
 * built-in kinds first, then those registered as extensions in the order they were registered.
 * A kind without a schema gives an empty one (it accepts any entry).
 */
export function monitorSchemas(): object[] {
  const rank = (type: string) => {
    const i = schemaOrder.indexOf(type);
    return i === -1 ? schemaOrder.length : i;
  };
  // Array.prototype.sort is stable: extensions keep their registration order.
  return Object.values(monitorKinds)
    .sort((a, b) => rank(a.type) - rank(b.type))
    .map((kind) => kind.schema ?? {});
}

/** The kind of a config `type`; throws for a type no kind is registered under. */
export function monitorKind(type: string): AnyMonitorKind {
  const kind = Object.hasOwn(monitorKinds, type) ? monitorKinds[type] : undefined;
  if (kind === undefined) throw new Error(`no monitor kind ${JSON.stringify(type)} is registered`);
  return kind;
}
