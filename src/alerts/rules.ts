import type {
  AlertingKind,
  AlertRuleCommon,
  AlertRuleConfig,
  AlertRuleKind,
  Annotations,
  Condition,
  ConditionSet,
  Labels,
  RuleContext,
  RuleOptions,
  RuleState,
  RulesState,
  SourceSilentRule,
} from "./types.js";

/**
 * What rules are evaluated on: a result of a monitor of some kind (a closed window, a detection
 * as it happens), read by the rule types that kind brings; or the clock.
 */
export type RuleInput =
  | { readonly kind: AlertingKind; readonly result: unknown }
  | {
      readonly kind: "clock";
      /** Epoch milliseconds. */
      readonly now: number;
      /** Processing time (epoch ms) of the last event received per source, null if none yet. */
      readonly last_event_time: Readonly<Record<string, number | null>>;
      /** When the daemon started (epoch ms): silence of a source never heard from counts from here. */
      readonly started_at: number;
    };

/** The default `alertname` of `source_silent`, the one rule type every monitor has. */
const SOURCE_SILENT = "SourceSilent";

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
export function windowAnnotations(window: {
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

/** The window of {@link windowAnnotations} in words, for descriptions. */
export function windowPhrase(a: Record<string, string>): string {
  const bounds =
    a.window_start !== undefined
      ? ` (${a.window_start} to ${a.window_end})`
      : a.first_event_time !== undefined
        ? ` (events ${a.first_event_time} to ${a.last_event_time})`
        : "";
  return `window ${a.window_index}${bounds}, ${a.window_events} events`;
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
  rule: AlertRuleCommon,
  alertname: string,
  options: RuleOptions,
  own: Record<string, string>,
  annotations: Record<string, string>,
  value: number,
): Condition {
  const labels: Labels = {
    ...rule.labels,
    alertname: rule.name ?? alertname,
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
export function freshWindow(state: RuleState, index: number): boolean {
  if (state.last_index === index) return false;
  state.last_index = index;
  return true;
}

/** The key of the condition set a rule's clock-driven results report under (`AlertRuleKind.clock`). */
export function clockKey(ruleKey: string): string {
  return `${ruleKey}/clock`;
}

function silentRule(
  monitor: string,
  rule: SourceSilentRule,
  input: Extract<RuleInput, { kind: "clock" }>,
  options: RuleOptions,
): Condition[] {
  const last = input.last_event_time[rule.source] ?? null;
  const silentMs = input.now - (last ?? input.started_at);
  if (silentMs < rule.silent_secs * 1000) return [];
  const secs = Math.floor(silentMs / 1000);
  const since = last === null ? `since start at ${time(input.started_at)}` : `since ${time(last)}`;
  return [
    condition(
      monitor,
      rule,
      SOURCE_SILENT,
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
 * A result is read by the rule types its kind brings (`AlertingKind.alertRules`), each rule by
 * the type of its `type`; a rule of another type is not concerned. `source_silent` is evaluated
 * on `clock` inputs only, so the caller ticks it on a timer.
 *
 * @example
 *   const { sets, state } = evaluateRules("orders", [{ type: "feature_drift", consecutive_windows: 2 }], { kind: driftKind, result }, {});
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
  const byType = new Map<string, AlertRuleKind>();
  if (input.kind !== "clock") for (const r of input.kind.alertRules ?? []) byType.set(r.type, r);
  rules.forEach((rule, i) => {
    const key = ruleKey(monitor, i);
    const ruleState = next[key] ?? emptyRuleState();
    let conditions: Condition[] | null = null;
    let setKey = key;
    if (input.kind === "clock") {
      if (rule.type === "source_silent")
        conditions = silentRule(monitor, rule as unknown as SourceSilentRule, input, options);
    } else {
      const type = byType.get(rule.type);
      if (type !== undefined) {
        const context: RuleContext = {
          monitor,
          options,
          condition: (own, annotations, value) =>
            condition(monitor, rule, type.alertname, options, own, annotations, value),
        };
        conditions = type.evaluate(rule, input.result, ruleState, context);
        if (type.clock?.(input.result) === true) setKey = clockKey(key);
      }
    }
    if (Object.keys(ruleState.counters).length > 0 || ruleState.last_index !== null) next[key] = ruleState;
    else delete next[key];
    if (conditions !== null) sets.push({ rule: setKey, conditions });
  });
  return { sets, state: next };
}
