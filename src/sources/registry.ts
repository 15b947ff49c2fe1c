import { existsSync } from "node:fs";
import { DEFAULT_DECODER, type DecoderName, decoders } from "../decode/registry.js";
import { endpointProblems } from "../io/endpoint.js";
import type { Logger } from "../log.js";
import type { Metrics } from "../metrics/metrics.js";
import type { FileSourceConfig, HttpSourceConfig, KafkaSourceConfig, SourceConfig } from "./config.js";
import { decodingProblems } from "./decoding.js";
import { FileSource } from "./file.js";
import { HttpSource } from "./http.js";
import { KafkaSource } from "./kafka.js";
import { type KafkaConnection, securityProblems } from "./kafka-security.js";
import { fileSchema, httpSchema, kafkaSchema } from "./schema.js";
import type { PartitionHooks, Source } from "./source.js";

/** What a source's factory may use besides its own config. */
export interface SourceContext {
  /** Resolves a path of the config file (relative to the config file). */
  readonly resolvePath: (path: string) => string;
  /** The source's logger (its lines already carry `source`). */
  readonly log: Logger;
  readonly metrics: Metrics;
  /** Now in ms; a test may run its own clock. */
  readonly clock: () => number;
  /** For a source whose partitions' state is owned elsewhere (a cluster source). */
  readonly partitions?: PartitionHooks;
}

/** The Kafka cluster a source reads, on which a dead-letter topic is produced (with the same security). */
export interface KafkaOrigin extends Omit<KafkaConnection, "resolvePath"> {
  readonly groupId: string;
  readonly topics: readonly string[];
}

/** A problem of a source's config that its schema cannot see; `key` is relative to the source. */
export interface SourceProblem {
  readonly key: string;
  readonly message: string;
}

/**
 * One source type, registered under its `type` in {@link sources}. Everything the pipeline, the
 * config loader and the conformance test need to know of a type is here, so that none of them
 * names a type.
 */
export interface SourceKind<C extends SourceConfig> {
  /** Equal to its key in the registry and to the config's `type`. */
  readonly name: C["type"];
  /** Its branch of the config schema (unknown keys rejected). */
  readonly schema: object;
  /** A valid config, for the conformance test and the docs. */
  readonly example: C;
  create(name: string, config: C, context: SourceContext): Source;
  /** Whether it ends once it has delivered everything (a replay), which `run --once` waits for. */
  readonly finite: boolean;
  /** Whether `commit` hands offsets to a broker (counted in `driftwatch_offset_commits_total`). */
  readonly commitsOffsets: boolean;
  /** The decoder of its records; records a source parses itself (CSV rows) skip it. */
  decoder(config: C): DecoderName;
  /** The cluster it reads, when it has one: only then may its dead letters go to a topic. */
  kafka?(config: C): KafkaOrigin;
  /** What only a running daemon can find out about it, one line each (for `validate`). */
  unchecked?(name: string, config: C): string[];
  /** What the schema cannot check (files on disk). */
  problems?(config: C, resolvePath: (path: string) => string): SourceProblem[];
}

const kafka: SourceKind<KafkaSourceConfig> = {
  name: "kafka",
  schema: kafkaSchema,
  example: { type: "kafka", brokers: ["localhost:9092"], topic: "predictions", group_id: "driftwatch" },
  create: (name, config, { resolvePath, log, metrics, clock, partitions }) =>
    new KafkaSource(name, config, resolvePath, log, metrics, clock, partitions),
  finite: false,
  commitsOffsets: true,
  decoder: (config) => config.format ?? DEFAULT_DECODER,
  kafka: (config) => ({
    brokers: config.brokers,
    ...(config.tls === undefined ? {} : { tls: config.tls }),
    ...(config.sasl === undefined ? {} : { sasl: config.sasl }),
    groupId: config.group_id,
    topics: [config.topic],
  }),
  problems: (config, resolvePath) => [
    ...securityProblems(config, resolvePath),
    ...decodingProblems(config, config.format ?? DEFAULT_DECODER, resolvePath),
  ],
  unchecked: (name, config) => [
    `Kafka brokers ${config.brokers.join(", ")} reachable, credentials and certificates accepted, topic ${JSON.stringify(config.topic)} readable (source ${name})`,
    ...(config.dead_letter !== undefined && "topic" in config.dead_letter
      ? [`dead-letter topic ${JSON.stringify(config.dead_letter.topic)} writable (source ${name})`]
      : []),
    ...(config.cluster !== undefined
      ? [
          `cluster topics of group ${JSON.stringify(config.group_id)} creatable or present, transactions and offset commits allowed to it (source ${name})`,
        ]
      : []),
  ],
};

const file: SourceKind<FileSourceConfig> = {
  name: "file",
  schema: fileSchema,
  example: { type: "file", path: "drift/demo/seattle-weather.jsonl" },
  create: (name, config, { resolvePath }) =>
    new FileSource(name, { ...config, path: resolvePath(config.path) }),
  finite: true,
  commitsOffsets: false,
  // `format` is the file's layout here (see schema.ts): JSON Lines lines are json records.
  decoder: () => "json",
  problems: (config, resolvePath) =>
    existsSync(resolvePath(config.path))
      ? []
      : [{ key: "path", message: `file not found: ${resolvePath(config.path)}` }],
};

const http: SourceKind<HttpSourceConfig> = {
  name: "http",
  schema: httpSchema,
  example: { type: "http", listen: "127.0.0.1:0" },
  create: (name, config, { resolvePath, log, metrics }) =>
    new HttpSource(
      name,
      // A binary format's record may hold any byte: each request body is one record.
      { ...config, binary: !decoders[config.format ?? DEFAULT_DECODER].text },
      metrics,
      log,
      resolvePath,
    ),
  finite: false,
  commitsOffsets: false,
  decoder: (config) => config.format ?? DEFAULT_DECODER,
  unchecked: (name, config) => [`listen address ${config.listen} (source ${name}) free`],
  problems: (config, resolvePath) => [
    ...endpointProblems(config, resolvePath),
    ...decodingProblems(config, config.format ?? DEFAULT_DECODER, resolvePath),
  ],
};

/**
 * The source types a config's `sources` may use, by `type`. A new type is one file beside
 * `kafka.ts` plus its entry here: the config schema, the pipeline and the conformance test read
 * this object.
 */
export const sources = { kafka, file, http } satisfies {
  readonly [T in SourceConfig["type"]]: SourceKind<Extract<SourceConfig, { type: T }>>;
};

/** The registered kind of a source's config. */
export function sourceKind(config: SourceConfig): SourceKind<SourceConfig> {
  return sources[config.type] as SourceKind<SourceConfig>;
}
