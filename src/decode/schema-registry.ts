import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";

// A read-only client of a Confluent-compatible schema registry: the calls a consumer needs,
// `GET /schemas/ids/{id}` and, for the metrics and the log, `GET /schemas/ids/{id}/versions`
// (the subjects and versions it is registered under), answered from a cache after the first time
// (ids never change). Written
// here rather than taken from a client library because the decoders need the schema's text and
// type as the registry gives them, and need to tell "no such id" (a bad record: dead letter)
// from "registry unreachable" (hold the batch and try again), which the libraries fold together.

/** The kinds of schema a registry holds, as its `schemaType` names them. */
export type SchemaType = "AVRO" | "PROTOBUF" | "JSON";

/** A schema as the registry holds it. */
export interface RegistrySchema {
  readonly type: SchemaType;
  readonly schema: string;
  /** The subjects and versions it is registered under, where the store knows them. */
  readonly versions: readonly SubjectVersion[];
}

/** One subject's version of a schema (a subject is usually `TOPIC-value`). */
export interface SubjectVersion {
  readonly subject: string;
  readonly version: number;
}

/**
 * Where the schemas of wire-format records come from, by id: a registry, or a directory of local
 * schema files (`schema_dir`). `schemaById` throws {@link RegistryUnavailable} when it cannot ask.
 */
export interface SchemaStore {
  /** What it is, for messages: "the registry at URL", "schema_dir DIR". */
  readonly describe: string;
  /** A schema known without asking: undefined when never fetched, null when the store has none. */
  cached(id: number): RegistrySchema | null | undefined;
  /** The schema of `id` (fetched once, then from memory); null when the store has none. */
  schemaById(id: number): Promise<RegistrySchema | null>;
}

/** How many ids the registry answered 404 for are remembered. */
const MAX_UNKNOWN_IDS = 1024;

/** The registry could not be asked (network, timeout, 5xx): try again later. */
export class RegistryUnavailable extends Error {}

/** How to reach a registry: its URL, its credentials and the CA to trust. */
export interface RegistryOptions {
  readonly url: string;
  /** HTTP basic auth. */
  readonly username?: string;
  readonly password?: string;
  /** A bearer token, instead. */
  readonly token?: string;
  /** PEM of the CA(s) to trust for an https URL. */
  readonly ca?: Buffer;
  /** Per-request timeout (default 10 s). */
  readonly timeoutMs?: number;
}

export class SchemaRegistryClient implements SchemaStore {
  /** Schemas by id (as many as the registry holds). */
  private readonly cache = new Map<number, RegistrySchema>();
  /**
   * Ids the registry does not have, the most recent {@link MAX_UNKNOWN_IDS}: records naming random
   * ids must not grow memory without bound (the oldest are asked again if they come back).
   */
  private readonly unknown = new Set<number>();

  constructor(private readonly options: RegistryOptions) {}

  /** The registry's URL, for messages (never with credentials). */
  get url(): string {
    return this.options.url;
  }

  get describe(): string {
    return `the registry at ${this.options.url}`;
  }

  cached(id: number): RegistrySchema | null | undefined {
    return this.unknown.has(id) ? null : this.cache.get(id);
  }

  async schemaById(id: number): Promise<RegistrySchema | null> {
    const known = this.cached(id);
    if (known !== undefined) return known;
    const { status, body } = await this.get(`/schemas/ids/${id}`);
    let found: RegistrySchema | null;
    if (status === 404) found = null;
    else if (status === 200) {
      let parsed: { schema?: unknown; schemaType?: unknown };
      try {
        parsed = JSON.parse(body) ?? {};
      } catch {
        // A proxy's error page with status 200: the registry is not answering, try again later.
        throw new RegistryUnavailable(`schema ${id}: the answer is not JSON`);
      }
      if (typeof parsed.schema !== "string")
        throw new RegistryUnavailable(`schema ${id}: the answer has no schema`);
      const type = parsed.schemaType === undefined ? "AVRO" : parsed.schemaType;
      if (type !== "AVRO" && type !== "PROTOBUF" && type !== "JSON")
        throw new RegistryUnavailable(`schema ${id}: unknown schemaType ${JSON.stringify(type)}`);
      found = { type, schema: parsed.schema, versions: await this.versionsOf(id) };
    } else throw new RegistryUnavailable(`GET /schemas/ids/${id} answered ${status}`);
    if (found === null) {
      this.unknown.add(id);
      if (this.unknown.size > MAX_UNKNOWN_IDS)
        this.unknown.delete(this.unknown.values().next().value as number);
    } else this.cache.set(id, found);
    return found;
  }

  /**
   * The subjects and versions schema `id` is registered under. Only for the log and the metrics:
   * a registry without the call, or one that fails to answer it, gives none rather than holding
   * the batch.
   */
  private async versionsOf(id: number): Promise<SubjectVersion[]> {
    try {
      const { status, body } = await this.get(`/schemas/ids/${id}/versions`);
      if (status !== 200) return [];
      const parsed = JSON.parse(body) as unknown;
      if (!Array.isArray(parsed)) return [];
      return parsed
        .filter(
          (v): v is SubjectVersion =>
            typeof v?.subject === "string" && Number.isSafeInteger(v?.version) && v.subject.length <= 255,
        )
        .slice(0, 16)
        .map((v) => ({ subject: v.subject, version: v.version }));
    } catch {
      return [];
    }
  }

  private get(path: string): Promise<{ status: number; body: string }> {
    const url = new URL(
      path.replace(/^\//, ""),
      this.options.url.endsWith("/") ? this.options.url : `${this.options.url}/`,
    );
    const headers: Record<string, string> = {
      accept: "application/vnd.schemaregistry.v1+json, application/json",
    };
    if (this.options.token !== undefined) headers.authorization = `Bearer ${this.options.token}`;
    else if (this.options.username !== undefined)
      headers.authorization = `Basic ${Buffer.from(`${this.options.username}:${this.options.password ?? ""}`).toString("base64")}`;
    const request = url.protocol === "https:" ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          headers,
          timeout: this.options.timeoutMs ?? 10_000,
          ...(this.options.ca ? { ca: this.options.ca } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on("data", (chunk: Buffer) => {
            size += chunk.length;
            // A schema is small; an endless answer is an outage, not something to hold in memory.
            if (size > 16 * 1024 * 1024) req.destroy(new Error("answer larger than 16 MiB"));
            else chunks.push(chunk);
          });
          res.on("end", () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
          );
          res.on("error", (error) => reject(new RegistryUnavailable(`${this.url}: ${error.message}`)));
        },
      );
      req.on("timeout", () => req.destroy(new Error("timed out")));
      req.on("error", (error) => reject(new RegistryUnavailable(`${this.url}: ${error.message}`)));
      req.end();
    });
  }
}
