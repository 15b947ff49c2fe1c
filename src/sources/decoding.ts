import { existsSync, readFileSync, statSync } from "node:fs";
import type { DecoderContext } from "../decode/decoder.js";
import { DEFAULT_MAX_DEPTH, DEFAULT_MAX_EVENT_BYTES } from "../decode/limits.js";
import { type DecoderName, decoders } from "../decode/registry.js";
import { SchemaDirectory, schemaFilesIn } from "../decode/schema-dir.js";
import { SchemaRegistryClient, type SchemaStore } from "../decode/schema-registry.js";
import { EventDecoder } from "../decode/validate.js";
import { showValue } from "../errors.js";
import { readNamedFile, readSecret } from "../io/secrets.js";
import type { Logger } from "../log.js";
import type { Metrics } from "../metrics/metrics.js";
import type { SourceConfig } from "./config.js";

// A source's decoding: its decoder (by `format`) with the schema settings the format needs
// (`schema_registry` or `schema_dir` for the Confluent wire format, or `value_schema` and
// `value_message` for bare records), then its JSON Schema (`schema`).

/** The schema settings of a source whose format may need them (kafka, http). */
interface SchemaSettings {
  readonly schema_registry?: {
    readonly url: string;
    readonly username?: string;
    readonly password_env?: string;
    readonly password_file?: string;
    readonly token_env?: string;
    readonly token_file?: string;
    readonly ca_file?: string;
  };
  readonly schema_dir?: string;
  readonly value_schema?: string;
  readonly value_message?: string;
}

function settingsOf(config: SourceConfig): SchemaSettings {
  return config.type === "file" ? {} : config;
}

/** The registry client of a source's `schema_registry`. */
export function registryOf(
  registry: NonNullable<SchemaSettings["schema_registry"]>,
  resolvePath: (path: string) => string,
): SchemaRegistryClient {
  const password = readSecret(registry.password_env, registry.password_file, resolvePath);
  const token = readSecret(registry.token_env, registry.token_file, resolvePath);
  return new SchemaRegistryClient({
    url: registry.url,
    ...(registry.username === undefined ? {} : { username: registry.username, password: password ?? "" }),
    ...(token === undefined ? {} : { token }),
    ...(registry.ca_file === undefined
      ? {}
      : { ca: readNamedFile(resolvePath(registry.ca_file), "CA file") }),
  });
}

/**
 * The event decoder of a source: its format's decoder, made with its schema settings, then its
 * JSON Schema. Schema changes and registry outages are logged once and counted.
 */
export function eventDecoderOf(
  name: string,
  config: SourceConfig,
  format: DecoderName,
  context: { resolvePath: (path: string) => string; log: Logger; metrics: Metrics },
): EventDecoder {
  const { resolvePath, log, metrics } = context;
  const settings = settingsOf(config);
  const limits = {
    maxBytes: config.max_event_bytes ?? DEFAULT_MAX_EVENT_BYTES,
    maxDepth: config.max_depth ?? DEFAULT_MAX_DEPTH,
  };
  let seen = 0;
  const schemas: SchemaStore | undefined =
    settings.schema_registry !== undefined
      ? registryOf(settings.schema_registry, resolvePath)
      : settings.schema_dir !== undefined
        ? new SchemaDirectory(resolvePath(settings.schema_dir))
        : undefined;
  const decoderContext: DecoderContext = {
    limits,
    ...(schemas === undefined ? {} : { schemas }),
    ...(settings.value_schema === undefined
      ? {}
      : {
          valueSchema: {
            file: resolvePath(settings.value_schema),
            text: readFileSync(resolvePath(settings.value_schema), "utf8"),
          },
        }),
    ...(settings.value_message === undefined ? {} : { message: settings.value_message }),
    onSchema: (id, versions) => {
      metrics.schemaId.set({ source: name }, id);
      for (const { subject, version } of versions)
        metrics.schemaVersion.set({ source: name, subject }, version);
      if (seen++ > 0) metrics.schemaChangesTotal.inc({ source: name });
      log.info("records carry schema", {
        schema_id: id,
        ...(versions.length === 0
          ? {}
          : { versions: versions.map((v) => `${v.subject} v${v.version}`).join(", ") }),
      });
    },
    onRegistry: (up, reason) => {
      if (up) log.info("schema registry answering again; batches go on");
      else log.warn("schema registry unreachable; holding the batch and trying again", { reason });
    },
  };
  return new EventDecoder(
    config.schema === undefined ? undefined : resolvePath(config.schema),
    limits,
    decoders[format].create(decoderContext),
  );
}

/**
 * What the schema cannot check of a source's schema settings: a format that needs a schema has
 * exactly one, a local schema parses (and names its message, for protobuf), secrets are set and
 * files exist. Keys are relative to the source.
 */
export function decodingProblems(
  config: SourceConfig,
  format: DecoderName,
  resolvePath: (path: string) => string,
): { key: string; message: string }[] {
  const problems: { key: string; message: string }[] = [];
  const settings = settingsOf(config);
  const kind = decoders[format];
  const given = [
    settings.schema_registry === undefined ? null : "schema_registry",
    settings.schema_dir === undefined ? null : "schema_dir",
    settings.value_schema === undefined ? null : "value_schema",
  ].filter((k) => k !== null);
  const schemaKind = kind.schema;
  if (schemaKind === undefined) {
    for (const key of [...given, ...(settings.value_message === undefined ? [] : ["value_message"])])
      problems.push({
        key,
        message: `format ${showValue(format)} takes no schema (for avro, protobuf and json_schema)`,
      });
    return problems;
  }
  if (given.length !== 1)
    problems.push({
      key: "format",
      message: `format ${showValue(format)} needs exactly one of schema_registry or schema_dir (the Confluent wire format) and value_schema (a local schema)`,
    });
  if (settings.schema_dir !== undefined)
    problems.push(...schemaDirProblems(resolvePath(settings.schema_dir), format, schemaKind));
  const registry = settings.schema_registry;
  if (registry !== undefined) {
    const pairs: [string, string | undefined][] = [
      ["password_env", registry.password_env],
      ["token_env", registry.token_env],
    ];
    for (const [key, env] of pairs)
      if (env !== undefined && !process.env[env])
        problems.push({ key: `schema_registry/${key}`, message: `environment variable ${env} is not set` });
    for (const key of ["password_file", "token_file", "ca_file"] as const) {
      const path = registry[key];
      if (path !== undefined && !existsSync(resolvePath(path)))
        problems.push({ key: `schema_registry/${key}`, message: `file not found: ${resolvePath(path)}` });
    }
    const password = registry.password_env ?? registry.password_file;
    if ((registry.username === undefined) !== (password === undefined))
      problems.push({ key: "schema_registry", message: "username goes with password_env or password_file" });
    if (registry.username !== undefined && (registry.token_env ?? registry.token_file) !== undefined)
      problems.push({ key: "schema_registry", message: "give basic auth or a token, not both" });
  }
  const file = settings.value_schema;
  if (file !== undefined) {
    if (!existsSync(resolvePath(file)))
      problems.push({ key: "value_schema", message: `file not found: ${resolvePath(file)}` });
    else {
      const text = readFileSync(resolvePath(file), "utf8");
      try {
        kind.create({
          limits: { maxBytes: 1, maxDepth: 1 },
          valueSchema: { file: resolvePath(file), text },
          ...(settings.value_message === undefined ? {} : { message: settings.value_message }),
        });
      } catch (error) {
        const reason = (error as Error).message.split("\n")[0];
        const key =
          format === "protobuf" && error instanceof Error && /no such type/i.test(reason)
            ? "value_message"
            : "value_schema";
        problems.push({ key, message: `${resolvePath(file)}: not a usable ${format} schema: ${reason}` });
      }
    }
  }
  if (format === "protobuf" && file !== undefined && settings.value_message === undefined)
    problems.push({
      key: "value_message",
      message: "protobuf with value_schema needs value_message (the message type)",
    });
  if (format !== "protobuf" && settings.value_message !== undefined)
    problems.push({ key: "value_message", message: `only protobuf takes value_message` });
  return problems;
}

/**
 * What is wrong with a `schema_dir`: not a directory, no schema file of the format's extension,
 * or a file of that extension that does not compile (files of other formats are left to the
 * sources that read them).
 */
function schemaDirProblems(
  dir: string,
  format: DecoderName,
  schema: NonNullable<(typeof decoders)[DecoderName]["schema"]>,
): { key: string; message: string }[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    return [{ key: "schema_dir", message: `not a directory: ${dir}` }];
  let listed: ReturnType<typeof schemaFilesIn>;
  try {
    listed = schemaFilesIn(dir);
  } catch (error) {
    return [{ key: "schema_dir", message: `cannot list ${dir}: ${(error as Error).message}` }];
  }
  const files = [...listed.values()].filter((f) => f.type === schema.type);
  if (files.length === 0)
    return [
      {
        key: "schema_dir",
        message: `${dir} holds no ${format} schema named by id (such as 1${schema.extension})`,
      },
    ];
  const problems: { key: string; message: string }[] = [];
  for (const { file } of files) {
    try {
      schema.check(readFileSync(file, "utf8"));
    } catch (error) {
      const reason = (error as Error).message.split("\n")[0];
      problems.push({ key: "schema_dir", message: `${file}: not a usable ${format} schema: ${reason}` });
    }
  }
  return problems;
}
