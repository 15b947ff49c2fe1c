import { ConfigError, loadConfig } from "../../src/config/load.js";

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
  try {
    loadConfig(config);
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.problems.map((p) => `${p.path} ${p.message}`);
  }
}
