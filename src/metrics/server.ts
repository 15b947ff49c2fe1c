import type { Server } from "node:http";
import { EndpointSecurity } from "../io/endpoint.js";
import { parseListen } from "../sources/http.js";
import type { Metrics } from "./metrics.js";

/**
 * Serves `/metrics` (Prometheus text format), `/healthz` (the process is up) and `/readyz` (200
 * once references are loaded and sources started and while no condition holds it back; 503
 * before, while stopping, and while any condition is set, e.g. a source down or state that cannot
 * be persisted; the body names each condition).
 *
 * With `auth`, `/metrics` needs the bearer token (401 without); `/healthz` and `/readyz` answer
 * without it, for probes, but `/readyz` names its conditions only to a request with the token.
 * With `tls`, everything is served over HTTPS.
 */
export class MetricsServer {
  private server: Server | null = null;
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
