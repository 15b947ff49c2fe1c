import { LIVE_EXPECTATIONS } from "../checks/expectations/stream.js";
import type { ChecksResult } from "../checks/monitor.js";
import type { DriftResult } from "../drift/monitor.js";
import type { OutlierResult } from "../outliers/monitor.js";
import type { DetectorStatus, PerformanceResult } from "../performance/monitor.js";
import type { Estimate } from "../performance/types.js";
import type { ColumnReport } from "../report/model.js";
import type {
  AlertRuleConfig,
  AlertRuleType,
  Annotations,
  BoundedMetric,
  Condition,
  ConditionSet,
  Labels,
  RuleState,
  RulesState,
} from "./types.js";

/** What rules are evaluated on: a monitor's closed window, a detection as it happens, or the clock. */
export type RuleInput =
  | { readonly kind: "drift"; readonly result: DriftResult }
  | { readonly kind: "outliers"; readonly result: OutlierResult }
  | { readonly kind: "checks"; readonly result: ChecksResult }
  | { readonly kind: "performance"; readonly result: PerformanceResult }
  | { readonly kind: "detections"; readonly detections: readonly DetectorStatus[] }
  | {
      readonly kind: "clock";
      /** Epoch milliseconds. */
      readonly now: number;
      /** Processing time (epoch ms) of the last event received per source, null if none yet. */
      readonly last_event_time: Readonly<Record<string, number | null>>;
      /** When the daemon started (epoch ms): silence of a source never heard from counts from here. */
      readonly started_at: number;
    };

/** Presentation settings shared by all rules. */
export interface RuleOptions {
  /**
   * Template of each alert's `generatorURL`, e.g. a Grafana dashboard link
   * `https://grafana/d/drift?var-monitor={{ monitor }}`; `{{ name }}` takes a label's or an
   * annotation's value, URL-encoded. Default: empty.
   */
  readonly generator_url?: string;
  /** How many features `top_features` lists (default 5). */
  readonly top_features?: number;
}

/** The default `alertname` of each rule type. */
export const defaultAlertnames: Readonly<Record<AlertRuleType, string>> = {
  feature_drift: "FeatureDrift",
  dataset_drift: "DatasetDrift",
  performance_below: "PerformanceBelow",
  concept_drift: "ConceptDrift",
  outlier_ratio_above: "OutlierRatioAbove",
  expectation_failed: "ExpectationFailed",
  source_silent: "SourceSilent",
};

/** The key of a monitor's i-th rule, under which its conditions and counters are kept. */
export function ruleKey(monitor: string, index: number): string {
  return `${monitor}/alerts/${index}`;
}

/** Result of evaluating a monitor's rules on one input. */
export interface RulesOutcome {
  /** One set per rule that had something to say; rules the input does not concern are left out. */
  readonly sets: ConditionSet[];
  /** The rules' state after this input (the argument is not modified). */
  readonly state: RulesState;
}

/** A number as an annotation: integers whole, others to 4 significant digits (1.234e-7). */
export function formatNumber(x: number): string {
  if (Number.isInteger(x)) return String(x);
  if (!Number.isFinite(x)) return String(x);
  return String(Number(x.toPrecision(4)));
}

function time(ms: number): string {
  return new Date(ms).toISOString();
}

/** Window bounds as annotations; bounds a window does not have (count windows) are left out. */
function windowAnnotations(window: {
  readonly index: number;
  readonly events: number;
  readonly start: number | null;
  readonly end: number | null;
  readonly first_time?: number | null;
  readonly last_time?: number | null;
  readonly offsets?: Readonly<Record<string, readonly [number, number]>>;
  readonly sample_ids?: readonly string[];
}): Record<string, string> {
  const a: Record<string, string> = {
    window_index: String(window.index),
    window_events: String(window.events),
  };
  if (window.start !== null) a.window_start = time(window.start);
  if (window.end !== null) a.window_end = time(window.end);
  if (window.first_time != null) a.first_event_time = time(window.first_time);
  if (window.last_time != null) a.last_event_time = time(window.last_time);
  const offsets = Object.entries(window.offsets ?? {});
  // Where to find the window's events: `topic/partition first-last`, one range per partition.
  if (offsets.length > 0)
    a.offsets = offsets.map(([key, [first, last]]) => `${key} ${first}-${last}`).join(", ");
  if (window.sample_ids && window.sample_ids.length > 0) a.sample_ids = window.sample_ids.join(", ");
  return a;
}

function windowPhrase(a: Record<string, string>): string {
  const bounds =
    a.window_start !== undefined
      ? ` (${a.window_start} to ${a.window_end})`
      : a.first_event_time !== undefined
        ? ` (events ${a.first_event_time} to ${a.last_event_time})`
        : "";
  return `window ${a.window_index}${bounds}, ${a.window_events} events`;
}

/**
 * Drifting columns ranked by how clearly they drifted: p-value tests by p-value (adjusted when a
 * correction applies) ascending, then distance tests by statistic / threshold descending; ties by
 * statistic, then name, so the order is stable.
 */
export function rankColumns(columns: readonly ColumnReport[]): ColumnReport[] {
  const p = (c: ColumnReport) => c.p_value_adjusted ?? c.p_value;
  return columns
    .filter((c) => c.drift)
    .sort((a, b) => {
      const pa = p(a);
      const pb = p(b);
      if (pa !== null && pb === null) return -1;
      if (pa === null && pb !== null) return 1;
      if (pa !== null && pb !== null && pa !== pb) return pa - pb;
      if (pa === null && pb === null) {
        const ra = a.threshold > 0 ? a.statistic / a.threshold : a.statistic;
        const rb = b.threshold > 0 ? b.statistic / b.threshold : b.statistic;
        if (ra !== rb) return rb - ra;
      }
      if (a.statistic !== b.statistic) return b.statistic - a.statistic;
      return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
    });
}

function describeColumn(c: ColumnReport): string {
  const p = c.p_value_adjusted ?? c.p_value;
  return p !== null
    ? `${c.name} (${c.test} ${formatNumber(c.statistic)}, p=${formatNumber(p)})`
    : `${c.name} (${c.test} ${formatNumber(c.statistic)} > ${formatNumber(c.threshold)})`;
}

function topFeatures(columns: readonly ColumnReport[], n: number): string {
  return rankColumns(columns).slice(0, n).map(describeColumn).join(", ");
}

function columnAnnotations(c: ColumnReport): Record<string, string> {
  const a: Record<string, string> = {
    test: c.test,
    statistic: formatNumber(c.statistic),
    threshold: formatNumber(c.threshold),
  };
  if (c.p_value !== null) a.p_value = formatNumber(c.p_value);
  if (c.p_value_adjusted !== null && c.p_value_adjusted !== c.p_value)
    a.p_value_adjusted = formatNumber(c.p_value_adjusted);
  const d = Object.entries(c.distances)
    .filter((e): e is [string, number] => typeof e[1] === "number")
    .map(([k, v]) => `${k}=${formatNumber(v)}`);
  if (d.length > 0) a.distances = d.join(", ");
  a.n_reference = String(c.n_reference);
  a.n_current = String(c.n_current);
  return a;
}

const TEMPLATE = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

function expand(template: string, values: Readonly<Record<string, string>>, encode: boolean): string {
  return template.replace(TEMPLATE, (_, name: string) => {
    const v = values[name] ?? "";
    return encode ? encodeURIComponent(v) : v;
  });
}

/** Builds a condition: the rule's labels under the built-in ones, then the rule's annotation overrides. */
function condition(
  monitor: string,
  rule: AlertRuleConfig,
  options: RuleOptions,
  own: Record<string, string>,
  annotations: Record<string, string>,
  value: number,
): Condition {
  const labels: Labels = {
    ...rule.labels,
    alertname: rule.name ?? defaultAlertnames[rule.type],
    monitor,
    severity: rule.severity ?? "warning",
    ...own,
  };
  const built = { ...annotations, value: formatNumber(value) };
  const values = { ...built, ...labels };
  const overrides: Record<string, string> = {};
  for (const [k, v] of Object.entries(rule.annotations ?? {})) overrides[k] = expand(v, values, false);
  const all: Annotations = { ...built, ...overrides };
  return {
    labels,
    annotations: all,
    value,
    for_secs: rule.for_secs ?? 0,
    generatorURL: expand(options.generator_url ?? "", { ...all, ...labels }, true),
  };
}

function emptyRuleState(): RuleState {
  return { counters: {}, last_index: null };
}

/**
 * Counts a window for consecutive-window rules; false when this very window was just counted (a
 * replay). A lower index is counted: the monitor was reset, and ignoring it would silence the rule.
 */
function freshWindow(state: RuleState, index: number): boolean {
  if (state.last_index === index) return false;
  state.last_index = index;
  return true;
}

function driftRule(
  monitor: string,
  rule: AlertRuleConfig,
  result: DriftResult,
  state: RuleState,
  options: RuleOptions,
): Condition[] | null {
  if (rule.type !== "feature_drift" && rule.type !== "dataset_drift") return null;
  // A scheduled evaluation looks at the open, partial window: it is not one of the windows
  // counted in a row, and it would flap with the window's size.
  if (result.trigger !== "window_close") return null;
  if (!freshWindow(state, result.window.index)) return null;
  const { columns, dataset } = result.evaluation;
  const top = topFeatures(columns, options.top_features ?? 5);
  const win = windowAnnotations(result.window);
  const drifted = `${dataset.drifted_columns}/${dataset.columns}`;

  if (rule.type === "dataset_drift") {
    const n = dataset.drift ? (state.counters[""] ?? 0) + 1 : 0;
    state.counters = n > 0 ? { "": n } : {};
    if (n < (rule.consecutive_windows ?? 1)) return [];
    const annotations = {
      summary: `dataset drift in monitor "${monitor}": ${drifted} features drifted`,
      description: `${formatNumber(dataset.share)} of features drifted (bound ${formatNumber(dataset.drift_share)}) in ${windowPhrase(win)}, ${n} window(s) in a row; top features: ${top}`,
      share: formatNumber(dataset.share),
      threshold: formatNumber(dataset.drift_share),
      drifted_features: drifted,
      consecutive_windows: String(n),
      top_features: top,
      ...win,
    };
    return [condition(monitor, rule, options, {}, annotations, dataset.share)];
  }

  const only = rule.features && new Set(rule.features);
  const counters: Record<string, number> = {};
  const conditions: Condition[] = [];
  for (const c of columns) {
    if (only && !only.has(c.name)) continue;
    if (!c.drift) continue;
    // Skipped columns and non-drifting ones break the run: their counters are dropped.
    const n = (state.counters[c.name] ?? 0) + 1;
    counters[c.name] = n;
    if (n < (rule.consecutive_windows ?? 1)) continue;
    const ctx = columnAnnotations(c);
    const p = c.p_value_adjusted ?? c.p_value;
    const verdict =
      p !== null
        ? `p-value ${formatNumber(p)} < ${ctx.threshold}`
        : `statistic above threshold ${ctx.threshold}`;
    conditions.push(
      condition(
        monitor,
        rule,
        options,
        { feature: c.name },
        {
          summary: `feature "${c.name}" drifted in monitor "${monitor}"`,
          description: `${c.test} statistic ${ctx.statistic} (${verdict}) in ${windowPhrase(win)}, ${n} window(s) in a row; ${drifted} features drifted; top features: ${top}`,
          ...ctx,
          consecutive_windows: String(n),
          drifted_features: drifted,
          top_features: top,
          ...win,
        },
        c.statistic,
      ),
    );
  }
  state.counters = counters;
  return conditions;
}

function outlierRule(
  monitor: string,
  rule: AlertRuleConfig,
  result: OutlierResult,
  options: RuleOptions,
): Condition[] | null {
  if (rule.type !== "outlier_ratio_above") return null;
  const win = windowAnnotations(result.window);
  const conditions: Condition[] = [];
  for (const s of result.scorers) {
    if (rule.scorer !== undefined && s.scorer !== rule.scorer) continue;
    if (!(s.ratio > rule.above)) continue;
    const ids = s.top.flatMap((e) => (e.id === null ? [] : [e.id]));
    const annotations: Record<string, string> = {
      summary: `${s.outliers} outliers (${formatNumber(s.ratio)}) by ${s.scorer} in monitor "${monitor}"`,
      description: `${s.outliers} of ${result.window.events} events scored above ${formatNumber(s.threshold)} by ${s.scorer}, a ratio of ${formatNumber(s.ratio)} > ${formatNumber(rule.above)}, in ${windowPhrase(win)}; most extreme: ${ids.join(", ") || "(no ids)"}`,
      ratio: formatNumber(s.ratio),
      threshold: formatNumber(rule.above),
      outliers: String(s.outliers),
      score_threshold: formatNumber(s.threshold),
      sample_ids: ids.join(", "),
      top_scores: s.top.map((e) => `${e.id ?? "?"}=${formatNumber(e.score)}`).join(", "),
      incomplete_events: String(result.incomplete),
      ...win,
    };
    conditions.push(condition(monitor, rule, options, { scorer: s.scorer }, annotations, s.ratio));
  }
  return conditions;
}

function checksRule(
  monitor: string,
  rule: AlertRuleConfig,
  result: ChecksResult,
  state: RuleState,
  options: RuleOptions,
): Condition[] | null {
  if (rule.type !== "expectation_failed") return null;
  // Clock-driven expectations (time since the last event) are judged on the clock alone, in a
  // condition set of their own (`clockKey`); a window judges the others, each window once.
  const clock = result.trigger === "tick";
  if (!clock) {
    if (state.last_index === result.window.index) return null;
    state.last_index = result.window.index;
  }
  const win = windowAnnotations(result.window);
  const counters: Record<string, number> = {};
  const conditions: Condition[] = [];
  for (const r of result.validation.results) {
    const config = r.expectation_config;
    if (!clock && LIVE_EXPECTATIONS.has(config.type)) continue;
    if (rule.expectations !== undefined && !rule.expectations.includes(config.type)) continue;
    if (config.severity === "warn" && rule.include_warn !== true) continue;
    if (r.success) continue;
    const feature = expectationFeature(config.kwargs);
    const key = `${config.type}\u0000${feature}`;
    const n = clock ? 1 : (state.counters[key] ?? 0) + 1;
    if (!clock) counters[key] = n;
    if (n < (rule.consecutive_windows ?? 1)) continue;
    const body = r.result;
    const observed =
      body.unexpected_count !== undefined
        ? `${body.unexpected_count} unexpected of ${body.element_count} (${formatNumber(body.unexpected_percent ?? 0)}% of non-missing)`
        : `observed ${JSON.stringify(body.observed_value ?? null)?.slice(0, 200)}`;
    const error = r.exception_info.raised_exception ? `; error: ${r.exception_info.exception_message}` : "";
    conditions.push(
      condition(
        monitor,
        rule,
        options,
        { expectation: config.type, feature },
        {
          summary: `${config.type} failed on "${feature || "table"}" in monitor "${monitor}"`,
          description: `${config.type} ${JSON.stringify(config.kwargs).slice(0, 300)}: ${observed}${error}${clock ? "" : `, in ${windowPhrase(win)}`}`,
          suite: result.suite,
          observed_value: JSON.stringify(body.observed_value ?? null)?.slice(0, 200) ?? "null",
          unexpected_count: String(body.unexpected_count ?? ""),
          partial_unexpected_list: JSON.stringify(body.partial_unexpected_list ?? []).slice(0, 300),
          consecutive_windows: String(n),
          ...(clock ? {} : win),
        },
        body.unexpected_percent ?? (typeof body.observed_value === "number" ? body.observed_value : 1),
      ),
    );
  }
  if (!clock) state.counters = counters;
  return conditions;
}

/** The key of the condition set a rule's clock-driven expectations report under. */
export function clockKey(ruleKey: string): string {
  return `${ruleKey}/clock`;
}

/** The column(s) an expectation is about, as the `feature` label: "" for table expectations. */
export function expectationFeature(kwargs: Readonly<Record<string, unknown>>): string {
  if (typeof kwargs.column === "string") return kwargs.column;
  if (typeof kwargs.column_A === "string") return `${kwargs.column_A},${kwargs.column_B}`;
  if (Array.isArray(kwargs.column_list)) return kwargs.column_list.join(",");
  return "";
}

function performanceRule(
  monitor: string,
  rule: AlertRuleConfig,
  result: PerformanceResult,
  state: RuleState,
  options: RuleOptions,
): Condition[] | null {
  const win = windowAnnotations(result.window);
  if (rule.type === "performance_below") {
    const scope = rule.scope ?? "window";
    const slice = rule.slice ?? "all";
    const metrics = scope === "window" ? result.window_metrics : result.cumulative_metrics;
    const m = slice === "all" ? metrics.all : metrics.slices[slice];
    if (m === undefined || m.count < (rule.min_pairs ?? 1)) return [];
    // A classification metric on a regression monitor (or the reverse) has no estimate: no condition.
    const estimate = (m as unknown as Partial<Record<BoundedMetric, Estimate>>)[rule.metric];
    const value = estimate?.value ?? null;
    if (value === null || !(value < rule.below)) return [];
    const annotations: Record<string, string> = {
      summary: `${rule.metric} ${formatNumber(value)} < ${formatNumber(rule.below)} in monitor "${monitor}" (slice ${slice})`,
      description: `${scope} ${rule.metric} of slice ${slice} is ${formatNumber(value)} over ${m.count} joined pairs, below ${formatNumber(rule.below)}, in ${windowPhrase(win)}`,
      metric: rule.metric,
      scope,
      threshold: formatNumber(rule.below),
      pairs: String(m.count),
      task: result.task,
      ...win,
    };
    if (estimate?.interval)
      annotations.interval = `[${formatNumber(estimate.interval.low)}, ${formatNumber(estimate.interval.high)}] (${formatNumber(estimate.interval.level)})`;
    return [condition(monitor, rule, options, { metric: rule.metric, slice }, annotations, value)];
  }
  if (rule.type === "concept_drift") {
    const only = rule.detectors && new Set(rule.detectors);
    const pairs = new Map<string, number[]>();
    for (const d of result.drifts) {
      if (only && !only.has(d.detector)) continue;
      pairs.set(d.detector, [...(pairs.get(d.detector) ?? []), d.pair]);
    }
    // A window without a detection ends the alert: detections are events, not lasting states.
    state.counters = Object.fromEntries([...pairs.keys()].map((d) => [d, 1]));
    return [...pairs].map(([detector, at]) => {
      const status = result.detectors.find((s) => s.detector === detector);
      return condition(
        monitor,
        rule,
        options,
        { detector },
        {
          summary: `concept drift detected by ${detector} in monitor "${monitor}"`,
          description: `${detector} detected drift ${at.length} time(s) on the error stream (at joined pairs ${at.join(", ")}) in ${windowPhrase(win)}`,
          detections: String(at.length),
          pairs: at.join(", "),
          ...(status?.estimate != null ? { estimate: formatNumber(status.estimate) } : {}),
          ...(status ? { total_detections: String(status.drifts) } : {}),
          ...win,
        },
        at.length,
      );
    });
  }
  return null;
}

function detectionRule(
  monitor: string,
  rule: AlertRuleConfig,
  detections: readonly DetectorStatus[],
  state: RuleState,
  options: RuleOptions,
): Condition[] | null {
  if (rule.type !== "concept_drift") return null;
  const only = rule.detectors && new Set(rule.detectors);
  const fresh = detections.filter((d) => d.drift && (!only || only.has(d.detector)));
  if (fresh.length === 0) return null;
  // A detection adds to what the open window already raised; the window's close settles the set.
  for (const d of fresh) state.counters[d.detector] = 1;
  return Object.keys(state.counters).map((detector) => {
    const status = fresh.find((d) => d.detector === detector);
    return condition(
      monitor,
      rule,
      options,
      { detector },
      {
        summary: `concept drift detected by ${detector} in monitor "${monitor}"`,
        description: `${detector} detected drift on the error stream in the open window`,
        ...(status?.estimate != null ? { estimate: formatNumber(status.estimate) } : {}),
        ...(status ? { total_detections: String(status.drifts) } : {}),
      },
      1,
    );
  });
}

function silentRule(
  monitor: string,
  rule: AlertRuleConfig,
  input: Extract<RuleInput, { kind: "clock" }>,
  options: RuleOptions,
): Condition[] | null {
  if (rule.type !== "source_silent") return null;
  const last = input.last_event_time[rule.source] ?? null;
  const silentMs = input.now - (last ?? input.started_at);
  if (silentMs < rule.silent_secs * 1000) return [];
  const secs = Math.floor(silentMs / 1000);
  const since = last === null ? `since start at ${time(input.started_at)}` : `since ${time(last)}`;
  return [
    condition(
      monitor,
      rule,
      options,
      { source: rule.source },
      {
        summary: `source "${rule.source}" silent for ${secs}s (monitor "${monitor}")`,
        description: `no event from source "${rule.source}" ${since}, ${secs}s, bound ${rule.silent_secs}s`,
        silent_secs: String(secs),
        threshold: String(rule.silent_secs),
        last_event_time: last === null ? "never" : time(last),
      },
      secs,
    ),
  ];
}

/**
 * Evaluates a monitor's rules on one input and returns, for each rule the input concerns, the
 * full set of its active conditions (for `AlertEngine.evaluate`), with the rules' new state.
 * Pure: no clock and no I/O; the state argument is copied, not changed.
 *
 * Drift rules count only windows closed by the windower (`trigger: window_close`), each window
 * index once. `concept_drift` is raised by a detection as it happens and settled by the window's
 * close: active while the closing window had a detection by that detector. `source_silent` is
 * evaluated on `clock` inputs only, so the caller ticks it on a timer.
 *
 * @example
 *   const { sets, state } = evaluateRules("orders", [{ type: "feature_drift", consecutive_windows: 2 }], { kind: "drift", result }, {});
 */
export function evaluateRules(
  monitor: string,
  rules: readonly AlertRuleConfig[],
  input: RuleInput,
  state: RulesState,
  options: RuleOptions = {},
): RulesOutcome {
  const next: RulesState = structuredClone(state);
  const sets: ConditionSet[] = [];
  rules.forEach((rule, i) => {
    const key = ruleKey(monitor, i);
    const ruleState = next[key] ?? emptyRuleState();
    let conditions: Condition[] | null;
    switch (input.kind) {
      case "drift":
        conditions = driftRule(monitor, rule, input.result, ruleState, options);
        break;
      case "outliers":
        conditions = outlierRule(monitor, rule, input.result, options);
        break;
      case "checks":
        conditions = checksRule(monitor, rule, input.result, ruleState, options);
        break;
      case "performance":
        conditions = performanceRule(monitor, rule, input.result, ruleState, options);
        break;
      case "detections":
        conditions = detectionRule(monitor, rule, input.detections, ruleState, options);
        break;
      case "clock":
        conditions = silentRule(monitor, rule, input, options);
        break;
    }
    if (Object.keys(ruleState.counters).length > 0 || ruleState.last_index !== null) next[key] = ruleState;
    else delete next[key];
    if (conditions !== null)
      sets.push({
        rule: input.kind === "checks" && input.result.trigger === "tick" ? clockKey(key) : key,
        conditions,
      });
  });
  return { sets, state: next };
}
