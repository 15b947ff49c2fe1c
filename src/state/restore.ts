import type { Logger } from "../log.js";
import type { Metrics } from "../metrics/metrics.js";
import type { Checkpoint, CheckpointStore } from "./checkpoint.js";
import { CheckpointUnusable } from "./errors.js";

const OUTCOMES = ["ok", "fallback", "refused", "reset"] as const;

/**
 * Restores a starting pipeline's checkpoint, and logs and counts what happened
 * (`driftwatch_checkpoint_restores_total{outcome}`): the newest generation (`ok`), the previous
 * one because the newest is damaged (`fallback`, one warning naming the damaged file, why, and the
 * generation used), afresh because none is usable and `reset` allows it (`reset`, one warning), or
 * a refusal (`refused`: the error is the one line the CLI prints; nothing else is logged).
 *
 * @throws StateDirError when the state dir cannot be written
 * @throws CheckpointUnusable when no generation is usable and `reset` is false
 */
export function restoreCheckpoint(
  store: CheckpointStore,
  options: { readonly reset: boolean; readonly log: Logger; readonly metrics: Metrics },
): Checkpoint | null {
  const { log, metrics } = options;
  for (const outcome of OUTCOMES) metrics.checkpointRestoresTotal.inc({ outcome }, 0);
  let restored: ReturnType<CheckpointStore["restore"]>;
  try {
    restored = store.restore({ reset: options.reset });
  } catch (error) {
    if (error instanceof CheckpointUnusable) metrics.checkpointRestoresTotal.inc({ outcome: "refused" });
    throw error;
  }
  const { outcome, damaged } = restored;
  if (outcome === "none") return null;
  metrics.checkpointRestoresTotal.inc({ outcome });
  const used = `${restored.file} (generation ${restored.generation})`;
  if (outcome === "fallback") {
    log.warn("newest checkpoint is damaged; restored the previous generation", {
      dir: store.dir,
      damaged: damaged.join("; "),
      used,
      aside: "damaged/",
    });
  } else if (outcome === "reset") {
    log.warn("no usable checkpoint; starting afresh (--reset-state)", {
      dir: store.dir,
      damaged: damaged.join("; "),
      aside: "damaged/",
    });
  }
  return restored.checkpoint;
}
