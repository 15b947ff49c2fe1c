import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { SeriesHistogram } from "./series-histogram.js";

/**
 * Every metric the daemon exports, on a registry of its own (never the global one, so tests and
 * several pipelines in one process do not collide). Labels stay bounded: source, monitor,
 * feature and test names come from the config; reasons and outcomes are fixed sets.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly eventsTotal = new Counter({
    name: "driftwatch_events_total",
    help: "Events read from sources, by outcome (valid, invalid).",
    labelNames: ["source", "outcome"] as const,
    registers: [this.registry],
  });
  readonly eventsInvalidTotal = new Counter({
    name: "driftwatch_events_invalid_total",
    help: "Events rejected before the monitors, by reason (malformed_json, not_an_object, schema).",
    labelNames: ["source", "reason"] as const,
    registers: [this.registry],
  });
  readonly deadLetterTotal = new Counter({
    name: "driftwatch_dead_letter_total",
    help: "Rejected events written to the dead-letter destination, by outcome (written, failed: retried, skipped: already written before a restart).",
    labelNames: ["source", "outcome"] as const,
    registers: [this.registry],
  });
  readonly deadLetterRestoresTotal = new Counter({
    name: "driftwatch_dead_letter_restores_total",
    help: "Dead-letter files found on restore not ending where the checkpoint says, by outcome (rolled_back: lines past the checkpoint removed, short: shorter than recorded, damaged or rotated, torn: a torn last line removed).",
    labelNames: ["file", "outcome"] as const,
    registers: [this.registry],
  });
  readonly featureMissingTotal = new Counter({
    name: "driftwatch_feature_missing_total",
    help: "Valid events in which a feature was absent or null.",
    labelNames: ["source", "feature"] as const,
    registers: [this.registry],
  });
  readonly featureInvalidTotal = new Counter({
    name: "driftwatch_feature_invalid_total",
    help: "Valid events in which a feature had a value of the wrong type (e.g. text for a numeric feature).",
    labelNames: ["source", "feature"] as const,
    registers: [this.registry],
  });
  readonly lateEventsTotal = new Counter({
    name: "driftwatch_window_late_events_total",
    help: "Events that arrived after their time window had closed (counted, not added).",
    labelNames: ["monitor"] as const,
    registers: [this.registry],
  });
  readonly driftStatistic = new Gauge({
    name: "driftwatch_drift_statistic",
    help: "Test statistic of the last evaluated window, per feature.",
    labelNames: ["monitor", "feature", "test", "segment"] as const,
    registers: [this.registry],
  });
  readonly driftPValue = new Gauge({
    name: "driftwatch_drift_p_value",
    help: "p-value (after the configured correction) of the last evaluated window, per feature; absent for distance tests.",
    labelNames: ["monitor", "feature", "test", "segment"] as const,
    registers: [this.registry],
  });
  readonly driftAlpha = new Gauge({
    name: "driftwatch_drift_alpha",
    help: "p-value under which the feature drifted in the last evaluated window (p-value tests): the monitor's alpha, or the one drawn from the reference (`thresholds`).",
    labelNames: ["monitor", "feature", "test", "segment"] as const,
    registers: [this.registry],
  });
  readonly driftThreshold = new Gauge({
    name: "driftwatch_drift_threshold",
    help: "Statistic above which the feature drifted in the last evaluated window (distance tests): the monitor's threshold, or the one drawn from the reference (`thresholds`).",
    labelNames: ["monitor", "feature", "test", "segment"] as const,
    registers: [this.registry],
  });
  readonly driftDetected = new Gauge({
    name: "driftwatch_drift_detected",
    help: "1 when the feature drifted in the last evaluated window, else 0.",
    labelNames: ["monitor", "feature", "segment"] as const,
    registers: [this.registry],
  });
  readonly datasetDrift = new Gauge({
    name: "driftwatch_dataset_drift",
    help: "1 when the share of drifted features reached drift_share in the last evaluated window, else 0.",
    labelNames: ["monitor", "segment"] as const,
    registers: [this.registry],
  });
  readonly driftedShare = new Gauge({
    name: "driftwatch_drifted_features_share",
    help: "Share of the monitor's features that drifted in the last evaluated window.",
    labelNames: ["monitor", "segment"] as const,
    registers: [this.registry],
  });
  readonly expectationSuccess = new Gauge({
    name: "driftwatch_expectation_success",
    help: "1 when the expectation held on its last evaluation, 0 when it failed; absent while it warms up.",
    labelNames: ["monitor", "suite", "expectation", "feature"] as const,
    registers: [this.registry],
  });
  readonly expectationUnexpectedTotal = new Counter({
    name: "driftwatch_expectation_unexpected_total",
    help: "Values (rows) an expectation found unexpected, summed over evaluated windows.",
    labelNames: ["monitor", "suite", "expectation", "feature"] as const,
    registers: [this.registry],
  });
  readonly expectationObservedValue = new Gauge({
    name: "driftwatch_expectation_observed_value",
    help: "Observed value of an aggregate, table or stream expectation (mean, row count, lag...) on its last evaluation.",
    labelNames: ["monitor", "suite", "expectation", "feature"] as const,
    registers: [this.registry],
  });
  readonly expectationBound = new Gauge({
    name: "driftwatch_expectation_bound",
    help: "Bounds a volume expectation computed from recent windows (bound=lower|upper).",
    labelNames: ["monitor", "suite", "expectation", "feature", "bound"] as const,
    registers: [this.registry],
  });
  readonly expectationWarmingUp = new Gauge({
    name: "driftwatch_expectation_warming_up",
    help: "1 while an expectation lacks the history it needs (neither pass nor fail).",
    labelNames: ["monitor", "suite", "expectation", "feature"] as const,
    registers: [this.registry],
  });
  readonly suiteSuccess = new Gauge({
    name: "driftwatch_expectation_suite_success",
    help: "1 when every fail-severity expectation of the suite held in the last window.",
    labelNames: ["monitor", "suite"] as const,
    registers: [this.registry],
  });
  readonly windowEvents = new Gauge({
    name: "driftwatch_window_events",
    help: "Events in the last evaluated window.",
    labelNames: ["monitor", "segment"] as const,
    registers: [this.registry],
  });
  readonly windowsTotal = new Counter({
    name: "driftwatch_windows_evaluated_total",
    help: "Window evaluations, by trigger (window_close, schedule).",
    labelNames: ["monitor", "trigger"] as const,
    registers: [this.registry],
  });
  readonly referenceEvents = new Gauge({
    name: "driftwatch_reference_events",
    help: "Rows or events in the monitor's reference (grows while a `first` reference is being collected).",
    labelNames: ["monitor"] as const,
    registers: [this.registry],
  });
  readonly referenceInfo = new Gauge({
    name: "driftwatch_reference_info",
    help: "1 for the reference a monitor compares with now (first:N, file:NAME, profile:NAME, rolling:K, window:N); one series per monitor.",
    labelNames: ["monitor", "reference"] as const,
    registers: [this.registry],
  });
  readonly referenceChangesTotal = new Counter({
    name: "driftwatch_reference_changes_total",
    help: "Times a monitor's reference was replaced while running (driftwatch reference set, or the window it named closing).",
    labelNames: ["monitor"] as const,
    registers: [this.registry],
  });
  readonly missingRatio = new Gauge({
    name: "driftwatch_missing_ratio",
    help: "Share of the last window's events in which the feature was missing or invalid.",
    labelNames: ["monitor", "feature", "segment"] as const,
    registers: [this.registry],
  });
  readonly unseenCategoryRatio = new Gauge({
    name: "driftwatch_unseen_category_ratio",
    help: "Share of the last window's values of a categorical feature whose category the reference never had.",
    labelNames: ["monitor", "feature", "segment"] as const,
    registers: [this.registry],
  });
  readonly driftScope = new Gauge({
    name: "driftwatch_drift_scope",
    help: "Segmented drift monitors: 1 for the scope of the last window's drift (none, confined to some segments, global), 0 for the others.",
    labelNames: ["monitor", "scope"] as const,
    registers: [this.registry],
  });
  readonly driftedSegments = new Gauge({
    name: "driftwatch_drifted_segments",
    help: "Segmented drift monitors: segments whose data drifted in the last window.",
    labelNames: ["monitor"] as const,
    registers: [this.registry],
  });
  readonly segments = new Gauge({
    name: "driftwatch_segments",
    help: "Segmented monitors: values with a segment of their own so far (at most max_segments; __other__ not counted).",
    labelNames: ["monitor"] as const,
    registers: [this.registry],
  });
  readonly segmentsOverflowTotal = new Counter({
    name: "driftwatch_segments_overflow_total",
    help: "Segmented monitors: events pooled in __other__ because their value has no segment of its own (past max_segments, or not in a per-segment reference).",
    labelNames: ["monitor"] as const,
    registers: [this.registry],
  });
  /** Observed on every scored event: through series handles (see `SeriesHistogram`). */
  readonly outlierScore = new SeriesHistogram(
    "driftwatch_outlier_score",
    "Outlier scores of events, per scorer (robust_z and iqr in sigmas and IQRs, isolation_forest in (0, 1]).",
    ["monitor", "scorer"],
    [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.5, 2, 3, 4, 5, 7, 10, 20, 50, 100],
    this.registry,
  );
  readonly outlierEventsTotal = new Counter({
    name: "driftwatch_outlier_events_total",
    help: "Events scored above the scorer's threshold.",
    labelNames: ["monitor", "scorer", "segment"] as const,
    registers: [this.registry],
  });
  readonly outlierRatio = new Gauge({
    name: "driftwatch_outlier_ratio",
    help: "Share of the last closed window's events that were outliers, per scorer.",
    labelNames: ["monitor", "scorer", "segment"] as const,
    registers: [this.registry],
  });
  readonly outlierThreshold = new Gauge({
    name: "driftwatch_outlier_threshold",
    help: "Score above which an event is an outlier (a percentile of the reference scores, or the configured value).",
    labelNames: ["monitor", "scorer", "segment"] as const,
    registers: [this.registry],
  });
  readonly performance = new Gauge({
    name: "driftwatch_performance",
    help: "Model-quality metric (accuracy, macro_f1, roc_auc, log_loss, mae, rmse, r2, ...) per scope (window, cumulative) and slice (all or a declared slice).",
    labelNames: ["monitor", "metric", "slice", "scope"] as const,
    registers: [this.registry],
  });
  readonly performanceLower = new Gauge({
    name: "driftwatch_performance_lower",
    help: "Lower bound of the metric's confidence interval (Wilson, delta method, DeLong, a conservative DeLong bound for one-vs-rest ROC AUC, or a seeded bootstrap for the calibration error; level from the config).",
    labelNames: ["monitor", "metric", "slice", "scope"] as const,
    registers: [this.registry],
  });
  readonly performanceUpper = new Gauge({
    name: "driftwatch_performance_upper",
    help: "Upper bound of the metric's confidence interval.",
    labelNames: ["monitor", "metric", "slice", "scope"] as const,
    registers: [this.registry],
  });
  readonly performanceThreshold = new Gauge({
    name: "driftwatch_performance_threshold",
    help: "Alert threshold of an estimated metric, from the realized values of the estimation's reference chunks (mean ± 3 standard deviations, NannyML's).",
    labelNames: ["monitor", "metric", "bound"] as const,
    registers: [this.registry],
  });
  readonly performanceEstimateAlert = new Gauge({
    name: "driftwatch_performance_estimate_alert",
    help: "1 when the last estimated window's metric is outside its thresholds.",
    labelNames: ["monitor", "metric"] as const,
    registers: [this.registry],
  });
  readonly performanceEstimationError = new Gauge({
    name: "driftwatch_performance_estimation_error",
    help: "Estimated minus realized value of a metric, for the last estimated window whose labels have all come.",
    labelNames: ["monitor", "metric"] as const,
    registers: [this.registry],
  });
  readonly estimationReferenceFailuresTotal = new Counter({
    name: "driftwatch_estimation_reference_failures_total",
    help: "Times an estimation's reference pairs could not be fitted (one class, too few rows); the next pairs are collected.",
    labelNames: ["monitor"] as const,
    registers: [this.registry],
  });
  readonly performanceCount = new Gauge({
    name: "driftwatch_performance_pairs",
    help: "Joined prediction-label pairs behind the metrics of a scope and slice.",
    labelNames: ["monitor", "slice", "scope"] as const,
    registers: [this.registry],
  });
  readonly joinPending = new Gauge({
    name: "driftwatch_join_pending",
    help: "Predictions waiting for their label, and labels waiting for their prediction.",
    labelNames: ["monitor", "side"] as const,
    registers: [this.registry],
  });
  readonly joinEvents = new Gauge({
    name: "driftwatch_join_events",
    help: "Join outcomes since the monitor's state began (matched, expired_predictions, orphan_labels, evicted_predictions, evicted_labels, duplicates); kept across restarts.",
    labelNames: ["monitor", "outcome"] as const,
    registers: [this.registry],
  });
  readonly conceptDriftTotal = new Counter({
    name: "driftwatch_concept_drift_total",
    help: "Drifts a concept-drift detector found on the error stream.",
    labelNames: ["monitor", "detector"] as const,
    registers: [this.registry],
  });
  readonly conceptDriftWarning = new Gauge({
    name: "driftwatch_concept_drift_warning",
    help: "1 while a detector is in its warning zone, else 0.",
    labelNames: ["monitor", "detector"] as const,
    registers: [this.registry],
  });
  readonly conceptDriftEstimate = new Gauge({
    name: "driftwatch_concept_drift_estimate",
    help: "The detector's current estimate (error rate, mean error, ...), where it has one.",
    labelNames: ["monitor", "detector"] as const,
    registers: [this.registry],
  });
  readonly alerts = new Gauge({
    name: "driftwatch_alerts",
    help: "Alerts by name and state (pending, firing).",
    labelNames: ["alertname", "state"] as const,
    registers: [this.registry],
  });
  readonly notificationsTotal = new Counter({
    name: "driftwatch_notifications_total",
    help: "Alert notifications by notifier and outcome (sent, retried, failed, dropped).",
    labelNames: ["notifier", "outcome"] as const,
    registers: [this.registry],
  });
  readonly evaluationDuration = new Histogram({
    name: "driftwatch_evaluation_duration_seconds",
    help: "Time to evaluate one window (all tests of a monitor).",
    labelNames: ["monitor"] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly consumerLag = new Gauge({
    name: "driftwatch_kafka_consumer_lag",
    help: "Messages between the last processed offset and the partition's high watermark.",
    labelNames: ["source", "topic", "partition"] as const,
    registers: [this.registry],
  });
  readonly checkpointsTotal = new Counter({
    name: "driftwatch_checkpoints_total",
    help: "Checkpoints of state and offsets, by outcome (ok, failed).",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });
  readonly checkpointLastSuccess = new Gauge({
    name: "driftwatch_checkpoint_last_success_timestamp_seconds",
    help: "Unix time of the last durable checkpoint.",
    registers: [this.registry],
  });
  readonly checkpointBytes = new Gauge({
    name: "driftwatch_checkpoint_bytes",
    help: "Size of the last checkpoint written.",
    registers: [this.registry],
  });
  readonly checkpointRestoresTotal = new Counter({
    name: "driftwatch_checkpoint_restores_total",
    help: "Checkpoint restores at start, by outcome (ok: the newest generation; fallback: the newest was damaged, the previous one restored; refused: none usable; reset: none usable, started afresh with --reset-state).",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });
  readonly clusterPartitionsOwned = new Gauge({
    name: "driftwatch_cluster_partitions_owned",
    help: "Partitions of a cluster source this instance owns (builds windows for).",
    labelNames: ["source"] as const,
    registers: [this.registry],
  });
  readonly clusterPartialsPublishedTotal = new Counter({
    name: "driftwatch_cluster_partials_published_total",
    help: "Window partials this instance published to the state topic (one per monitor, window and partition).",
    labelNames: ["monitor"] as const,
    registers: [this.registry],
  });
  readonly clusterPartialBytes = new Gauge({
    name: "driftwatch_cluster_partial_bytes",
    help: "Size of the last window partial this instance published, in bytes.",
    labelNames: ["monitor"] as const,
    registers: [this.registry],
  });
  readonly clusterTransactionsTotal = new Counter({
    name: "driftwatch_cluster_transactions_total",
    help: "Kafka transactions of a cluster source's partitions (windows or dead letters with their progress), by outcome (ok, failed: retried).",
    labelNames: ["source", "outcome"] as const,
    registers: [this.registry],
  });
  readonly clusterLeader = new Gauge({
    name: "driftwatch_cluster_leader",
    help: "1 on the instance that merges the cluster's windows (and exports the global results), 0 on the others.",
    labelNames: ["source"] as const,
    registers: [this.registry],
  });
  readonly clusterWindowsTotal = new Counter({
    name: "driftwatch_cluster_windows_total",
    help: "Cluster windows the merger finished, by outcome (evaluated; lateness: an event-time window evaluated without the partitions the lateness bound left out; skipped: a partial undecodable or from another config).",
    labelNames: ["monitor", "outcome"] as const,
    registers: [this.registry],
  });
  readonly clusterPartialsRejectedTotal = new Counter({
    name: "driftwatch_cluster_partials_rejected_total",
    help: "State-topic records the merger could not use, by reason (undecodable, stale_config: another config's partial, late: a window already merged, unknown_monitor).",
    labelNames: ["source", "reason"] as const,
    registers: [this.registry],
  });
  readonly clusterWindowsWaiting = new Gauge({
    name: "driftwatch_cluster_windows_waiting",
    help: "On the merger: windows of a monitor with some partials in but not all (a merger falling behind, or partitions lagging).",
    labelNames: ["monitor"] as const,
    registers: [this.registry],
  });
  readonly clusterPartitionsWaiting = new Gauge({
    name: "driftwatch_cluster_partitions_waiting",
    help: "On the merger: partitions whose partial of a monitor's next window has not arrived.",
    labelNames: ["monitor"] as const,
    registers: [this.registry],
  });
  readonly clusterMergeLagSeconds = new Gauge({
    name: "driftwatch_cluster_merge_lag_seconds",
    help: "On the merger: from the last partial of a window being published to the window's global result, for the last window.",
    labelNames: ["monitor"] as const,
    registers: [this.registry],
  });
  readonly offsetCommitsTotal = new Counter({
    name: "driftwatch_offset_commits_total",
    help: "Offset commits to Kafka after a checkpoint, by outcome (ok, failed).",
    labelNames: ["source", "outcome"] as const,
    registers: [this.registry],
  });
  readonly configReloadSuccessful = new Gauge({
    name: "driftwatch_config_last_reload_successful",
    help: "1 when the last configuration load (at start or on SIGHUP) succeeded; a failed reload keeps the running config.",
    registers: [this.registry],
  });
  readonly configReloadTimestamp = new Gauge({
    name: "driftwatch_config_last_reload_success_timestamp_seconds",
    help: "Unix time of the last successful configuration load.",
    registers: [this.registry],
  });
  readonly up = new Gauge({
    name: "driftwatch_source_up",
    help: "1 while a source is connected and making progress; 0 while it is down, crashed or stalled beyond stall_timeout_secs.",
    labelNames: ["source"] as const,
    registers: [this.registry],
  });
  readonly sourceRestartsTotal = new Counter({
    name: "driftwatch_source_restarts_total",
    help: "Times a failed source was restarted by the daemon (after a backoff).",
    labelNames: ["source"] as const,
    registers: [this.registry],
  });
  readonly schemaId = new Gauge({
    name: "driftwatch_schema_id",
    help: "Schema-registry id of the schema the source's latest records were written with.",
    labelNames: ["source"] as const,
    registers: [this.registry],
  });
  readonly schemaVersion = new Gauge({
    name: "driftwatch_schema_version",
    help: "Version, within each registry subject it is registered under, of the schema the source's latest records were written with.",
    labelNames: ["source", "subject"] as const,
    registers: [this.registry],
  });
  readonly schemaChangesTotal = new Counter({
    name: "driftwatch_schema_changes_total",
    help: "Times a source's records started to carry another schema id (a new schema version, or records of several).",
    labelNames: ["source"] as const,
    registers: [this.registry],
  });
  readonly httpRequestsTotal = new Counter({
    name: "driftwatch_http_requests_total",
    help: "Requests to an HTTP source by status code (202 accepted, 4xx refused, 503 over max_connections or stopping).",
    labelNames: ["source", "code"] as const,
    registers: [this.registry],
  });

  readonly multivariateStatistic = new Gauge({
    name: "driftwatch_multivariate_statistic",
    help: "Statistic of a multivariate monitor's test on its last evaluated window (MMD², KS D, reconstruction error, AUC).",
    labelNames: ["monitor", "test"] as const,
    registers: [this.registry],
  });
  readonly multivariatePValue = new Gauge({
    name: "driftwatch_multivariate_p_value",
    help: "p-value of a multivariate monitor's test on its last evaluated window (p-value tests only).",
    labelNames: ["monitor", "test"] as const,
    registers: [this.registry],
  });
  readonly multivariateThreshold = new Gauge({
    name: "driftwatch_multivariate_threshold",
    help: "What a multivariate test's p-value (alpha) or statistic (upper threshold from reference chunks) was compared with.",
    labelNames: ["monitor", "test"] as const,
    registers: [this.registry],
  });
  readonly multivariateDrift = new Gauge({
    name: "driftwatch_multivariate_drift_detected",
    help: "1 when a multivariate monitor's test found drift in its last evaluated window, else 0.",
    labelNames: ["monitor", "test"] as const,
    registers: [this.registry],
  });
  readonly multivariateRows = new Gauge({
    name: "driftwatch_multivariate_rows",
    help: "Rows a multivariate test ran on in its last window, by side (reference, window): a sample once a side holds more than `sample` rows.",
    labelNames: ["monitor", "side"] as const,
    registers: [this.registry],
  });

  readonly onlineDetectionsTotal = new Counter({
    name: "driftwatch_online_detections_total",
    help: "Events at which an online drift monitor's detector found drift.",
    labelNames: ["monitor", "feature"] as const,
    registers: [this.registry],
  });
  readonly onlineStatistic = new Gauge({
    name: "driftwatch_online_statistic",
    help: "An online drift monitor's statistic per window size, at the last event at which that window was full (after a detection, the value that fired until the window refills).",
    labelNames: ["monitor", "window"] as const,
    registers: [this.registry],
  });
  readonly onlineThreshold = new Gauge({
    name: "driftwatch_online_threshold",
    help: "The threshold an online drift monitor's statistics are compared with at its last event (calibrated to the configured ERT).",
    labelNames: ["monitor"] as const,
    registers: [this.registry],
  });
  readonly onlineRunLength = new Gauge({
    name: "driftwatch_online_run_length",
    help: "Events an online drift monitor has tested since its start or its last detection.",
    labelNames: ["monitor"] as const,
    registers: [this.registry],
  });
  readonly onlineErt = new Gauge({
    name: "driftwatch_online_ert",
    help: "The expected run time an online drift monitor's thresholds are calibrated to: events between false alarms on a stationary stream.",
    labelNames: ["monitor"] as const,
    registers: [this.registry],
  });
  readonly categoriesCappedTotal = new Counter({
    name: "driftwatch_categories_capped_total",
    help: "Values of a categorical feature a sketch-mode drift monitor pooled in __other__ because their category was not among the window's max_categories most frequent.",
    labelNames: ["monitor", "feature"] as const,
    registers: [this.registry],
  });

  constructor({ processMetrics = true } = {}) {
    if (processMetrics) collectDefaultMetrics({ register: this.registry });
  }
}
