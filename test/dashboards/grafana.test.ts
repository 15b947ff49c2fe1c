import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Dashboard, Panel } from "@grafana/grafana-foundation-sdk/dashboard";
import type { Dataquery as PrometheusQuery } from "@grafana/grafana-foundation-sdk/prometheus";
import { Histogram, Summary } from "prom-client";
import { buildDashboards, promqlExpressions, renderDashboards } from "../../dashboards/generate/registry.js";
import { panelsOf } from "../../dashboards/generate/render.js";
import { Metrics } from "../../src/metrics/metrics.js";
import { SeriesHistogram } from "../../src/metrics/series-histogram.js";

const grafanaDir = fileURLToPath(new URL("../../dashboards/grafana/", import.meta.url));
const regenerate =
  "regenerate with `npx tsx dashboards/generate/main.ts` (npm run dashboards) and commit the result";

/**
 * Series the dashboards may query that `src/metrics/metrics.ts` does not define, with their labels.
 * `up` is written by Prometheus for every scrape; a metric of a feature still to come may be listed
 * here until it is in metrics.ts (its panels show no data until then).
 */
const notInMetricsTs: Readonly<Record<string, readonly string[]>> = {
  up: [],
};

/** Labels Prometheus attaches to every scraped series. */
const targetLabels = ["job", "instance"];

/**
 * Every series name the daemon exports, with the labels each may carry: read from the registry of
 * `src/metrics/metrics.ts` (its own metrics and the process_* and nodejs_* ones prom-client adds),
 * a histogram standing for its `_bucket` (with `le`), `_sum` and `_count` series, a summary for
 * its quantiles, `_sum` and `_count`.
 */
function exportedSeries(): Map<string, Set<string>> {
  const series = new Map<string, Set<string>>();
  for (const metric of new Metrics().registry.getMetricsAsArray()) {
    const labels = [...((metric as { labelNames?: readonly string[] }).labelNames ?? []), ...targetLabels];
    if (metric instanceof Histogram || (metric as unknown) instanceof SeriesHistogram) {
      series.set(`${metric.name}_bucket`, new Set([...labels, "le"]));
      series.set(`${metric.name}_sum`, new Set(labels));
      series.set(`${metric.name}_count`, new Set(labels));
    } else if (metric instanceof Summary) {
      series.set(metric.name, new Set([...labels, "quantile"]));
      series.set(`${metric.name}_sum`, new Set(labels));
      series.set(`${metric.name}_count`, new Set(labels));
    } else {
      series.set(metric.name, new Set(labels));
    }
  }
  for (const [name, labels] of Object.entries(notInMetricsTs))
    series.set(name, new Set([...labels, ...targetLabels]));
  return series;
}

/** A series selector in PromQL: the metric name and the labels its matchers name. */
interface Selector {
  readonly name: string;
  readonly labels: readonly string[];
}

const aggregations = new Set([
  "sum",
  "min",
  "max",
  "avg",
  "group",
  "stddev",
  "stdvar",
  "count",
  "count_values",
  "bottomk",
  "topk",
  "quantile",
  "limitk",
  "limit_ratio",
]);
/** Keywords followed by a parenthesised list of label names, not by an expression. */
const labelLists = new Set(["by", "without", "on", "ignoring", "group_left", "group_right"]);
const operators = new Set(["and", "or", "unless", "bool", "offset", "atan2"]);

/**
 * The series selectors of a PromQL expression, found by a small scanner rather than a full parser:
 * strings, ranges and Grafana variables are skipped, a name before `(` is a function, and the
 * grouping lists of `by (...)`, `on (...)` and the like hold labels, not metrics.
 */
function selectors(expr: string): Selector[] {
  const found: Selector[] = [];
  let i = 0;
  const skipSpaces = () => {
    while (i < expr.length && /\s/.test(expr[i])) i++;
  };
  const skipString = () => {
    const quote = expr[i++];
    while (i < expr.length && expr[i] !== quote) i += expr[i] === "\\" ? 2 : 1;
    i++;
  };
  const matchers = (): string[] => {
    const labels: string[] = [];
    i++; // "{"
    for (skipSpaces(); expr[i] !== "}"; skipSpaces()) {
      if (i >= expr.length) throw new Error(`unclosed "{" in ${expr}`);
      if (expr[i] === ",") {
        i++;
        continue;
      }
      const label = /^[a-zA-Z_]\w*/.exec(expr.slice(i))?.[0];
      if (label === undefined) throw new Error(`no label name at ${i} in ${expr}`);
      labels.push(label);
      i += label.length;
      skipSpaces();
      i += /^(=~|!~|!=|=)/.exec(expr.slice(i))?.[0].length ?? 0;
      skipSpaces();
      skipString();
    }
    i++; // "}"
    return labels;
  };
  while (i < expr.length) {
    const c = expr[i];
    if (c === '"' || c === "'" || c === "`") skipString();
    else if (c === "[") i = expr.indexOf("]", i) + 1;
    else if (c === "$") i += /^\$(\{[^}]*\}|\w+)/.exec(expr.slice(i))?.[0].length ?? 1;
    else if (c === "{") found.push({ name: "", labels: matchers() });
    else if (/[0-9.]/.test(c))
      i += /^(\d+\.?\d*|\.\d+)(e[+-]?\d+)?[a-z]*/i.exec(expr.slice(i))?.[0].length ?? 1;
    else if (/[a-zA-Z_:]/.test(c)) {
      const word = /^[a-zA-Z_:][\w:]*/.exec(expr.slice(i))?.[0] ?? c;
      i += word.length;
      skipSpaces();
      if (labelLists.has(word)) {
        if (expr[i] === "(") i = expr.indexOf(")", i) + 1;
      } else if (!operators.has(word) && !aggregations.has(word) && expr[i] !== "(") {
        found.push({ name: word, labels: expr[i] === "{" ? matchers() : [] });
      }
    } else i++;
  }
  return found;
}

/** Names of the template variables a text uses (`$name`, `${name}`, `${name:format}`, `[[name]]`), without Grafana's `$__…` built-ins. */
function variablesUsed(text: string): string[] {
  const names = [...text.matchAll(/\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)(?::\w+)?\]\]/g)].map(
    (match) => match[1] ?? match[2] ?? match[3],
  );
  return names.filter((name) => !name.startsWith("__"));
}

/** The panels of a dashboard other than rows, with the dashboard's uid for messages. */
function contentPanels(dashboard: Dashboard): Panel[] {
  return panelsOf(dashboard).filter((panel): panel is Panel => panel.type !== "row");
}

/** `label_values(selector, label)`, the form of every query variable. */
function labelValues(query: string): { selector: string; label: string } {
  const match = /^label_values\((.+),\s*(\w+)\)$/.exec(query);
  assert.ok(match, `not a label_values(selector, label) query: ${query}`);
  return { selector: match[1], label: match[2] };
}

describe("grafana dashboards", () => {
  const built = buildDashboards();
  const series = exportedSeries();

  it("equal the committed files in dashboards/grafana", () => {
    const rendered = renderDashboards();
    for (const [file, text] of rendered) {
      const path = join(grafanaDir, file);
      assert.ok(existsSync(path), `dashboards/grafana/${file} is missing: ${regenerate}`);
      assert.equal(
        readFileSync(path, "utf8"),
        text,
        `dashboards/grafana/${file} differs from its generator: ${regenerate}`,
      );
    }
    const stale = readdirSync(grafanaDir).filter((file) => file.endsWith(".json") && !rendered.has(file));
    assert.deepEqual(stale, [], `dashboards/grafana has files no generator writes: ${regenerate}`);
  });

  it("render the same bytes on every run", () => {
    assert.deepEqual(renderDashboards(), renderDashboards());
  });

  it("have fixed, distinct uids and distinct panel ids and query refIds", () => {
    const uids = [...built.values()].map((dashboard) => dashboard.uid);
    assert.deepEqual(uids, [...new Set(uids)]);
    for (const [file, dashboard] of built) {
      assert.equal(`${dashboard.uid}.json`, file);
      const ids = panelsOf(dashboard).map((panel) => panel.id);
      assert.deepEqual(ids, [...new Set(ids)], `${file}: panel ids repeat`);
      for (const panel of contentPanels(dashboard)) {
        const refIds = (panel.targets ?? []).map((target) => (target as PrometheusQuery).refId);
        assert.deepEqual(refIds, [...new Set(refIds)], `${file} "${panel.title}": refIds repeat`);
      }
    }
  });

  it("give every panel a title, a description and at least one query", () => {
    for (const [file, dashboard] of built) {
      for (const panel of contentPanels(dashboard)) {
        const where = `${file}, panel ${panel.id} "${panel.title ?? ""}"`;
        assert.ok(panel.title?.trim(), `${where} has no title`);
        assert.ok(panel.description?.trim(), `${where} has no description`);
        const exprs = (panel.targets ?? []).map((target) => (target as PrometheusQuery).expr);
        assert.ok(exprs.length > 0, `${where} has no query`);
        for (const expr of exprs) assert.ok(expr?.trim(), `${where} has a query without an expression`);
      }
    }
  });

  it("find metric names and matcher labels in PromQL (the scanner the checks below rely on)", () => {
    assert.deepEqual(
      selectors(
        'histogram_quantile(0.99, sum by (le, monitor) (rate(a_bucket{monitor=~"$m",x!="}"}[$__rate_interval]))) / on (job) group_left b > bool 1e-10 or vector(0) and time() - c offset 5m',
      ),
      [
        { name: "a_bucket", labels: ["monitor", "x"] },
        { name: "b", labels: [] },
        { name: "c", labels: [] },
      ],
    );
  });

  it("query only metrics the daemon exports, with labels those metrics have", () => {
    for (const { dashboard, panel, expr } of promqlExpressions()) {
      const where = `${dashboard} "${panel}": ${expr}`;
      const found = selectors(expr);
      assert.ok(found.length > 0, `${where}: no metric found`);
      for (const { name, labels } of found) {
        const known = series.get(name);
        assert.ok(
          known,
          `${where}: ${name || "a selector without a name"} is not a metric of src/metrics/metrics.ts`,
        );
        for (const label of labels) assert.ok(known.has(label), `${where}: ${name} has no label ${label}`);
      }
    }
  });

  it("fill their variables from metrics and labels the daemon exports", () => {
    for (const [file, dashboard] of built) {
      for (const variable of dashboard.templating.list ?? []) {
        if (variable.type !== "query") continue;
        const { selector, label } = labelValues(String(variable.query));
        for (const { name, labels } of selectors(selector)) {
          const known = series.get(name);
          assert.ok(
            known,
            `${file} variable ${variable.name}: ${name} is not a metric of src/metrics/metrics.ts`,
          );
          for (const used of [...labels, label]) {
            assert.ok(known.has(used), `${file} variable ${variable.name}: ${name} has no label ${used}`);
          }
        }
      }
    }
  });

  it("use only template variables they define", () => {
    for (const [file, dashboard] of built) {
      const defined = new Set((dashboard.templating.list ?? []).map((variable) => variable.name));
      const texts: [string, string][] = (dashboard.templating.list ?? []).map((variable) => [
        `variable ${variable.name}`,
        typeof variable.query === "string" ? variable.query : "",
      ]);
      for (const panel of contentPanels(dashboard)) {
        const where = `panel "${panel.title}"`;
        texts.push([where, panel.title ?? ""], [where, panel.repeat ? `$${panel.repeat}` : ""]);
        texts.push([where, panel.datasource?.uid ?? ""]);
        for (const target of panel.targets ?? []) {
          const query = target as PrometheusQuery;
          texts.push([where, query.expr], [where, query.datasource?.uid ?? ""]);
        }
      }
      assert.ok(
        texts.some(([, text]) => variablesUsed(text).includes("datasource")),
        `${file} never uses $datasource`,
      );
      for (const [where, text] of texts) {
        for (const name of variablesUsed(text)) {
          assert.ok(defined.has(name), `${file} ${where} uses $${name}, which the dashboard does not define`);
        }
      }
    }
  });

  it("list every panel query, runnable outside Grafana, for the end-to-end test", () => {
    const listed = promqlExpressions();
    const targets = [...built.values()].flatMap(contentPanels).flatMap((panel) => panel.targets ?? []);
    assert.equal(listed.length, targets.length);
    for (const { dashboard, panel, expr, resolved } of listed) {
      assert.ok(
        !resolved.includes("$"),
        `${dashboard} "${panel}": ${expr} still has a variable: ${resolved}`,
      );
    }
  });
});
