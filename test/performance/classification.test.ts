import assert from "node:assert/strict";
import fc from "fast-check";
import {
  accuracy,
  classificationMetrics,
  classificationStateJson,
  classLabels,
  emptyClassificationState,
  logLoss,
  mergeClassification,
  mergeClassificationInto,
  precisionRecallF1,
  reviveClassificationState,
  rocAuc,
  sortLabels,
  updateClassification,
} from "../../src/performance/classification.js";
import type {
  ClassificationMetrics,
  ClassificationObservation,
  ClassificationState,
  Estimate,
} from "../../src/performance/types.js";
import {
  assertInterval,
  assertValue,
  type ClassificationCase,
  classificationObservations,
  classificationStateOf,
  fixture,
} from "./fixture.js";

// Tolerances. Accuracy, precision, recall, F1 and their macro means use sklearn's arithmetic
// (integer counts, one division, numpy's pairwise mean), so they must agree bit for bit. ROC AUC
// (exact Mann–Whitney ratio here, trapezoids over fpr/tpr there), log loss (compensated sum here,
// pairwise there) and ECE (per-bin sums) differ in the order of rounding only: 1e-12 relative.
// Interval bounds: 1e-12 relative, or 1e-15 absolute for bounds that round to ±1e-17 around 0.
const RTOL = 1e-12;

/** A state as a checkpoint gives it back: its JSON form through JSON, revived. */
const throughJson = (state: ClassificationState): ClassificationState =>
  reviveClassificationState(JSON.parse(JSON.stringify(classificationStateJson(state))));

const ATOL = 1e-15;

function checkCase(c: ClassificationCase, state: ClassificationState): void {
  const e = c.expected;
  const m = classificationMetrics(state);
  assert.deepEqual(classLabels(state), e.labels, `${c.name}: labels`);
  assert.equal(m.count, e.count);
  assert.equal(m.scored, e.scored);
  assert.equal(m.accuracy.value, e.accuracy, `${c.name}: accuracy`);
  assertInterval(m.accuracy.interval, e.accuracy_interval, RTOL, ATOL, `${c.name}: accuracy`);
  for (const [zd, prf] of Object.entries(e.prf)) {
    const zeroDivision = zd === "nan" ? "nan" : (Number(zd) as 0 | 1);
    const r = precisionRecallF1(state, { zero_division: zeroDivision });
    const at = `${c.name} (zero_division=${zd})`;
    assert.equal(r.classes.length, prf.classes.length, `${at}: classes`);
    prf.classes.forEach((x, i) => {
      const got = r.classes[i];
      assert.equal(got.label, x.label);
      assert.equal(got.support, x.support, `${at}: support of ${x.label}`);
      assert.equal(got.precision.value, x.precision, `${at}: precision of ${x.label}`);
      assert.equal(got.recall.value, x.recall, `${at}: recall of ${x.label}`);
      assert.equal(got.f1.value, x.f1, `${at}: f1 of ${x.label}`);
      assertInterval(
        got.precision.interval,
        x.precision_interval,
        RTOL,
        ATOL,
        `${at}: precision of ${x.label}`,
      );
      assertInterval(got.recall.interval, x.recall_interval, RTOL, ATOL, `${at}: recall of ${x.label}`);
      assertInterval(got.f1.interval, x.f1_interval, RTOL, ATOL, `${at}: f1 of ${x.label}`);
    });
    for (const k of ["precision", "recall", "f1"] as const) {
      const got = r[`macro_${k}`];
      assert.equal(got.value, prf.macro[k].value, `${at}: macro ${k}`);
      assertInterval(got.interval, prf.macro[k].interval, RTOL, ATOL, `${at}: macro ${k}`);
    }
  }
  assertValue(m.roc_auc.value, e.roc_auc, RTOL, 0, `${c.name}: roc_auc`);
  assertInterval(m.roc_auc.interval, e.roc_auc_interval, RTOL, ATOL, `${c.name}: roc_auc (DeLong)`);
  assertValue(m.roc_auc_ovr.value, e.roc_auc_ovr, RTOL, 0, `${c.name}: roc_auc_ovr`);
  assertValue(m.log_loss.value, e.log_loss, RTOL, 0, `${c.name}: log_loss`);
  assertInterval(m.log_loss.interval, e.log_loss_interval, RTOL, ATOL, `${c.name}: log_loss`);
  assertValue(m.expected_calibration_error.value, e.ece, RTOL, ATOL, `${c.name}: ece`);
  assert.deepEqual(state.calibration.count, e.ece_bin_counts, `${c.name}: calibration bin counts`);
}

describe("classification metrics against scikit-learn 1.9.1", () => {
  for (const c of fixture.classification) {
    it(`match on ${c.name}`, () => checkCase(c, classificationStateOf(c)));
  }

  for (const c of fixture.large.classification) {
    it(`match on ${c.name}, regenerated from its recipe`, function () {
      this.timeout(20_000);
      const obs = classificationObservations(c);
      // The recipe reproduces the rows sklearn saw: spot-check the first three.
      const check = c.check as NonNullable<ClassificationCase["check"]>;
      for (let i = 0; i < 3; i++) {
        assert.equal(obs[i].actual, check.actual[i]);
        assert.equal(obs[i].predicted, check.predicted[i]);
        if (check.score) assert.equal(obs[i].score, check.score[i]);
        if (check.probabilities)
          for (const [label, p] of Object.entries(check.probabilities))
            assert.equal(obs[i].probabilities?.[label], p[i]);
      }
      checkCase(c, classificationStateOf(c, obs));
    });
  }
});

describe("classification state", () => {
  it("reads a score as the positive label's probability, 1 − score as the other's", () => {
    const s = emptyClassificationState({ positive: "yes" });
    updateClassification(s, { actual: "no", predicted: "yes", score: 0.75 });
    assert.equal(logLoss(s).value, -Math.log(0.25));
    // Confidence in the predicted label is 0.75, and the prediction was wrong.
    assert.equal(classificationMetrics(s).expected_calibration_error.value, 0.75);
  });

  it("clips probabilities to [ε, 1 − ε] as sklearn's log_loss does", () => {
    const s = emptyClassificationState({ positive: "1" });
    updateClassification(s, { actual: "1", predicted: "0", score: 0 });
    assert.equal(logLoss(s).value, -Math.log(2 ** -52));
  });

  it("counts an invalid probability in the confusion matrix only", () => {
    const s = emptyClassificationState({ positive: "1" });
    updateClassification(s, { actual: "1", predicted: "1", score: 1.5 });
    updateClassification(s, { actual: "0", predicted: "1", score: Number.NaN });
    updateClassification(s, { actual: "0", predicted: "0", probabilities: { "0": 0.5, "1": -0.1 } });
    assert.equal(s.invalid_scores, 3);
    assert.equal(s.scored, 0);
    assert.equal(accuracy(s).value, 2 / 3);
    assert.equal(logLoss(s).value, null);
  });

  it("rejects a score on a state without a positive label", () => {
    const s = emptyClassificationState();
    assert.throws(
      () => updateClassification(s, { actual: "a", predicted: "a", score: 0.5 }),
      /a score needs a positive label on the classification state/,
    );
  });

  it("has no values on an empty state", () => {
    const m = classificationMetrics(emptyClassificationState({ positive: "1" }));
    assert.equal(m.accuracy.value, null);
    assert.equal(m.macro_f1.value, null);
    assert.equal(m.roc_auc.value, null);
    assert.equal(m.log_loss.value, null);
    assert.equal(m.expected_calibration_error.value, null);
  });

  it("treats labels such as constructor and __proto__ as ordinary keys, also after a JSON round trip", () => {
    let s = emptyClassificationState({ positive: "__proto__" });
    updateClassification(s, { actual: "constructor", predicted: "__proto__", score: 0.2 });
    s = throughJson(s);
    updateClassification(s, { actual: "__proto__", predicted: "__proto__", score: 0.9 });
    updateClassification(s, { actual: "constructor", predicted: "constructor", score: 0.1 });
    assert.deepEqual(classLabels(s), ["__proto__", "constructor"]);
    assert.equal(accuracy(s).value, 2 / 3);
    assert.equal(rocAuc(s).value, 1);
  });

  it("refuses to merge states with different positive labels or bins", () => {
    assert.throws(
      () =>
        mergeClassification(
          emptyClassificationState({ positive: "1" }),
          emptyClassificationState({ positive: "0" }),
        ),
      /cannot merge states with positive labels 1 and 0/,
    );
    assert.throws(
      () =>
        mergeClassification(
          emptyClassificationState({ calibration_bins: 10 }),
          emptyClassificationState({ calibration_bins: 5 }),
        ),
      /cannot merge 10 calibration bins with 5/,
    );
  });
});

describe("sortLabels", () => {
  it("sorts numeric labels by value and others by text, as numpy sorts int and str arrays", () => {
    assert.deepEqual(sortLabels(["10", "2", "-1", "33"]), ["-1", "2", "10", "33"]);
    assert.deepEqual(sortLabels(["dog", "Cat", "bird", "10", "2"]), ["10", "2", "Cat", "bird", "dog"]);
  });
});

// --- properties ---------------------------------------------------------------------------------

const binaryObservation: fc.Arbitrary<ClassificationObservation> = fc.record({
  actual: fc.constantFrom("0", "1"),
  predicted: fc.constantFrom("0", "1"),
  // A coarse grid half the time, so that ties are common.
  score: fc.oneof(
    fc.double({ min: 0, max: 1, noNaN: true }),
    fc.integer({ min: 0, max: 10 }).map((k) => k / 10),
  ),
});

const labels3 = ["a", "b", "c"];
const multiclassObservation: fc.Arbitrary<ClassificationObservation> = fc
  .record({
    actual: fc.constantFrom(...labels3),
    predicted: fc.constantFrom(...labels3),
    w: fc.array(fc.double({ min: 0.001, max: 1, noNaN: true }), { minLength: 3, maxLength: 3 }),
  })
  .map(({ actual, predicted, w }) => {
    const total = w[0] + w[1] + w[2];
    return { actual, predicted, probabilities: { a: w[0] / total, b: w[1] / total, c: w[2] / total } };
  });

const observations = fc.oneof(
  fc.array(binaryObservation, { maxLength: 200 }),
  fc.array(multiclassObservation, { maxLength: 200 }),
);

/** Binary observations score label "1"; multiclass ones take "b" as the binary AUC's positive label. */
const positiveOf = (obs: readonly ClassificationObservation[]) =>
  obs.some((o) => o.score !== undefined) ? "1" : "b";

function stateOf(obs: readonly ClassificationObservation[], positive = positiveOf(obs)): ClassificationState {
  const s = emptyClassificationState({ positive });
  for (const o of obs) updateClassification(s, o);
  return s;
}

/** Every number of a metrics object, in a fixed order, with null kept as null. */
function flatten(m: ClassificationMetrics): (number | null)[] {
  const out: (number | null)[] = [m.count, m.scored];
  const push = (e: Estimate) => out.push(e.value, e.interval?.low ?? null, e.interval?.high ?? null);
  for (const e of [m.accuracy, m.macro_precision, m.macro_recall, m.macro_f1, m.roc_auc, m.roc_auc_ovr])
    push(e);
  for (const e of [m.log_loss, m.expected_calibration_error]) push(e);
  for (const c of m.classes) for (const e of [c.precision, c.recall, c.f1]) push(e);
  return out;
}

/**
 * Equal within 1e-12 relative or 1e-12 absolute: log-loss and calibration sums, and the delta-method
 * variance over confusion cells, are rounded in another order; a lower bound value − z·se near 0
 * loses relative (not absolute) precision to the subtraction. All these metrics are of order 1.
 */
function assertSameMetrics(a: ClassificationMetrics, b: ClassificationMetrics): void {
  const x = flatten(a);
  const y = flatten(b);
  assert.equal(x.length, y.length);
  x.forEach((v, i) => {
    if (v === null || y[i] === null) assert.equal(v, y[i], `entry ${i}`);
    else assertValue(v, y[i], 1e-12, 1e-12, `entry ${i}`);
  });
}

describe("classification properties", () => {
  it("merge(a, b) equals one pass over both: counts exactly, metrics to 1e-12", () => {
    fc.assert(
      fc.property(observations, fc.nat(), (obs, cut) => {
        const k = obs.length === 0 ? 0 : cut % (obs.length + 1);
        const positive = positiveOf(obs);
        const one = stateOf(obs, positive);
        const merged = mergeClassification(
          stateOf(obs.slice(0, k), positive),
          stateOf(obs.slice(k), positive),
        );
        assert.deepEqual(
          JSON.parse(JSON.stringify(merged.confusion)),
          JSON.parse(JSON.stringify(one.confusion)),
        );
        assert.deepEqual(
          JSON.parse(JSON.stringify(classificationStateJson(merged).roc)),
          JSON.parse(JSON.stringify(classificationStateJson(one).roc)),
        );
        assert.deepEqual(merged.calibration.count, one.calibration.count);
        assert.deepEqual(merged.calibration.correct, one.calibration.correct);
        assertSameMetrics(classificationMetrics(merged), classificationMetrics(one));
      }),
      { numRuns: 200 },
    );
  });

  it("merges in place exactly as it merges into a new state, leaving the source as it was", () => {
    fc.assert(
      fc.property(observations, fc.nat(), (obs, cut) => {
        const k = obs.length === 0 ? 0 : cut % (obs.length + 1);
        const positive = positiveOf(obs);
        const source = stateOf(obs.slice(k), positive);
        const sourceBefore = JSON.stringify(classificationStateJson(source));
        const merged = mergeClassification(stateOf(obs.slice(0, k), positive), source);
        const target = stateOf(obs.slice(0, k), positive);
        mergeClassificationInto(target, source);
        assert.equal(
          JSON.stringify(classificationStateJson(target)),
          JSON.stringify(classificationStateJson(merged)),
        );
        assert.deepEqual(classificationMetrics(target), classificationMetrics(merged));
        // Updating the target after the merge must not reach into the source's cells.
        for (const o of obs) updateClassification(target, o);
        assert.equal(JSON.stringify(classificationStateJson(source)), sourceBefore);
      }),
      { numRuns: 100 },
    );
  });

  it("survives a JSON round trip: the revived state keeps updating and merging the same", () => {
    fc.assert(
      fc.property(observations, observations, (a, b) => {
        if (a.length === 0 || b.length === 0) return;
        if ((a[0].score === undefined) !== (b[0].score === undefined)) return;
        const revived = throughJson(stateOf(a));
        for (const o of b) updateClassification(revived, o);
        assertSameMetrics(classificationMetrics(revived), classificationMetrics(stateOf([...a, ...b])));
      }),
      { numRuns: 100 },
    );
  });

  it("gives the same metrics for any order of the observations", () => {
    fc.assert(
      fc.property(
        observations.chain((obs) =>
          fc.tuple(fc.constant(obs), fc.shuffledSubarray(obs, { minLength: obs.length })),
        ),
        ([obs, shuffled]) => {
          assertSameMetrics(classificationMetrics(stateOf(shuffled)), classificationMetrics(stateOf(obs)));
        },
      ),
      { numRuns: 200 },
    );
  });

  it("keeps every metric and interval in its range, with the value inside its interval", () => {
    fc.assert(
      fc.property(observations, (obs) => {
        const m = classificationMetrics(stateOf(obs));
        const unit = [m.accuracy, m.macro_precision, m.macro_recall, m.macro_f1, m.roc_auc, m.roc_auc_ovr];
        unit.push(m.expected_calibration_error);
        for (const c of m.classes) unit.push(c.precision, c.recall, c.f1);
        for (const e of unit) {
          if (e.value !== null) assert.ok(e.value >= 0 && e.value <= 1, `${e.value} in [0, 1]`);
          if (e.interval !== null) assert.ok(e.interval.low >= 0 && e.interval.high <= 1);
        }
        for (const e of [...unit, m.log_loss]) {
          if (e.interval !== null && e.value !== null && e.interval.method !== "wilson")
            assert.ok(e.interval.low <= e.value && e.value <= e.interval.high);
        }
        if (m.log_loss.value !== null)
          assert.ok(m.log_loss.value >= 0 && m.log_loss.value <= -Math.log(2 ** -52));
      }),
      { numRuns: 300 },
    );
  });
});
