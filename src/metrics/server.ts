import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { EndpointSecurity } from "../io/endpoint.js";
import { parseListen } from "../sources/http.js";
import type { Metrics } from "./metrics.js";

/** An admin request's answer: its status and a one-line text (JSON for a 200). */
export interface AdminAnswer {
  readonly status: number;
  readonly body: string;
}

/** The admin endpoints a daemon serves beside the metrics (`POST /admin/...`), by name. */
export type AdminHandlers = Readonly<Record<string, (body: unknown) => Promise<AdminAnswer>>>;

/** The largest admin request body read. */
const MAX_ADMIN_BODY = 64 * 1024;

/** Whether a request comes from this host. */
function fromLoopback(request: IncomingMessage): boolean {
  const address = request.socket.remoteAddress ?? "";
  return address === "::1" || address.startsWith("127.") || address.startsWith("::ffff:127.");
}

/**
 * Serves `/metrics` (Prometheus text format), `/healthz` (the process is up) and `/readyz` (200
 * once references are loaded and sources started and while no condition holds it back; 503
 * before, while stopping, and while any condition is set, e.g. a source down or state that cannot
 * be persisted; the body names each condition).
 *
 * With `auth`, `/metrics` needs the bearer token (401 without); `/healthz` and `/readyz` answer
 * without it, for probes, but `/readyz` names its conditions only to a request with the token.
 * With `tls`, everything is served over HTTPS. `POST /admin/NAME` reaches the daemon's admin
 * handlers ({@link admin}).
 */
export class MetricsServer {
  private server: Server | null = null;
  /**
   * `POST /admin/NAME` handlers (a JSON body each; `reference` for `driftwatch reference set`).
   * They need the bearer token when `auth` is set, and without `auth` answer only requests from
   * this host, since they change what the daemon does.
   */
  admin: AdminHandlers = {};
  /** Set once the pipeline has started; cleared when it stops. */
  ready = false;
  /** Named conditions that make the daemon not ready, each with a one-line reason. */
  private readonly conditions = new Map<string, string>();
  /** The address and port actually bound (port 0 picks a free one). */
  host = "";
  port = 0;

  constructor(
    private readonly metrics: Metrics,
    private readonly listen: string,
    private readonly security: EndpointSecurity = new EndpointSecurity({}, (path) => path),
  ) {}

  /** Marks the daemon not ready for `reason` until {@link clearUnready} is called with `key`. */
  setUnready(key: string, reason: string): void {
    this.conditions.set(key, reason);
  }

  /** Clears a condition set with {@link setUnready}; a no-op when it is not set. */
  clearUnready(key: string): void {
    this.conditions.delete(key);
  }

  /** Whether `/readyz` answers 200 now. */
  get isReady(): boolean {
    return this.ready && this.conditions.size === 0;
  }

  /** The conditions holding readiness back, as `key: reason` lines. */
  get unreadyReasons(): string[] {
    return [...this.conditions].map(([key, reason]) => `${key}: ${reason}`);
  }

  async start(): Promise<void> {
    const { host, port } = parseListen(this.listen);
    this.host = host.includes(":") ? `[${host}]` : host;
    this.server = this.security.createServer({}, (request, response) => {
      const path = request.url?.split("?")[0];
      const allowed = this.security.allows(request);
      if (path === "/metrics" && !allowed) {
        response.writeHead(401, { "content-type": "text/plain", "www-authenticate": "Bearer" });
        response.end("missing or wrong bearer token\n");
      } else if (path === "/metrics") {
        this.metrics.registry.metrics().then(
          (text) => {
            response.writeHead(200, { "content-type": this.metrics.registry.contentType });
            response.end(text);
          },
          (error) => {
            response.writeHead(500, { "content-type": "text/plain" });
            response.end(String(error));
          },
        );
      } else if (path === "/healthz") {
        response.writeHead(200, { "content-type": "text/plain" });
        response.end("ok\n");
      } else if (path === "/readyz") {
        const ready = this.isReady;
        response.writeHead(ready ? 200 : 503, { "content-type": "text/plain" });
        const reasons = this.ready ? this.unreadyReasons : ["starting or stopping"];
        // The conditions may name brokers and files: only for a request that has the token.
        response.end(ready ? "ready\n" : allowed ? `not ready\n${reasons.join("\n")}\n` : "not ready\n");
      } else if (path?.startsWith("/admin/")) {
        this.serveAdmin(path.slice("/admin/".length), request, response, allowed);
      } else {
        response.writeHead(404, { "content-type": "text/plain" });
        response.end("not found: try /metrics, /healthz or /readyz\n");
      }
    });
    await new Promise<void>((resolve, reject) => {
      this.server?.once("error", reject);
      this.server?.listen(port, host, () => resolve());
    });
    const address = this.server.address();
    this.port = typeof address === "object" && address ? address.port : port;
  }

  private serveAdmin(
    name: string,
    request: IncomingMessage,
    response: ServerResponse,
    allowed: boolean,
  ): void {
    const answer = ({ status, body }: AdminAnswer) => {
      response.writeHead(status, { "content-type": status === 200 ? "application/json" : "text/plain" });
      response.end(`${body}\n`);
    };
    const handler = Object.hasOwn(this.admin, name) ? this.admin[name] : undefined;
    if (handler === undefined) {
      answer({ status: 404, body: `no admin endpoint /admin/${name}` });
      return;
    }
    if (!allowed || (!this.security.requiresToken && !fromLoopback(request))) {
      response.writeHead(401, { "content-type": "text/plain", "www-authenticate": "Bearer" });
      response.end(
        this.security.requiresToken
          ? "missing or wrong bearer token\n"
          : "admin requests come from this host only unless metrics has auth\n",
      );
      return;
    }
    if (request.method !== "POST") {
      answer({ status: 405, body: "use POST" });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_ADMIN_BODY) chunks.push(chunk);
    });
    request.on("end", () => {
      if (size > MAX_ADMIN_BODY) return answer({ status: 413, body: `body over ${MAX_ADMIN_BODY} bytes` });
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        return answer({ status: 400, body: "the body is not JSON" });
      }
      handler(body).then(answer, (error: Error) =>
        answer({ status: 500, body: error.message.split("\n")[0] }),
      );
    });
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    this.ready = false;
    if (server) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Scrapers keep connections alive; do not wait for them to go away.
      server.closeAllConnections();
      await closed;
    }
  }
}
