/**
 * Writes every generated dashboard to `dashboards/grafana/` and removes JSON files there that no
 * generator produces any more, so the folder always equals the generators' output.
 *
 * @example
 * npx tsx dashboards/generate/main.ts
 * // wrote dashboards/grafana/driftwatch-overview.json
 * // ...
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { renderDashboards } from "./registry.js";

/** The folder the dashboards are written to, the one Grafana provisioning is pointed at. */
export const outputDir = fileURLToPath(new URL("../grafana/", import.meta.url));

const rendered = renderDashboards();
mkdirSync(outputDir, { recursive: true });
for (const file of readdirSync(outputDir)) {
  if (file.endsWith(".json") && !rendered.has(file)) {
    rmSync(join(outputDir, file));
    console.log(`removed ${relative(process.cwd(), join(outputDir, file))}`);
  }
}
for (const [file, text] of rendered) {
  writeFileSync(join(outputDir, file), text);
  console.log(`wrote ${relative(process.cwd(), join(outputDir, file))}`);
}
