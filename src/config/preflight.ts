import { existsSync } from "node:fs";
import { buildNotifiers } from "../alerts/notifiers/registry.js";
import { readReferenceFields } from "../checks/reference.js";
import { loadReference } from "../drift/reference.js";
import { UserError } from "../errors.js";
import { readNumericRows } from "../io/rows.js";
import { DEFAULT_SAMPLE } from "../multivariate/config.js";
import { readReferenceSample, shapeOf } from "../multivariate/reference.js";
import { readOnlineReference, subjectOf } from "../online/reference.js";
import { sourceKind } from "../sources/registry.js";
import type { ConfigProblem } from "./errors.js";
import type { LoadedConfig } from "./load.js";
import type { FeatureConfig, MonitorConfig } from "./types.js";

/**
 * What `validate` checks beyond the file itself: everything `run` builds before it consumes an
 * event and that can fail on this machine — environment references of notifiers (URLs and
 * headers), reference data files read as the daemon reads them, checks references — by calling
 * the same builders and readers `run` calls, without starting a source, a server or a timer.
 * (Suites, event schemas and files on disk are checked by the loader itself.) What only a
 * running daemon can find out is listed instead, so that `valid` never claims more than it knows.
 *
 * @example
 *   const { problems, unchecked } = await preflight(loadConfig("drift/weather/driftwatch.yaml"));
 *   problems; // []
 *   unchecked[0]; // 'Kafka brokers 127.0.0.1:9092 reachable, topic "weather.inputs" readable (source inputs)'
 */
export async function preflight(
  loaded: LoadedConfig,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<{ problems: ConfigProblem[]; unchecked: string[] }> {
  const problems: ConfigProblem[] = [...notifierProblems(loaded, env), ...(await referenceProblems(loaded))];
  return { problems, unchecked: unchecked(loaded) };
}

/** Notifiers built as `run` builds them (`buildNotifiers`): each problem at its config path. */
function notifierProblems(
  loaded: LoadedConfig,
  env: Readonly<Record<string, string | undefined>>,
): ConfigProblem[] {
  try {
    buildNotifiers(loaded.config.notifiers ?? [], { env }, "notifiers");
    return [];
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    // One line per problem, each "notifiers/I/FIELD: message" (after an "N problems:" head).
    return error.message
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => /^notifiers\/\d+/.test(line))
      .map((line) => {
        const colon = line.indexOf(": ");
        return { path: `/${line.slice(0, colon)}`, message: line.slice(colon + 2) };
      });
  }
}

/** Reference files read with the readers `run` uses; a file already reported missing is skipped. */
async function referenceProblems(loaded: LoadedConfig): Promise<ConfigProblem[]> {
  const { config, resolvePath } = loaded;
  const problems: ConfigProblem[] = [];
  const attempt = async (path: string, read: () => Promise<unknown> | unknown): Promise<void> => {
    try {
      await read();
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      problems.push({ path, message: error.message });
    }
  };
  for (const [name, monitor] of Object.entries(config.monitors) as [string, MonitorConfig][]) {
    const at = `/monitors/${name}/reference/path`;
    if (monitor.type === "checks") {
      const reference = monitor.reference;
      if (reference !== undefined && existsSync(resolvePath(reference.path)))
        await attempt(at, () => readReferenceFields(resolvePath(reference.path)));
      continue;
    }
    if (monitor.type === "performance") continue;
    const reference = monitor.reference;
    if (
      reference.type === "first" ||
      reference.type === "rolling" ||
      !existsSync(resolvePath(reference.path))
    )
      continue;
    const file = resolvePath(reference.path);
    if (monitor.type === "online_drift") {
      await attempt(at, () => readOnlineReference(file, monitor, subjectOf(monitor, config.features)));
      continue;
    }
    if (monitor.type === "multivariate") {
      const shape = shapeOf(monitor.features, config.features);
      await attempt(at, () => readReferenceSample(file, shape, monitor.sample ?? DEFAULT_SAMPLE, 0));
      continue;
    }
    if (monitor.type === "outliers") {
      await attempt(at, () => readNumericRows(file, monitor.features));
      continue;
    }
    const kinds: Record<string, "numeric" | "categorical"> = {};
    for (const feature of monitor.features)
      kinds[feature] = (config.features[feature] as FeatureConfig).type as "numeric" | "categorical";
    await attempt(at, () => loadReference(reference.type, file, kinds));
  }
  return problems;
}

/** What only a running daemon can find out, one line each. */
function unchecked(loaded: LoadedConfig): string[] {
  const { config, resolvePath } = loaded;
  const lines: string[] = [];
  for (const [name, source] of Object.entries(config.sources))
    lines.push(...(sourceKind(source).unchecked?.(name, source) ?? []));
  lines.push(
    `metrics listen address ${config.metrics?.listen ?? "127.0.0.1:9464"} free (unless run --metrics-listen overrides it)`,
    `state directory ${resolvePath(config.state?.dir ?? ".driftwatch")} writable, and its checkpoint usable (unless run --state-dir overrides it)`,
  );
  const notifiers = (config.notifiers ?? []).map((n) => n.name ?? n.type);
  if (notifiers.length > 0) lines.push(`notifier endpoints answering: ${notifiers.join(", ")}`);
  return lines;
}
