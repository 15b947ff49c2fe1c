import { existsSync } from "node:fs";
import type { ConnectionOptions } from "node:tls";
import type { SASLOptions } from "kafkajs";
import { showValue } from "../errors.js";
import { readNamedFile, readSecret } from "../io/secrets.js";
import type { KafkaSourceConfig } from "./config.js";

// TLS and SASL of a Kafka connection: the config's files and environment variables turned into
// kafkajs options. Secrets are read here and kept only in the client's options: never logged,
// never in an error message (which names the variable or the file instead).

/** A source's `tls`. */
export type KafkaTls = NonNullable<KafkaSourceConfig["tls"]>;
/** A source's `sasl`. */
export type KafkaSasl = NonNullable<KafkaSourceConfig["sasl"]>;

/** What a Kafka client needs to reach a cluster: its brokers, and how to secure the connection. */
export interface KafkaConnection {
  readonly brokers: readonly string[];
  readonly tls?: KafkaTls;
  readonly sasl?: KafkaSasl;
  /** Resolves the files `tls` and `sasl` name (relative to the config file). */
  readonly resolvePath: (path: string) => string;
}

/** A secret the config must name (the schema and the cross-checks make sure it does). */
function secretOf(
  env: string | undefined,
  file: string | undefined,
  resolvePath: (p: string) => string,
): string {
  const secret = readSecret(env, file, resolvePath);
  if (secret === undefined) throw new Error("no secret configured");
  return secret;
}

/** kafkajs's `ssl`: true for the system's CAs, or node's TLS options from the files. */
export function tlsOptions(connection: KafkaConnection): ConnectionOptions | boolean | undefined {
  const tls = connection.tls;
  if (tls === undefined || tls === false) return undefined;
  if (tls === true) return true;
  const file = (path: string, what: string) => readNamedFile(connection.resolvePath(path), what);
  return {
    ...(tls.ca_file === undefined ? {} : { ca: [file(tls.ca_file, "CA file")] }),
    ...(tls.cert_file === undefined ? {} : { cert: file(tls.cert_file, "certificate file") }),
    ...(tls.key_file === undefined ? {} : { key: file(tls.key_file, "key file") }),
    ...(tls.servername === undefined ? {} : { servername: tls.servername }),
    // Off only when asked: the certificate chain is still verified, only the name is not.
    ...(tls.verify_hostname === false ? { checkServerIdentity: () => undefined } : {}),
  };
}

/** kafkajs's `sasl`, with the secret read now (a token file is read again for each token). */
export function saslOptions(connection: KafkaConnection): SASLOptions | undefined {
  const sasl = connection.sasl;
  if (sasl === undefined) return undefined;
  const resolvePath = connection.resolvePath;
  if (sasl.mechanism === "oauthbearer") {
    const { token_env, token_file } = sasl;
    return {
      mechanism: "oauthbearer",
      oauthBearerProvider: async () => ({ value: secretOf(token_env, token_file, resolvePath) }),
    };
  }
  return {
    mechanism: sasl.mechanism,
    username: sasl.username ?? "",
    password: secretOf(sasl.password_env, sasl.password_file, resolvePath),
  };
}

/**
 * What the schema cannot check of `tls` and `sasl`: which keys go together, variables that are
 * set, files that exist. Keys are relative to the source.
 */
export function securityProblems(
  config: Pick<KafkaSourceConfig, "tls" | "sasl">,
  resolvePath: (path: string) => string,
): { key: string; message: string }[] {
  const problems: { key: string; message: string }[] = [];
  const fileAt = (key: string, path: string | undefined): void => {
    if (path !== undefined && !existsSync(resolvePath(path)))
      problems.push({ key, message: `file not found: ${resolvePath(path)}` });
  };
  const envAt = (key: string, name: string | undefined): void => {
    if (name !== undefined && (process.env[name] === undefined || process.env[name] === ""))
      problems.push({ key, message: `environment variable ${name} is not set` });
  };
  const tls = config.tls;
  if (typeof tls === "object") {
    fileAt("tls/ca_file", tls.ca_file);
    fileAt("tls/cert_file", tls.cert_file);
    fileAt("tls/key_file", tls.key_file);
    if ((tls.cert_file === undefined) !== (tls.key_file === undefined))
      problems.push({ key: "tls", message: "cert_file and key_file go together (mutual TLS needs both)" });
  }
  const sasl = config.sasl;
  if (sasl !== undefined) {
    const given = (keys: readonly (keyof KafkaSasl)[]) => keys.filter((k) => sasl[k] !== undefined);
    const oauth = sasl.mechanism === "oauthbearer";
    const secrets = oauth
      ? (["token_env", "token_file"] as const)
      : (["password_env", "password_file"] as const);
    const foreign = oauth
      ? given(["username", "password_env", "password_file"])
      : given(["token_env", "token_file"]);
    for (const key of foreign)
      problems.push({ key: `sasl/${key}`, message: `not used by mechanism ${showValue(sasl.mechanism)}` });
    if (!oauth && sasl.username === undefined)
      problems.push({ key: "sasl", message: `mechanism ${showValue(sasl.mechanism)} needs username` });
    if (given(secrets).length !== 1)
      problems.push({
        key: "sasl",
        message: `mechanism ${showValue(sasl.mechanism)} needs exactly one of ${secrets.join(", ")} (secrets are not written in the config)`,
      });
    envAt(`sasl/${secrets[0]}`, sasl[secrets[0]]);
    fileAt(`sasl/${secrets[1]}`, sasl[secrets[1]]);
  }
  return problems;
}
