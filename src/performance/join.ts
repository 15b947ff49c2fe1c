/**
 * Joins predictions with their ground-truth labels by id within a time-to-live. Labels often
 * arrive minutes to days late, sometimes never, and now and then before the prediction (two
 * topics consumed independently), so both sides wait in insertion-ordered buffers: a label that
 * finds its prediction (or the reverse) is a match; a prediction still unlabelled after `ttl_ms`
 * expires, as does a label whose prediction never came (an orphan). At most `max_pending` entries
 * wait per side; beyond that the oldest are evicted and counted. The state is plain JSON (entries in
 * arrival order), so the join is checkpointed with the rest.
 */

/**
 * A prediction's probabilities: the positive class's (a number), every class's (an object by
 * label), "invalid" when the event's value could not be read as either, null when the monitor
 * reads none.
 */
export type PredictionScore = number | Readonly<Record<string, number>> | "invalid" | null;

/** A prediction waiting for its label. */
export interface PendingPrediction {
  readonly at: number;
  readonly predicted: string | number;
  readonly score: PredictionScore;
  /** Names of the slices the prediction's features matched, fixed when it arrived. */
  readonly slices: readonly string[];
  /** The window of predictions it was estimated in (with `estimation`), for its label to settle. */
  readonly estimated_in?: number;
}

/** A label waiting for its prediction. */
export interface PendingLabel {
  readonly at: number;
  readonly actual: string | number;
}

/** Checkpointed join state: both buffers as [id, entry] pairs in arrival order. */
export interface JoinState {
  predictions: [string, PendingPrediction][];
  labels: [string, PendingLabel][];
}

/** What happened to entries since the join was created: every one ends in exactly one bucket. */
export interface JoinCounts {
  matched: number;
  expired_predictions: number;
  orphan_labels: number;
  evicted_predictions: number;
  evicted_labels: number;
  /** A second prediction (or label) for an id still waiting: the later one replaces it. */
  duplicates: number;
}

/** A prediction joined with its label. */
export interface JoinedPair {
  readonly id: string;
  readonly prediction: PendingPrediction;
  readonly actual: string | number;
}

/** Join settings. */
export interface JoinOptions {
  readonly ttl_ms: number;
  readonly max_pending: number;
}

export function emptyJoinCounts(): JoinCounts {
  return {
    matched: 0,
    expired_predictions: 0,
    orphan_labels: 0,
    evicted_predictions: 0,
    evicted_labels: 0,
    duplicates: 0,
  };
}

/**
 * The join buffer. `addPrediction` and `addLabel` return the pair they completed, if any;
 * `expire(now)` drops what waited longer than the TTL.
 *
 * @example
 *   const join = new LabelJoin({ ttl_ms: 60_000, max_pending: 1000 });
 *   join.addPrediction("42", { at: 0, predicted: "churn", score: 0.8, slices: [] }); // null
 *   join.addLabel("42", { at: 5000, actual: "stay" }); // { id: "42", prediction: ..., actual: "stay" }
 */
export class LabelJoin {
  private readonly predictions: Map<string, PendingPrediction>;
  private readonly labels: Map<string, PendingLabel>;
  readonly counts: JoinCounts;

  constructor(
    private readonly options: JoinOptions,
    state?: JoinState,
    counts?: JoinCounts,
  ) {
    this.predictions = new Map(state?.predictions ?? []);
    this.labels = new Map(state?.labels ?? []);
    this.counts = counts ?? emptyJoinCounts();
  }

  /** The buffers as plain data, for checkpoints. */
  get state(): JoinState {
    return { predictions: [...this.predictions], labels: [...this.labels] };
  }

  get pendingPredictions(): number {
    return this.predictions.size;
  }

  get pendingLabels(): number {
    return this.labels.size;
  }

  addPrediction(id: string, prediction: PendingPrediction): JoinedPair | null {
    const label = this.labels.get(id);
    if (label !== undefined) {
      this.labels.delete(id);
      this.counts.matched++;
      return { id, prediction, actual: label.actual };
    }
    // One lookup for the common case, a new id: a set that leaves the size as it was replaced a
    // waiting prediction, which moves to the back of the arrival order as a duplicate.
    const waiting = this.predictions.size;
    this.predictions.set(id, prediction);
    if (this.predictions.size === waiting) {
      this.counts.duplicates++;
      this.predictions.delete(id);
      this.predictions.set(id, prediction);
    }
    if (this.predictions.size > this.options.max_pending) {
      this.predictions.delete(this.predictions.keys().next().value as string);
      this.counts.evicted_predictions++;
    }
    return null;
  }

  addLabel(id: string, label: PendingLabel): JoinedPair | null {
    const prediction = this.predictions.get(id);
    if (prediction !== undefined) {
      this.predictions.delete(id);
      this.counts.matched++;
      return { id, prediction, actual: label.actual };
    }
    if (this.labels.has(id)) {
      this.counts.duplicates++;
      this.labels.delete(id);
    }
    this.labels.set(id, label);
    if (this.labels.size > this.options.max_pending) {
      this.labels.delete(this.labels.keys().next().value as string);
      this.counts.evicted_labels++;
    }
    return null;
  }

  /** Drops entries that arrived before `now - ttl`; buffers are in arrival order, so this stops early. */
  expire(now: number): void {
    const limit = now - this.options.ttl_ms;
    for (const [id, p] of this.predictions) {
      if (p.at >= limit) break;
      this.predictions.delete(id);
      this.counts.expired_predictions++;
    }
    for (const [id, l] of this.labels) {
      if (l.at >= limit) break;
      this.labels.delete(id);
      this.counts.orphan_labels++;
    }
  }
}
