import { strict as assert } from "node:assert";
import {
  quantile,
  type StreamVerdicts,
  scoreDetector,
  scoreStream,
  tumblingWindows,
  wilson,
} from "../../bench/alerts/score.js";

const R = 500;
const W = 100;
const LENGTH = 1461;
const D = 5;

/** The streams of the bench's shape: two stationary, and one per drift type, started mid-window and on a boundary. */
const truths: { type: string; driftStart: number | null }[] = [
  { type: "none", driftStart: null },
  { type: "none", driftStart: null },
  { type: "abrupt", driftStart: 850 },
  { type: "abrupt", driftStart: 800 },
  { type: "gradual", driftStart: 850 },
  { type: "prior", driftStart: 850 },
];

const streamsOf = (alarm: (window: { start: number; end: number }, driftStart: number | null) => boolean) =>
  truths.map(
    ({ type, driftStart }): StreamVerdicts => ({
      type,
      driftStart,
      windows: tumblingWindows(LENGTH, R, W).map((w) => ({ ...w, alarm: alarm(w, driftStart) })),
    }),
  );

// Stationary windows: 9 in each stationary stream; 3 before a drift at 850 or at 800.
const STATIONARY = 2 * 9 + 4 * 3;

describe("bench/alerts score", () => {
  it("cuts tumbling windows after the reference, without the partial last one", () => {
    const windows = tumblingWindows(LENGTH, R, W);
    assert.equal(windows.length, 9);
    assert.deepEqual(windows[0], { start: 500, end: 600 });
    assert.deepEqual(windows[8], { start: 1300, end: 1400 });
  });

  it("scores a perfect oracle: no false alarm, every drift detected at once", () => {
    const score = scoreDetector(
      streamsOf((w, start) => start !== null && w.end > start),
      D,
    );
    assert.equal(score.stationary_windows, STATIONARY);
    assert.equal(score.false_alarms, 0);
    assert.equal(score.false_alarms_per_1000, 0);
    assert.equal(score.false_alarms_per_1000_ci.low, 0);
    assert.ok(score.false_alarms_per_1000_ci.high > 0 && score.false_alarms_per_1000_ci.high < 150);
    assert.deepEqual(Object.keys(score.detection), ["abrupt", "gradual", "prior"]);
    for (const d of Object.values(score.detection)) {
      assert.equal(d.rate, 1);
      assert.equal(d.median_delay_windows, 0);
      assert.equal(d.p90_delay_windows, 0);
    }
    // A drift at 850 is seen when the window [800, 900) closes; one at 800 when [800, 900) does.
    assert.equal(score.detection.abrupt.streams, 2);
    assert.equal(score.detection.abrupt.median_delay_events, 75);
    assert.equal(score.detection.gradual.median_delay_events, 50);
  });

  it("scores an always-fire detector: 1000 false alarms per 1000, detection at once", () => {
    const score = scoreDetector(
      streamsOf(() => true),
      D,
    );
    assert.equal(score.false_alarms, STATIONARY);
    assert.equal(score.false_alarms_per_1000, 1000);
    assert.equal(score.false_alarms_per_1000_ci.high, 1000);
    assert.ok(score.false_alarms_per_1000_ci.low > 850);
    for (const d of Object.values(score.detection)) {
      assert.equal(d.rate, 1);
      assert.equal(d.median_delay_windows, 0);
    }
  });

  it("scores a never-fire detector: no false alarm, no detection, no delay", () => {
    const score = scoreDetector(
      streamsOf(() => false),
      D,
    );
    assert.equal(score.false_alarms_per_1000, 0);
    for (const d of Object.values(score.detection)) {
      assert.equal(d.rate, 0);
      assert.equal(d.detected, 0);
      assert.equal(d.median_delay_events, null);
      assert.equal(d.p90_delay_windows, null);
    }
  });

  it("counts only alarms within D windows of the first drifted one as detections", () => {
    const stream: StreamVerdicts = {
      type: "gradual",
      driftStart: 850,
      windows: tumblingWindows(LENGTH, R, W).map((w) => ({ ...w, alarm: w.start === 1200 })),
    };
    // The first drifted window is [800, 900) (index 3); [1200, 1300) is index 7, 4 windows later.
    assert.deepEqual(scoreStream(stream, 5), {
      stationaryWindows: 3,
      falseAlarms: 0,
      detected: true,
      delayWindows: 4,
      delayEvents: 450,
    });
    assert.equal(scoreStream(stream, 4).detected, false);
  });

  it("gives Wilson intervals and type-7 quantiles", () => {
    // scipy.stats.binomtest(3, 100).proportion_ci(method="wilson"): (0.0102545, 0.0845194)
    const ci = wilson(3, 100);
    assert.ok(Math.abs(ci.low - 0.010254524024038925) < 1e-12);
    assert.ok(Math.abs(ci.high - 0.08451936429052762) < 1e-12);
    assert.deepEqual(wilson(0, 0), { low: 0, high: 1 });
    // numpy.quantile([1, 2, 3, 4, 10], 0.9)
    assert.ok(Math.abs((quantile([1, 2, 3, 4, 10], 0.9) as number) - 7.6) < 1e-12);
    assert.equal(quantile([], 0.5), null);
  });
});
