/**
 * The scoring of `npm run bench:alerts`, as pure functions: a detector's alarms per window of each
 * stream, against the stream's ground truth (where the injected drift starts), give its false
 * alarms per 1000 stationary windows (with a Wilson 95 % interval), its detection rate per drift
 * type and its delay from the drift start to the first alarm.
 *
 * Windows are spans of event indices `[start, end)` of the stream (the reference included, so a
 * window after a reference of R events starts at R or later). A window is stationary when it ends
 * at or before the drift start (every window of a stream without drift); the first drifted window
 * is the first one that ends after the drift start, whether it holds a few drifted events or only
 * drifted ones. A drift counts as detected when one of the D windows from the first drifted one
 * alarms; its delay is that window's index minus the first drifted one's (0 = at once), and, in
 * events, the alarming window's end minus the drift start (what the stream had to carry before
 * the alarm could be raised).
 */

/** One evaluated window of a stream and whether the detector alarmed on it. */
export interface WindowVerdict {
  /** First event of the window (index in the stream, reference included). */
  readonly start: number;
  /** One past its last event. */
  readonly end: number;
  readonly alarm: boolean;
}

/** A detector's verdicts on one stream, with the stream's ground truth. */
export interface StreamVerdicts {
  /** Drift type of the stream (`none` for a stationary stream). */
  readonly type: string;
  /** Index of the first drifted event, or null for a stationary stream. */
  readonly driftStart: number | null;
  /** The windows in stream order. */
  readonly windows: readonly WindowVerdict[];
}

/** What one stream contributes to a detector's score. */
export interface StreamScore {
  /** Windows wholly before the drift start (every window of a stationary stream). */
  readonly stationaryWindows: number;
  /** Those of them that alarmed. */
  readonly falseAlarms: number;
  /**
   * Whether an alarm came within D windows from the first drifted one; null for a stationary
   * stream, or one with no window after its drift start.
   */
  readonly detected: boolean | null;
  /** Windows from the first drifted one to the first alarm within D windows; null when not detected. */
  readonly delayWindows: number | null;
  /** Events from the drift start to the end of the alarming window; null when not detected. */
  readonly delayEvents: number | null;
}

/** A binomial proportion's confidence interval. */
export interface Interval {
  readonly low: number;
  readonly high: number;
}

/**
 * Wilson's score interval for `successes` out of `n` (Wilson 1927), at the normal quantile `z`
 * (1.96: 95 %). It stays inside [0, 1] and is not degenerate at 0 or n successes, unlike the
 * normal (Wald) interval. Edge case: n = 0 gives [0, 1].
 *
 * @example
 * wilson(0, 1000) // { low: 0, high: 0.00383… }
 */
export function wilson(successes: number, n: number, z = 1.959963984540054): Interval {
  if (n === 0) return { low: 0, high: 1 };
  const p = successes / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const spread = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return {
    low: successes === 0 ? 0 : Math.max(0, centre - spread),
    high: successes === n ? 1 : Math.min(1, centre + spread),
  };
}

/**
 * The q-quantile of `values` by linear interpolation between order statistics (Hyndman and Fan's
 * type 7, numpy's default); null for no values.
 */
export function quantile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/**
 * One stream's contribution to a detector's score: its stationary windows and false alarms, and
 * whether (and how late) an alarm came within `detectionWindows` windows (D) from the first
 * drifted window.
 */
export function scoreStream(stream: StreamVerdicts, detectionWindows: number): StreamScore {
  const start = stream.driftStart;
  let stationaryWindows = 0;
  let falseAlarms = 0;
  let first = -1;
  for (let i = 0; i < stream.windows.length; i++) {
    const w = stream.windows[i];
    if (start === null || w.end <= start) {
      stationaryWindows++;
      if (w.alarm) falseAlarms++;
    } else if (first < 0) first = i;
  }
  if (start === null || first < 0)
    return { stationaryWindows, falseAlarms, detected: null, delayWindows: null, delayEvents: null };
  const last = Math.min(stream.windows.length, first + detectionWindows);
  for (let i = first; i < last; i++)
    if (stream.windows[i].alarm)
      return {
        stationaryWindows,
        falseAlarms,
        detected: true,
        delayWindows: i - first,
        delayEvents: stream.windows[i].end - start,
      };
  return { stationaryWindows, falseAlarms, detected: false, delayWindows: null, delayEvents: null };
}

/** A detector's detection figures on the streams of one drift type. */
export interface DetectionScore {
  /** Streams of the type with a window after their drift start. */
  readonly streams: number;
  readonly detected: number;
  /** detected / streams (null for no streams). */
  readonly rate: number | null;
  readonly rate_ci: Interval;
  /** Median and 90th percentile of the delay of the detected streams, in events and in windows. */
  readonly median_delay_events: number | null;
  readonly p90_delay_events: number | null;
  readonly median_delay_windows: number | null;
  readonly p90_delay_windows: number | null;
}

/** A detector's score over a set of streams. */
export interface DetectorScore {
  readonly stationary_windows: number;
  readonly false_alarms: number;
  /** False alarms per 1000 stationary windows, with its Wilson 95 % interval (per 1000 too). */
  readonly false_alarms_per_1000: number | null;
  readonly false_alarms_per_1000_ci: Interval;
  /** Detection per drift type, in order of first appearance. */
  readonly detection: Record<string, DetectionScore>;
}

/**
 * A detector's score over `streams`: the false alarms of every stationary window (those of the
 * stationary streams and those before each drift), and per drift type the detection rate within
 * `detectionWindows` windows and the delay quantiles.
 */
export function scoreDetector(streams: readonly StreamVerdicts[], detectionWindows: number): DetectorScore {
  let stationary = 0;
  let alarms = 0;
  const byType = new Map<string, StreamScore[]>();
  for (const stream of streams) {
    const s = scoreStream(stream, detectionWindows);
    stationary += s.stationaryWindows;
    alarms += s.falseAlarms;
    if (s.detected === null) continue;
    const list = byType.get(stream.type) ?? [];
    list.push(s);
    byType.set(stream.type, list);
  }
  const detection: Record<string, DetectionScore> = {};
  for (const [type, scores] of byType) {
    const hits = scores.filter((s) => s.detected);
    const events = hits.map((s) => s.delayEvents as number);
    const windows = hits.map((s) => s.delayWindows as number);
    detection[type] = {
      streams: scores.length,
      detected: hits.length,
      rate: scores.length === 0 ? null : hits.length / scores.length,
      rate_ci: wilson(hits.length, scores.length),
      median_delay_events: quantile(events, 0.5),
      p90_delay_events: quantile(events, 0.9),
      median_delay_windows: quantile(windows, 0.5),
      p90_delay_windows: quantile(windows, 0.9),
    };
  }
  const ci = wilson(alarms, stationary);
  return {
    stationary_windows: stationary,
    false_alarms: alarms,
    false_alarms_per_1000: stationary === 0 ? null : (1000 * alarms) / stationary,
    false_alarms_per_1000_ci: { low: 1000 * ci.low, high: 1000 * ci.high },
    detection,
  };
}

/** The tumbling windows of `width` events after a reference of `reference` events in a stream of `length` events (a last partial window is not evaluated). */
export function tumblingWindows(
  length: number,
  reference: number,
  width: number,
): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  for (let start = reference; start + width <= length; start += width)
    out.push({ start, end: start + width });
  return out;
}
