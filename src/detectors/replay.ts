import type { Detector } from "./types.js";

/** What a detector signalled over a stream: the 0-based indices after which it was in each state. */
export interface Detections {
  readonly drifts: number[];
  readonly warnings: number[];
}

/**
 * Feeds every value of a stream to a detector and collects the indices of drifts and warnings,
 * as River's `for i, x in enumerate(stream): d.update(x); if d.drift_detected: ...` loop does.
 * For offline replays, tests, and throughput: `npm run bench:quality` can time this loop against
 * River's on the same stream (create the detector and a Float64Array of the values outside the
 * timer; `update` itself allocates nothing, so the collected indices are the only allocation).
 *
 * @example
 * replay(detectors.page_hinkley.create({ threshold: 10 }), [...Array(100).fill(0), ...Array(100).fill(1)])
 * // { drifts: [110], warnings: [] }
 */
export function replay<S>(detector: Detector<S>, values: ArrayLike<number>): Detections {
  const drifts: number[] = [];
  const warnings: number[] = [];
  for (let i = 0; i < values.length; i++) {
    detector.update(values[i]);
    if (detector.driftDetected) drifts.push(i);
    if (detector.warningDetected) warnings.push(i);
  }
  return { drifts, warnings };
}
