import { type ConfigProblem, showValue } from "../errors.js";
import { monitorKinds } from "../monitors/registry.js";
import type { Config, SourceConfig } from "./types.js";

/**
 * What a config needs for its cluster sources (`cluster` on a kafka source): a dead-letter topic
 * (letters are written in the partitions' transactions; a local file cannot follow a partition to
 * another instance), and monitors whose kind can run on a cluster, each with a config its kind
 * can merge across partitions. Every problem names its JSON path.
 */
export function clusterProblems(config: Config): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const clustered = new Set<string>();
  for (const [name, source] of Object.entries(config.sources ?? {}) as [string, SourceConfig][]) {
    if (source.type !== "kafka" || source.cluster === undefined) continue;
    clustered.add(name);
    const dl = source.dead_letter;
    if (dl === undefined || !("topic" in dl))
      problems.push({
        path: `/sources/${name}/${dl === undefined ? "cluster" : "dead_letter"}`,
        message:
          "a cluster source writes its dead letters to a topic, in the same transactions as its windows: give dead_letter: { topic: NAME }",
      });
  }
  if (clustered.size === 0) return problems;
  for (const [name, monitor] of Object.entries(config.monitors ?? {})) {
    const kind = Object.hasOwn(monitorKinds, monitor.type) ? monitorKinds[monitor.type] : undefined;
    if (kind === undefined) continue;
    const on = kind.sources(monitor as never, config).filter((s) => clustered.has(s));
    if (on.length === 0) continue;
    const path = `/monitors/${name}`;
    if (kind.clusterProblems === undefined) {
      problems.push({
        path: `${path}/type`,
        message: `a ${showValue(monitor.type)} monitor cannot read cluster source ${showValue(on[0])}: its state does not merge across partitions; give it a source of its own without \`cluster\``,
      });
      continue;
    }
    problems.push(...kind.clusterProblems(monitor as never, path));
    // What a window means across partitions is said on the source, once for all its monitors.
    const window = (monitor as { window?: Record<string, unknown> }).window;
    const source = config.sources[on[0]] as Extract<SourceConfig, { type: "kafka" }>;
    if (window?.type === "tumbling" && "events" in window && source.cluster?.count_windows === undefined)
      problems.push({
        path: `/sources/${on[0]}/cluster`,
        message: `monitor ${showValue(name)} counts its windows in events: on a cluster source each partition counts its own, so say so with count_windows: per_partition`,
      });
    if (window?.type === "tumbling" && window.time === "event" && source.cluster?.lateness_secs === undefined)
      problems.push({
        path: `/sources/${on[0]}/cluster`,
        message: `monitor ${showValue(name)} has event-time windows: give lateness_secs, how far past a window another partition may be before the window is judged without the partitions that sent nothing for it`,
      });
  }
  return problems;
}
