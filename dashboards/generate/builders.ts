/**
 * The pieces every driftwatch dashboard shares, as preconfigured builders of
 * `@grafana/grafana-foundation-sdk`: the dashboard frame (uid, tags, links, time), the template
 * variables, one factory per panel kind, Prometheus queries, thresholds and 0/1 value mappings.
 *
 * A factory takes the title and the description together, so a panel without a description does
 * not type-check; units, thresholds and layout stay with the caller, who chains more SDK calls.
 *
 * @example
 * timeseries("Events read", "Events per second, by outcome.")
 *   .unit(units.EventsPerSecond)
 *   .withTarget(prom('sum by (outcome) (rate(driftwatch_events_total[$__rate_interval]))', "{{outcome}}"))
 */
import * as common from "@grafana/grafana-foundation-sdk/common";
import {
  AnnotationQueryBuilder,
  DashboardBuilder,
  DashboardCursorSync,
  DashboardLinkBuilder,
  DashboardLinkType,
  DatasourceVariableBuilder,
  type DataTransformerConfig,
  MappingType,
  QueryVariableBuilder,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  type ValueMapping,
  VariableRefresh,
  VariableSort,
} from "@grafana/grafana-foundation-sdk/dashboard";
import { PanelBuilder as HeatmapPanelBuilder } from "@grafana/grafana-foundation-sdk/heatmap";
import { DataqueryBuilder, PromQueryFormat } from "@grafana/grafana-foundation-sdk/prometheus";
import { PanelBuilder as StatPanelBuilder } from "@grafana/grafana-foundation-sdk/stat";
import { PanelBuilder as StateTimelinePanelBuilder } from "@grafana/grafana-foundation-sdk/statetimeline";
import { PanelBuilder as TablePanelBuilder } from "@grafana/grafana-foundation-sdk/table";
import { PanelBuilder as TimeseriesPanelBuilder } from "@grafana/grafana-foundation-sdk/timeseries";

/** The tag every driftwatch dashboard carries; the dashboards link to each other through it. */
export const dashboardTag = "driftwatch";

/** Every panel and query reads from the Prometheus chosen in the `datasource` variable. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, resolved by Grafana
export const prometheus = { type: "prometheus", uid: "${datasource}" } as const;

/** A dashboard frame: fixed uid, shared tag, links to the other driftwatch dashboards, last 6 hours. */
export function dashboard(uid: string, title: string, description: string): DashboardBuilder {
  return (
    new DashboardBuilder(title)
      .uid(uid)
      .description(description)
      .tags([dashboardTag])
      // Generated: a change made in Grafana would be lost at the next provisioning.
      .readonly()
      .time({ from: "now-6h", to: "now" })
      .refresh("1m")
      .timezone("browser")
      .tooltip(DashboardCursorSync.Crosshair)
      .annotation(
        new AnnotationQueryBuilder()
          .name("Annotations & Alerts")
          .datasource({ type: "grafana", uid: "-- Grafana --" })
          .builtIn(1)
          .enable(true)
          .hide(true)
          .iconColor("rgba(0, 211, 255, 1)")
          .type("dashboard"),
      )
      .link(
        new DashboardLinkBuilder("driftwatch")
          .type(DashboardLinkType.Dashboards)
          .tags([dashboardTag])
          .asDropdown(true)
          .includeVars(true)
          .keepTime(true),
      )
      .withVariable(
        new DatasourceVariableBuilder("datasource")
          .label("Data source")
          .description("The Prometheus that scrapes the driftwatch daemon.")
          .type("prometheus"),
      )
  );
}

/**
 * A multi-value variable filled by `label_values(selector, label)`. "All" is `.*`, so queries use
 * `label=~"$name"` and stay short however many values there are.
 */
export function labelVariable(name: string, label: string, selector: string): QueryVariableBuilder {
  const query = `label_values(${selector}, ${name})`;
  return new QueryVariableBuilder(name)
    .label(label)
    .description(`Values of the ${name} label of ${selector.replace(/\{.*$/, "")}.`)
    .datasource(prometheus)
    .query(query)
    .definition(query)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue(".*")
    .current({ selected: true, text: ["All"], value: ["$__all"] });
}

/** A Prometheus query over the panel's time range; the legend defaults to Grafana's automatic one. */
export function prom(expr: string, legend = "__auto"): DataqueryBuilder {
  return new DataqueryBuilder().datasource(prometheus).expr(expr).legendFormat(legend).range();
}

/** A Prometheus query at the end of the time range, one table row per series. */
export function promTable(expr: string): DataqueryBuilder {
  return new DataqueryBuilder().datasource(prometheus).expr(expr).instant().format(PromQueryFormat.Table);
}

/** Absolute thresholds: a base colour, then `[value, colour]` steps in increasing order. */
export function thresholds(base: string, ...steps: [number, string][]): ThresholdsConfigBuilder {
  return new ThresholdsConfigBuilder()
    .mode(ThresholdsMode.Absolute)
    .steps([{ value: null, color: base }, ...steps.map(([value, color]) => ({ value, color }))]);
}

/** A field override that draws a series as a dashed line (thresholds, alphas, bounds drawn beside a value). */
export const dashed = [{ id: "custom.lineStyle", value: { fill: "dash", dash: [6, 4] } }];

/** Draws a time series panel's thresholds as dashed lines. */
export function thresholdLines(): common.GraphThresholdsStyleConfigBuilder {
  return new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Dashed);
}

/** Text and colour for a 0/1 gauge such as `driftwatch_drift_detected` or `driftwatch_source_up`. */
export function flagMappings(
  zero: { text: string; color: string },
  one: { text: string; color: string },
): ValueMapping[] {
  return [
    {
      type: MappingType.ValueToText,
      options: {
        "0": { text: zero.text, color: zero.color, index: 0 },
        "1": { text: one.text, color: one.color, index: 1 },
      },
    },
  ];
}

/** A time series panel with a visible legend and a tooltip listing every series, highest first. */
export function timeseries(title: string, description: string): TimeseriesPanelBuilder {
  return new TimeseriesPanelBuilder()
    .title(title)
    .description(description)
    .datasource(prometheus)
    .legend(
      new common.VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(common.LegendDisplayMode.List)
        .placement(common.LegendPlacement.Bottom)
        .calcs([]),
    )
    .tooltip(
      new common.VizTooltipOptionsBuilder()
        .mode(common.TooltipDisplayMode.Multi)
        .sort(common.SortOrder.Descending),
    )
    .fillOpacity(10)
    .showPoints(common.VisibilityMode.Never)
    .spanNulls(false);
}

/** A single value: the last non-null sample of each series, coloured by the thresholds. */
export function stat(title: string, description: string): StatPanelBuilder {
  return new StatPanelBuilder()
    .title(title)
    .description(description)
    .datasource(prometheus)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(["lastNotNull"]).values(false))
    .colorMode(common.BigValueColorMode.Value)
    .graphMode(common.BigValueGraphMode.None)
    .textMode(common.BigValueTextMode.Auto);
}

/** One band per series whose colour changes with the value; 0/1 verdicts read as a timeline. */
export function stateTimeline(title: string, description: string): StateTimelinePanelBuilder {
  return new StateTimelinePanelBuilder()
    .title(title)
    .description(description)
    .datasource(prometheus)
    .showValue(common.VisibilityMode.Never)
    .mergeValues(true)
    .rowHeight(0.9)
    .legend(
      new common.VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(common.LegendDisplayMode.List)
        .placement(common.LegendPlacement.Bottom),
    )
    .tooltip(
      new common.VizTooltipOptionsBuilder()
        .mode(common.TooltipDisplayMode.Single)
        .sort(common.SortOrder.None),
    );
}

/** A table of instant query results. */
export function table(title: string, description: string): TablePanelBuilder {
  return new TablePanelBuilder()
    .title(title)
    .description(description)
    .datasource(prometheus)
    .showHeader(true)
    .cellHeight(common.TableCellHeight.Sm);
}

/** A heatmap of a Prometheus histogram's buckets (the query uses `format: heatmap`). */
export function heatmap(title: string, description: string): HeatmapPanelBuilder {
  return new HeatmapPanelBuilder()
    .title(title)
    .description(description)
    .datasource(prometheus)
    .calculate(false)
    .showValue(common.VisibilityMode.Never)
    .showLegend();
}

/**
 * Grafana's `merge` then `organize` transformations: the instant results of several queries that
 * share their labels become one row per label set, with columns renamed (`Value #A` is query A's
 * value, `Value` the only query's) and the timestamp and `hide` left out.
 */
export function columns(rename: Record<string, string>, hide: string[] = []): DataTransformerConfig[] {
  return [
    { id: "merge", options: {} },
    {
      id: "organize",
      options: {
        excludeByName: Object.fromEntries(["Time", ...hide].map((column) => [column, true])),
        renameByName: rename,
      },
    },
  ];
}
