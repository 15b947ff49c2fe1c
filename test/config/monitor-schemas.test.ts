import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, loadConfig } from "../../src/config/load.js";
import { configSchema } from "../../src/config/schema.js";
import { monitorKinds, monitorSchemas, registerMonitorKind } from "../../src/monitors/registry.js";

const dir = mkdtempSync(join(tmpdir(), "driftwatch-monitor-schemas-"));

/** The problems of loading a config whose only monitor has this `type`. */
function problemsWith(type: string): string[] {
  writeFileSync(join(dir, "events.jsonl"), '{"x":1}\n');
  const file = join(dir, "driftwatch.yaml");
  writeFileSync(
    file,
    `sources:\n  events: { type: file, path: events.jsonl }\nfeatures:\n  x: { source: events, path: /x, type: numeric }\nmonitors:\n  m: { type: ${type} }\n`,
  );
  try {
    loadConfig(file);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => `${p.path} ${p.message}`);
    throw error;
  }
  assert.fail("the config was accepted");
}

describe("monitor schemas", () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("composes the monitors' schema from the branch each built-in kind gives for its own type", () => {
    const branches = configSchema.properties.monitors.additionalProperties.oneOf as readonly {
      properties: { type: { const: string } };
    }[];
    assert.deepEqual(branches, monitorSchemas());
    assert.deepEqual(
      branches.map((b) => b.properties.type.const),
      ["drift", "outliers", "performance", "checks", "multivariate", "online_drift"],
    );
    for (const kind of Object.values(monitorKinds)) {
      assert.equal(
        (kind.schema as { properties: { type: { const: string } } }).properties.type.const,
        kind.type,
      );
    }
  });

  it("names the known monitor types in the documented order, then those of registered kinds", () => {
    assert.deepEqual(problemsWith("drfit"), [
      '/monitors/m/type unknown type "drfit" (did you mean "drift"?); known types: drift, outliers, performance, checks, multivariate, online_drift',
    ]);
    registerMonitorKind({
      ...monitorKinds.drift,
      type: "drift_again",
      schema: { type: "object", required: ["type"], properties: { type: { const: "drift_again" } } },
    });
    try {
      assert.deepEqual(problemsWith("drift_agian"), [
        '/monitors/m/type unknown type "drift_agian" (did you mean "drift_again"?); known types: drift, outliers, performance, checks, multivariate, online_drift, drift_again',
      ]);
    } finally {
      delete monitorKinds.drift_again;
    }
  });
});
