import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../config/load.js";
import type { KafkaSourceConfig } from "../config/types.js";
import { DEFAULT_DECODER } from "../decode/registry.js";
import { EventDecoder } from "../decode/validate.js";
import { showValue, suggest, UserError } from "../errors.js";
import { Logger } from "../log.js";
import { Metrics } from "../metrics/metrics.js";
import { eventDecoderOf } from "../sources/decoding.js";
import { parseBound, type RangeOutcome, readTopicRange, type TopicRange } from "../sources/topic-range.js";

// `driftwatch report` reading a topic range in place of a file: `kafka://HOST:PORT[,…]/TOPIC?from=…&to=…`
// (plaintext, JSON), or `source:NAME?from=…&to=…` with `--source-config FILE` for a config's
// source (its brokers, TLS, SASL, format, registry and JSON Schema). The events are written to a
// temporary JSON Lines file that the report then reads like any other, so a topic and a file of
// the same rows give the same report.

/** Whether a `--reference` / `--current` value names a topic range rather than a file. */
export function isTopicRange(value: string): boolean {
  return value.startsWith("kafka://") || value.startsWith("source:");
}

function rangeOf(value: string, flag: string, sourceConfig: string | undefined): TopicRange {
  const query = value.includes("?")
    ? new URLSearchParams(value.slice(value.indexOf("?") + 1))
    : new URLSearchParams();
  for (const key of query.keys())
    if (key !== "from" && key !== "to")
      throw new UserError(`${flag} ${value}: unknown parameter ${showValue(key)}; known: from, to`);
  const from = parseBound(query.get("from") ?? "earliest", `${flag} from`);
  const to = parseBound(query.get("to") ?? "latest", `${flag} to`);
  const base = value.split("?")[0];
  if (base.startsWith("kafka://")) {
    const match = /^kafka:\/\/([^/]+)\/([^/]+)$/.exec(base);
    if (match === null) throw new UserError(`${flag} ${value}: expected kafka://HOST:PORT[,HOST:PORT]/TOPIC`);
    const brokers = match[1].split(",");
    for (const broker of brokers)
      if (!/^[^\s:]+:\d{1,5}$/.test(broker))
        throw new UserError(`${flag} ${value}: broker ${showValue(broker)} is not HOST:PORT`);
    const topic = decodeURIComponent(match[2]);
    return {
      connection: { brokers, resolvePath: (path) => path },
      topic,
      from,
      to,
      decoder: new EventDecoder(),
      label: `${flag} ${base}`,
    };
  }
  if (sourceConfig === undefined)
    throw new UserError(`${flag} ${value}: a source: range needs --source-config FILE`);
  const name = base.slice("source:".length);
  const loaded = loadConfig(sourceConfig);
  const kafkaSources = Object.entries(loaded.config.sources)
    .filter(([, s]) => s.type === "kafka")
    .map(([n]) => n);
  const source = loaded.config.sources[name];
  if (source === undefined || source.type !== "kafka")
    throw new UserError(
      `${flag} ${value}: ${sourceConfig} has no kafka source ${showValue(name)}${suggest(name, kafkaSources)}; kafka sources: ${kafkaSources.join(", ") || "none"}`,
    );
  const kafkaSource = source as KafkaSourceConfig;
  return {
    connection: { ...kafkaSource, resolvePath: loaded.resolvePath },
    topic: kafkaSource.topic,
    from,
    to,
    decoder: eventDecoderOf(name, kafkaSource, kafkaSource.format ?? DEFAULT_DECODER, {
      resolvePath: loaded.resolvePath,
      log: quietLog,
      metrics: new Metrics({ processMetrics: false }),
    }),
    label: `${flag} ${base}`,
  };
}

/** A logger that says nothing: what goes wrong reaches the report as one line, or as counts. */
export const quietLog = new Logger("error", {}, () => {});

/** A topic range read into a temporary JSON Lines file, and how to remove it. */
export interface MaterializedRange {
  readonly path: string;
  readonly outcome: RangeOutcome;
  remove(): void;
}

/** Reads a `--reference` / `--current` topic range into a temporary JSON Lines file. */
export async function materializeRange(
  value: string,
  flag: string,
  sourceConfig: string | undefined,
  log: Logger,
  onProgress?: (done: number, total: number) => void,
): Promise<MaterializedRange> {
  const range = rangeOf(value, flag, sourceConfig);
  const dir = mkdtempSync(join(tmpdir(), "driftwatch-topic-"));
  const path = join(dir, `${flag.replace(/^--/, "")}.jsonl`);
  const fd = openSync(path, "w");
  try {
    const outcome = await readTopicRange(
      range,
      log,
      (event) => writeSync(fd, `${JSON.stringify(event)}\n`),
      onProgress,
    );
    if (outcome.events === 0) {
      const rejected = Object.entries(outcome.rejected)
        .map(([r, n]) => `${n} ${r}`)
        .join(", ");
      throw new UserError(
        `${flag} ${value}: no event in the range (${outcome.messages} messages${rejected === "" ? "" : `; rejected: ${rejected}`})`,
      );
    }
    return { path, outcome, remove: () => rmSync(dir, { recursive: true, force: true }) };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  } finally {
    closeSync(fd);
  }
}
