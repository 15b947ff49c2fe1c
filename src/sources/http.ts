import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { splitJsonArray } from "../decode/limits.js";
import { UserError } from "../errors.js";
import { type EndpointConfig, EndpointSecurity } from "../io/endpoint.js";
import type { Logger } from "../log.js";
import type { Metrics } from "../metrics/metrics.js";
import type { BatchHandler, Source, SourceHealth, SourceRecord } from "./source.js";

/** Splits `host:port` (IPv6 in brackets) for `listen`. */
export function parseListen(listen: string): { host: string; port: number } {
  const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(listen);
  if (!match) throw new RangeError(`expected host:port, got ${JSON.stringify(listen)}`);
  return { host: match[1], port: Number(match[2]) };
}

/** Options of an HTTP source (the config keys; defaults below). */
export interface HttpSourceOptions extends EndpointConfig {
  readonly listen: string;
  /** Records of a binary format: each request body is one record, never split. */
  readonly binary?: boolean;
  readonly max_body_bytes?: number;
  readonly max_connections?: number;
  readonly header_timeout_secs?: number;
  readonly body_timeout_secs?: number;
}

/** Defaults of the HTTP source's limits. */
export const httpDefaults = {
  max_body_bytes: 10 * 1024 * 1024,
  max_connections: 256,
  header_timeout_secs: 10,
  body_timeout_secs: 60,
} as const;

const NEWLINE = 0x0a;

/**
 * Accepts events over HTTP: `POST /v1/events` with one JSON object, a JSON array of objects, or
 * NDJSON (`application/x-ndjson`, one object per line). Every event goes through the same
 * decoding and validation as Kafka's; the response says how many were accepted and rejected.
 * The request completes once the batch is processed, which is the back-pressure. HTTP cannot be
 * replayed, so these events have no position to resume from.
 *
 * Every resource a client holds is bounded: connections (`max_connections`; more are dropped at
 * accept), the time to send the headers and the whole request (`header_timeout_secs`,
 * `body_timeout_secs`: a slow client gets 408 and is disconnected) and the body's size
 * (`max_body_bytes`, 413). Array elements and NDJSON lines are split without parsing, so each
 * event keeps its own bytes and one bad element rejects only itself. Every request is counted by
 * status in `driftwatch_http_requests_total`.
 */
export class HttpSource implements Source {
  readonly finished = new Promise<void>(() => {});
  private server: Server | null = null;
  private readonly limits: Required<Omit<HttpSourceOptions, "listen" | "binary" | keyof EndpointConfig>>;
  private security: EndpointSecurity | null = null;
  private stopping = false;
  /** Batches handed to the pipeline and not yet processed. */
  private readonly inFlight = new Set<Promise<unknown>>();
  /** The port actually bound (useful with port 0). */
  port = 0;

  constructor(
    readonly name: string,
    private readonly options: HttpSourceOptions,
    private readonly metrics?: Metrics,
    private readonly log?: Logger,
    private readonly resolvePath: (path: string) => string = (path) => path,
  ) {
    this.limits = {
      max_body_bytes: options.max_body_bytes ?? httpDefaults.max_body_bytes,
      max_connections: options.max_connections ?? httpDefaults.max_connections,
      header_timeout_secs: options.header_timeout_secs ?? httpDefaults.header_timeout_secs,
      body_timeout_secs: options.body_timeout_secs ?? httpDefaults.body_timeout_secs,
    };
  }

  health(): SourceHealth {
    return this.server === null && !this.stopping ? { up: false, reason: "not listening" } : { up: true };
  }

  private reply(
    response: ServerResponse,
    status: number,
    body: unknown,
    headers: Readonly<Record<string, string>> = {},
  ): void {
    this.metrics?.httpRequestsTotal.inc({ source: this.name, code: String(status) });
    if (response.headersSent || response.destroyed) return;
    const text = JSON.stringify(body);
    response.writeHead(status, {
      ...headers,
      "content-type": "application/json",
      "content-length": Buffer.byteLength(text),
    });
    response.end(text);
  }

  async start(handler: BatchHandler): Promise<void> {
    const { host, port } = parseListen(this.options.listen);
    const headersTimeout = this.limits.header_timeout_secs * 1000;
    let security: EndpointSecurity;
    try {
      security = new EndpointSecurity(this.options, this.resolvePath);
    } catch (error) {
      // A token or certificate file gone since the config was checked: one line, no start.
      throw new UserError(`source ${this.name}: ${(error as Error).message}`);
    }
    this.security = security;
    const server = security.createServer(
      {
        headersTimeout,
        // Node wants the whole-request timeout to be at least the headers' one.
        requestTimeout: Math.max(headersTimeout, this.limits.body_timeout_secs * 1000),
        // The timeouts above are enforced when connections are checked: every 30 s by default.
        connectionsCheckingInterval: 1000,
        keepAliveTimeout: 5000,
      },
      (request, response) => {
        this.handle(request, response, handler).catch((error: Error) => {
          if (this.stopping) {
            // Shutdown gave up on a batch it could not persist (its dead letter): not taken, retry later.
            this.log?.warn("http batch not taken while stopping", { error });
            this.reply(response, 503, { error: "stopping; the batch was not taken, send it again" });
            return;
          }
          // Only a bug lands here (input is data, not exceptions): say so, count it, answer 500.
          this.log?.error("http request failed", { error });
          this.reply(response, 500, { error: "internal error" });
        });
      },
    );
    server.maxConnections = this.limits.max_connections;
    server.on("drop", () => this.metrics?.httpRequestsTotal.inc({ source: this.name, code: "dropped" }));
    server.on("clientError", (error: NodeJS.ErrnoException, socket) => {
      // Timeouts (408), malformed requests (400) and oversized headers (431), answered by hand so
      // they are counted; a socket already gone needs no answer.
      const code =
        error.code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : error.code === "HPE_HEADER_OVERFLOW" ? 431 : 400;
      this.metrics?.httpRequestsTotal.inc({ source: this.name, code: String(code) });
      if (socket.writable)
        socket.end(
          `HTTP/1.1 ${code} ${code === 408 ? "Request Timeout" : "Bad Request"}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`,
        );
      socket.destroy();
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => resolve());
    });
    const address = server.address();
    this.port = typeof address === "object" && address ? address.port : port;
  }

  private async handle(
    request: IncomingMessage,
    response: ServerResponse,
    handler: BatchHandler,
  ): Promise<void> {
    if (this.stopping) {
      response.setHeader("connection", "close");
      return this.reply(response, 503, { error: "stopping" });
    }
    if (this.security?.allows(request) === false) {
      // Nothing of the body is read: a client without the token takes no memory.
      response.setHeader("connection", "close");
      this.reply(response, 401, { error: "missing or wrong bearer token" }, { "www-authenticate": "Bearer" });
      request.destroy();
      return;
    }
    if (request.url?.split("?")[0] !== "/v1/events")
      return this.reply(response, 404, { error: "not found; POST events to /v1/events" });
    if (request.method !== "POST") return this.reply(response, 405, { error: "use POST" });
    const declared = Number(request.headers["content-length"]);
    if (Number.isFinite(declared) && declared > this.limits.max_body_bytes) {
      response.setHeader("connection", "close");
      this.reply(response, 413, { error: `body larger than ${this.limits.max_body_bytes} bytes` });
      request.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of request) {
        size += (chunk as Buffer).length;
        if (size > this.limits.max_body_bytes) {
          response.setHeader("connection", "close");
          this.reply(response, 413, { error: `body larger than ${this.limits.max_body_bytes} bytes` });
          request.destroy();
          return;
        }
        chunks.push(chunk as Buffer);
      }
    } catch {
      // The client went away (or the body timed out) before the body was complete: nothing to
      // decode and no one to answer; no event was taken, so nothing is counted but the request.
      this.metrics?.httpRequestsTotal.inc({ source: this.name, code: "aborted" });
      return;
    }
    const body = Buffer.concat(chunks);
    const type = (request.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
    const records: SourceRecord[] = [];
    if (this.options.binary === true) {
      // A binary record (Avro, Protobuf) has no separator that cannot occur inside it: one per request.
      records.push({ value: body });
    } else if (
      type === "application/x-ndjson" ||
      type === "application/ndjson" ||
      type === "application/jsonl"
    ) {
      // Lines keep their own bytes (split on the newline byte, which UTF-8 never uses inside a character).
      let start = 0;
      while (start < body.length) {
        let end = body.indexOf(NEWLINE, start);
        if (end === -1) end = body.length;
        const line = body.subarray(start, end);
        if (line.toString("latin1").trim() !== "") records.push({ value: line });
        start = end + 1;
      }
    } else {
      const text = body.toString("utf8");
      const elements = text.trimStart().startsWith("[") ? splitJsonArray(text) : null;
      if (elements !== null) for (const element of elements) records.push({ value: element });
      else records.push({ value: body });
    }
    const work = handler(records);
    this.inFlight.add(work);
    let outcome: Awaited<typeof work>;
    try {
      outcome = await work;
    } finally {
      this.inFlight.delete(work);
    }
    this.reply(response, 202, { received: records.length, ...(outcome ?? {}) });
  }

  async commit(): Promise<void> {}

  async drain(): Promise<void> {
    // Closing the server refuses new requests and waits for those in flight.
    await this.stop();
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (server === null) return;
    this.stopping = true;
    this.server = null;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Idle keep-alive connections would hold close() open. Batches in flight finish and are
    // answered; what is left are clients still sending, which took no event yet: cut them rather
    // than wait for their timeout.
    server.closeIdleConnections();
    await Promise.allSettled([...this.inFlight]);
    server.closeAllConnections();
    await closed;
  }
}
