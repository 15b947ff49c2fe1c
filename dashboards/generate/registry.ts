/**
 * Every generated Grafana dashboard, by file name, and what can be derived from them all: the
 * files' text and the list of PromQL expressions their panels run.
 *
 * Adding a dashboard is one module with a `…Dashboard()` function plus one line here.
 *
 * @example
 * renderDashboards().get("driftwatch-drift.json") // the committed file's text
 * promqlExpressions()[0].resolved // 'up{job=~".*"}'
 */
import type { Dashboard, DashboardBuilder, Panel } from "@grafana/grafana-foundation-sdk/dashboard";
import type { Dataquery as PrometheusQuery } from "@grafana/grafana-foundation-sdk/prometheus";
import { dataQualityDashboard } from "./data-quality.js";
import { driftDashboard } from "./drift.js";
import { multivariateDashboard } from "./multivariate.js";
import { onlineDashboard } from "./online.js";
import { outliersDashboard } from "./outliers.js";
import { overviewDashboard } from "./overview.js";
import { performanceDashboard } from "./performance.js";
import { assignIds, panelsOf, renderDashboard } from "./render.js";

/** Generators by the file name, under `dashboards/grafana/`, that their dashboard is written to. */
export const dashboards = {
  "driftwatch-overview.json": overviewDashboard,
  "driftwatch-drift.json": driftDashboard,
  "driftwatch-data-quality.json": dataQualityDashboard,
  "driftwatch-performance.json": performanceDashboard,
  "driftwatch-outliers.json": outliersDashboard,
  "driftwatch-multivariate.json": multivariateDashboard,
  "driftwatch-online.json": onlineDashboard,
} satisfies Record<string, () => DashboardBuilder>;

/** Builds every dashboard afresh (the builders are not reused, so each call gives equal objects). */
export function buildDashboards(): Map<string, Dashboard> {
  return new Map(Object.entries(dashboards).map(([file, generate]) => [file, assignIds(generate().build())]));
}

/** The text of every dashboard file, by file name. */
export function renderDashboards(): Map<string, string> {
  return new Map([...buildDashboards()].map(([file, dashboard]) => [file, renderDashboard(dashboard)]));
}

/** One query of one panel. */
export interface PanelExpression {
  /** The dashboard's uid. */
  readonly dashboard: string;
  /** The panel's title (a repeated panel's title still holds its variable, e.g. `$metric`). */
  readonly panel: string;
  readonly refId: string;
  /** The PromQL as the dashboard holds it, with Grafana variables. */
  readonly expr: string;
  /**
   * The same PromQL runnable by Prometheus itself: each template variable replaced by its "All"
   * value (`.*`) or, without one, its current value; `$__rate_interval` and `$__interval` by
   * `1m`, `$__range` by `1h`.
   */
  readonly resolved: string;
}

/** Grafana's built-in interval variables, with the values used to run the queries outside Grafana. */
const builtIns: Readonly<Record<string, string>> = {
  __rate_interval: "1m",
  __interval: "1m",
  __range: "1h",
};

/** Every PromQL expression of every panel of every dashboard, in dashboard and panel order. */
export function promqlExpressions(): PanelExpression[] {
  return [...buildDashboards().values()].flatMap((dashboard) => {
    const values = { ...builtIns, ...variableValues(dashboard) };
    return panelsOf(dashboard).flatMap((panel) =>
      ((panel as Panel).targets ?? []).map((target) => {
        const query = target as PrometheusQuery;
        return {
          dashboard: dashboard.uid ?? "",
          panel: panel.title ?? "",
          refId: query.refId ?? "",
          expr: query.expr,
          resolved: resolveVariables(query.expr, values),
        };
      }),
    );
  });
}

/** The value each template variable of a dashboard takes when a query runs outside Grafana. */
function variableValues(dashboard: Dashboard): Record<string, string> {
  const values: Record<string, string> = {};
  for (const variable of dashboard.templating.list ?? []) {
    const current = variable.current?.value;
    values[variable.name] = variable.allValue ?? (Array.isArray(current) ? current[0] : current) ?? "";
  }
  return values;
}

/** Replaces `$name` and `${name}` with `values[name]`; an unknown name is left as it is. */
export function resolveVariables(expr: string, values: Readonly<Record<string, string>>): string {
  return expr.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced?: string, bare?: string) => {
    const name = braced ?? bare ?? "";
    return values[name] ?? whole;
  });
}
