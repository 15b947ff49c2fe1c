import { createServer, type Server } from "node:http";
import { parseListen } from "../sources/http.js";
import type { Metrics } from "./metrics.js";

/**
 * Serves `/metrics` (Prometheus text format), `/healthz` (the process is up) and `/readyz` (200
 * once references are loaded and sources started, 503 before and while stopping).
 */
export class MetricsServer {
  private server: Server | null = null;
  ready = false;
  /** The address and port actually bound (port 0 picks a free one). */
  host = "";
  port = 0;

  constructor(
    private readonly metrics: Metrics,
    private readonly listen: string,
  ) {}

  async start(): Promise<void> {
    const { host, port } = parseListen(this.listen);
    this.host = host.includes(":") ? `[${host}]` : host;
    this.server = createServer((request, response) => {
      const path = request.url?.split("?")[0];
      if (path === "/metrics") {
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
        response.writeHead(this.ready ? 200 : 503, { "content-type": "text/plain" });
        response.end(this.ready ? "ready\n" : "not ready\n");
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
