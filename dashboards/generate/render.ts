/**
 * Turns a built dashboard into the committed file: panel ids and query refIds assigned in order,
 * keys sorted at every level, and the layout that `biome format` gives JSON, so the generated files
 * pass `biome check` untouched and a regeneration is byte-for-byte the same.
 *
 * @example
 * renderDashboard(overviewDashboard().build()) // '{\n  "annotations": {\n ...}\n'
 */
import type { Dashboard, Panel, RowPanel } from "@grafana/grafana-foundation-sdk/dashboard";
import type { Dataquery as PrometheusQuery } from "@grafana/grafana-foundation-sdk/prometheus";

/** The line width of the repository's biome configuration. */
const lineWidth = 110;

/** Panels of a dashboard in order, the panels of each row after the row itself. */
export function panelsOf(dashboard: Dashboard): (Panel | RowPanel)[] {
  return (dashboard.panels ?? []).flatMap((panel) =>
    panel.type === "row" ? [panel, ...(panel as RowPanel).panels] : [panel],
  );
}

/**
 * Numbers the panels 1, 2, … in order and names each panel's queries A, B, … where the generator
 * left the refId out; the SDK sets neither, and Grafana would otherwise number them by load order.
 */
export function assignIds(dashboard: Dashboard): Dashboard {
  panelsOf(dashboard).forEach((panel, index) => {
    panel.id = index + 1;
    if (panel.type === "row") return;
    (panel as Panel).targets?.forEach((target, position) => {
      (target as PrometheusQuery).refId ??= String.fromCharCode(65 + position);
    });
  });
  return dashboard;
}

/** The file text of a dashboard: sorted keys, 2-space indent, biome's array layout, a final newline. */
export function renderDashboard(dashboard: Dashboard): string {
  return `${formatJson(sortKeys(assignIds(dashboard)), "", "")}\n`;
}

/** A copy with object keys in code-point order at every depth; `undefined` and functions dropped as JSON does. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== "object") return value;
  const entries = Object.entries(value)
    .filter(([, v]) => v !== undefined && typeof v !== "function")
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries.map(([k, v]) => [k, sortKeys(v)]));
}

/**
 * JSON as biome formats it: a non-empty object always takes one line per key (biome keeps an
 * object expanded when it was written so); an array of scalars stays on one line when the whole
 * line, `head` before it and `tail` after it included, fits the line width, and otherwise takes
 * one line per item. (Biome would fill lines with an overlong array of numbers; the dashboards
 * have none.)
 */
function formatJson(value: unknown, indent: string, head: string, tail = ""): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    if (value.every((item) => item === null || typeof item !== "object")) {
      const flat = `[${value.map((item) => JSON.stringify(item)).join(", ")}]`;
      if (head.length + flat.length + tail.length <= lineWidth) return flat;
    }
    const items = value.map((item, i) => {
      const comma = i < value.length - 1 ? "," : "";
      return `${inner}${formatJson(item, inner, inner, comma)}${comma}`;
    });
    return `[\n${items.join("\n")}\n${indent}]`;
  }
  const entries = Object.entries(value);
  if (entries.length === 0) return "{}";
  const lines = entries.map(([key, item], i) => {
    const comma = i < entries.length - 1 ? "," : "";
    const prefix = `${inner}${JSON.stringify(key)}: `;
    return `${prefix}${formatJson(item, inner, prefix, comma)}${comma}`;
  });
  return `{\n${lines.join("\n")}\n${indent}}`;
}
