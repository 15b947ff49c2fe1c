import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A STAND-IN for a Confluent-compatible schema registry, for tests: no real registry can be had on
 * this machine's package registries (see the README). It implements the documented REST subset the
 * clients call, with the documented answers:
 *
 * - `POST /subjects/{subject}/versions` `{ schema, schemaType?, references? }` → `{ id }` (the same
 *   schema text under a subject keeps its id; a new text is a new version);
 * - `POST /subjects/{subject}` (is this schema registered?) → `{ subject, id, version, schema }`,
 *   or 404 with `error_code` 40403;
 * - `GET /schemas/ids/{id}` → `{ schema, schemaType? }` (no `schemaType` for Avro), or 404 with
 *   `error_code` 40403;
 * - `GET /schemas/ids/{id}/versions` → `[{ subject, version }]`, or 404 with `error_code` 40403;
 * - `GET /subjects/{subject}/versions/{version|latest}` → `{ subject, id, version, schema }`;
 * - `GET|PUT /config/{subject}` → `{ compatibilityLevel }` / `{ compatibility }`.
 *
 * `down = true` answers 503 to everything, as a registry in an outage does.
 */
export class SchemaRegistryStandIn {
  down = false;
  /** Requests answered, by `METHOD path`. */
  readonly requests: string[] = [];
  private readonly schemas: { schema: string; schemaType?: string }[] = [];
  private readonly subjects = new Map<string, number[]>();
  private server: Server | null = null;
  url = "";

  async start(): Promise<void> {
    const server = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk) => {
        body += chunk;
      });
      request.on("end", () => {
        const path = (request.url ?? "").split("?")[0];
        this.requests.push(`${request.method} ${path}`);
        const reply = (status: number, value: unknown) => {
          response.writeHead(status, { "content-type": "application/vnd.schemaregistry.v1+json" });
          response.end(JSON.stringify(value));
        };
        if (this.down) return reply(503, { error_code: 50301, message: "unavailable" });
        const notFound = (what: string) => reply(404, { error_code: 40403, message: `${what} not found` });
        const route = (method: string, pattern: RegExp) =>
          request.method === method ? pattern.exec(path) : null;
        const byId = route("GET", /^\/schemas\/ids\/(\d+)$/);
        if (byId) {
          const found = this.schemas[Number(byId[1]) - 1];
          return found ? reply(200, found) : notFound("Schema");
        }
        const versionsOf = route("GET", /^\/schemas\/ids\/(\d+)\/versions$/);
        if (versionsOf) {
          const id = Number(versionsOf[1]);
          if (this.schemas[id - 1] === undefined) return notFound("Schema");
          const found: { subject: string; version: number }[] = [];
          for (const [subject, ids] of this.subjects)
            if (ids.includes(id)) found.push({ subject, version: ids.indexOf(id) + 1 });
          return reply(200, found);
        }
        const register = route("POST", /^\/subjects\/([^/]+)\/versions$/);
        if (register) {
          const given = JSON.parse(body) as { schema: string; schemaType?: string };
          const subject = decodeURIComponent(register[1]);
          const id = this.idOf(given);
          const versions = this.subjects.get(subject) ?? [];
          if (!versions.includes(id)) versions.push(id);
          this.subjects.set(subject, versions);
          return reply(200, { id });
        }
        const lookup = route("POST", /^\/subjects\/([^/]+)$/);
        if (lookup) {
          const given = JSON.parse(body) as { schema: string; schemaType?: string };
          const subject = decodeURIComponent(lookup[1]);
          const versions = this.subjects.get(subject) ?? [];
          const version = versions.findIndex((id) => this.schemas[id - 1].schema === given.schema);
          return version === -1
            ? notFound("Schema")
            : reply(200, { subject, id: versions[version], version: version + 1, schema: given.schema });
        }
        const byVersion = route("GET", /^\/subjects\/([^/]+)\/versions\/(latest|\d+)$/);
        if (byVersion) {
          const subject = decodeURIComponent(byVersion[1]);
          const versions = this.subjects.get(subject) ?? [];
          const version = byVersion[2] === "latest" ? versions.length : Number(byVersion[2]);
          const id = versions[version - 1];
          return id === undefined
            ? reply(404, { error_code: 40402, message: "Version not found" })
            : reply(200, { subject, id, version, schema: this.schemas[id - 1].schema });
        }
        if (/^\/config\/[^/]+$/.test(path)) {
          return request.method === "PUT"
            ? reply(200, JSON.parse(body || "{}"))
            : reply(200, { compatibilityLevel: "BACKWARD" });
        }
        return reply(404, { error_code: 404, message: `no route ${request.method} ${path}` });
      });
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** The id of a schema, registering it when new (ids start at 1). */
  private idOf(given: { schema: string; schemaType?: string }): number {
    const type = given.schemaType === undefined || given.schemaType === "AVRO" ? undefined : given.schemaType;
    const at = this.schemas.findIndex((s) => s.schema === given.schema && s.schemaType === type);
    if (at !== -1) return at + 1;
    this.schemas.push(
      type === undefined ? { schema: given.schema } : { schema: given.schema, schemaType: type },
    );
    return this.schemas.length;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }
}
