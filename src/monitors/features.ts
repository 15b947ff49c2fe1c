import type { MonitorContext } from "./types.js";

/** The sources a feature-based monitor reads: those of its features, each once. */
export function sourcesOfFeatures(context: MonitorContext, features: readonly string[]): string[] {
  const sources = new Set<string>();
  for (const feature of features) {
    const source = context.config.features[feature]?.source;
    if (source !== undefined) sources.add(source);
  }
  return [...sources];
}
