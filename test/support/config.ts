import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, loadConfig } from "../../src/config/load.js";

/** `PATH MESSAGE` of each problem of the config at `path`; none when it loads. */
function problemsOf(path: string): string[] {
  try {
    loadConfig(path);
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.problems.map((p) => `${p.path} ${p.message}`);
  }
}

/**
 * A config with one kafka source of weather events (schema `schemas/weather-input.json`), the
 * features temp_max and weather, and a drift monitor `m` of both, its own keys left to follow
 * (YAML, indented 4).
 */
export const weatherDriftHeader = `
sources:
  inputs: { type: kafka, brokers: [127.0.0.1:9092], topic: t, group_id: g, schema: schemas/weather-input.json }
features:
  temp_max: { source: inputs, path: /temp_max, type: numeric }
  weather: { source: inputs, path: /weather, type: categorical }
monitors:
  m:
    type: drift
    features: [temp_max, weather]
`;

let weatherDir: string | null = null;
let written = 0;

/**
 * The problems (`PATH MESSAGE`) of a config with one kafka source of weather events (schema
 * drift/weather/schemas/weather-input.json), the features temp_max and weather, and a drift monitor
 * `m` of both with these extra keys (YAML, indented 4: its reference, window, ...); none when it loads.
 */
export function weatherDriftProblems(keys: string): string[] {
  if (weatherDir === null) {
    weatherDir = mkdtempSync(join(tmpdir(), "driftwatch-config-"));
    mkdirSync(join(weatherDir, "schemas"));
    copyFileSync("drift/weather/schemas/weather-input.json", join(weatherDir, "schemas/weather-input.json"));
  }
  const path = join(weatherDir, `c${written++}.yaml`);
  writeFileSync(path, `${weatherDriftHeader}${keys}`);
  return problemsOf(path);
}

/**
 * The problems (`PATH MESSAGE`) of a config whose one kafka source `inputs` has these extra keys
 * (YAML, indented 4), written with `file` (a scratch folder's writer, so relative paths in the
 * keys resolve there); none when it loads.
 */
export function kafkaSourceProblems(file: (name: string, text: string) => string, keys: string): string[] {
  const config = file(
    "c.yaml",
    `sources:
  inputs:
    type: kafka
    brokers: [localhost:9092]
    topic: t
    group_id: g
${keys}
features:
  x: { source: inputs, path: /x, type: numeric }
monitors:
  m: { type: drift, features: [x], reference: { type: first, events: 5 }, window: { type: tumbling, events: 5 } }
`,
  );
  return problemsOf(config);
}
