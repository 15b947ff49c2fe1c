import type { Config } from "../config/types.js";

/** The sources a feature-based monitor reads: those of its features, each once. */
export function sourcesOfFeatures(config: Config, features: readonly string[]): string[] {
  const sources = new Set<string>();
  for (const feature of features) {
    const source = config.features[feature]?.source;
    if (source !== undefined) sources.add(source);
  }
  return [...sources];
}
