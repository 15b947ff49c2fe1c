import { createHash, timingSafeEqual } from "node:crypto";
import { existsSync } from "node:fs";
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerOptions,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { FromSchema } from "json-schema-to-ts";
import { readNamedFile, readSecret } from "./secrets.js";

// Optional bearer-token auth and TLS of the HTTP endpoints driftwatch serves (the HTTP source and
// the metrics server): their schema fragments, their checks, and the server they make. The token
// is compared in constant time and never logged.

const envName = { type: "string", pattern: "^[A-Za-z_][A-Za-z0-9_]*$" } as const;
const file = { type: "string", minLength: 1 } as const;

/** `auth`: a bearer token every request must carry (`Authorization: Bearer TOKEN`). */
export const endpointAuthSchema = {
  type: "object",
  additionalProperties: false,
  description: "require `Authorization: Bearer TOKEN`; the token from an environment variable or a file",
  properties: {
    token_env: { ...envName, description: "environment variable holding the token" },
    token_file: {
      ...file,
      description: "file holding the token (a final newline is ignored), relative to this file",
    },
  },
} as const;

/** `tls`: serve HTTPS with this certificate. */
export const endpointTlsSchema = {
  type: "object",
  additionalProperties: false,
  required: ["cert_file", "key_file"],
  description: "serve HTTPS with this certificate and key (PEM files, relative to this file)",
  properties: {
    cert_file: { ...file, description: "the server certificate (PEM), its chain after it" },
    key_file: { ...file, description: "its private key (PEM, unencrypted)" },
  },
} as const;

/** An endpoint's `auth` and `tls`. */
export interface EndpointConfig {
  readonly auth?: FromSchema<typeof endpointAuthSchema>;
  readonly tls?: FromSchema<typeof endpointTlsSchema>;
}

/** What the schema cannot check of `auth` and `tls`; keys are relative to the endpoint's section. */
export function endpointProblems(
  config: EndpointConfig,
  resolvePath: (path: string) => string,
): { key: string; message: string }[] {
  const problems: { key: string; message: string }[] = [];
  const auth = config.auth;
  if (auth !== undefined) {
    if ((auth.token_env === undefined) === (auth.token_file === undefined))
      problems.push({ key: "auth", message: "give exactly one of token_env, token_file" });
    if (auth.token_env !== undefined && !process.env[auth.token_env])
      problems.push({ key: "auth/token_env", message: `environment variable ${auth.token_env} is not set` });
    if (auth.token_file !== undefined && !existsSync(resolvePath(auth.token_file)))
      problems.push({ key: "auth/token_file", message: `file not found: ${resolvePath(auth.token_file)}` });
  }
  for (const key of ["cert_file", "key_file"] as const) {
    const path = config.tls?.[key];
    if (path !== undefined && !existsSync(resolvePath(path)))
      problems.push({ key: `tls/${key}`, message: `file not found: ${resolvePath(path)}` });
  }
  return problems;
}

const sha256 = (value: string | Buffer) => createHash("sha256").update(value).digest();

/**
 * An endpoint's security, with its token and certificate read (once, when the endpoint starts;
 * a config reload reads them again).
 */
export class EndpointSecurity {
  private readonly token: Buffer | null;
  private readonly tls: { cert: Buffer; key: Buffer } | null;

  constructor(config: EndpointConfig, resolvePath: (path: string) => string) {
    const auth = config.auth;
    const token = readSecret(auth?.token_env, auth?.token_file, resolvePath) ?? null;
    if (token === "") throw new Error(`token file ${resolvePath(auth?.token_file ?? "")} is empty`);
    // Only the digest is kept: equal lengths for timingSafeEqual, whatever the client sends.
    this.token = token === null ? null : sha256(token);
    this.tls =
      config.tls === undefined
        ? null
        : {
            cert: readNamedFile(resolvePath(config.tls.cert_file), "certificate file"),
            key: readNamedFile(resolvePath(config.tls.key_file), "key file"),
          };
  }

  /** Whether requests need a token. */
  get requiresToken(): boolean {
    return this.token !== null;
  }

  /** `https` with TLS, else `http`. */
  get scheme(): "http" | "https" {
    return this.tls === null ? "http" : "https";
  }

  /** Whether the request carries the token (always, without auth); compared in constant time. */
  allows(request: IncomingMessage): boolean {
    if (this.token === null) return true;
    const header = request.headers.authorization ?? "";
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
    return match !== null && timingSafeEqual(sha256(match[1]), this.token);
  }

  /** An HTTP server, or an HTTPS one with the certificate. */
  createServer(options: ServerOptions, listener: RequestListener): Server {
    return this.tls === null
      ? createHttpServer(options, listener)
      : (createHttpsServer({ ...options, ...this.tls }, listener) as unknown as Server);
  }
}
