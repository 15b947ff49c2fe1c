import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { BatchHandler, Source, SourceRecord } from "./source.js";

/** Splits `host:port` (IPv6 in brackets) for `listen`. */
export function parseListen(listen: string): { host: string; port: number } {
  const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(listen);
  if (!match) throw new RangeError(`expected host:port, got ${JSON.stringify(listen)}`);
  return { host: match[1], port: Number(match[2]) };
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
  });
  response.end(text);
}

/**
 * Accepts events over HTTP: `POST /v1/events` with one JSON object, a JSON array of objects, or
 * NDJSON (`application/x-ndjson`, one object per line). Every event goes through the same
 * decoding and validation as Kafka's; the response says how many were accepted and rejected.
 * The request completes once the batch is processed, which is the back-pressure. HTTP cannot be
 * replayed, so these events have no position to resume from.
 */
export class HttpSource implements Source {
  readonly finished = new Promise<void>(() => {});
  private server: Server | null = null;
  private readonly maxBody: number;
  /** The port actually bound (useful with port 0). */
  port = 0;

  constructor(
    readonly name: string,
    private readonly options: { readonly listen: string; readonly max_body_bytes?: number },
  ) {
    this.maxBody = options.max_body_bytes ?? 10 * 1024 * 1024;
  }

  async start(handler: BatchHandler): Promise<void> {
    const { host, port } = parseListen(this.options.listen);
    this.server = createServer((request, response) => {
      this.handle(request, response, handler).catch((error) =>
        reply(response, 500, { error: String(error) }),
      );
    });
    await new Promise<void>((resolve, reject) => {
      this.server?.once("error", reject);
      this.server?.listen(port, host, () => resolve());
    });
    const address = this.server.address();
    this.port = typeof address === "object" && address ? address.port : port;
  }

  private async handle(
    request: IncomingMessage,
    response: ServerResponse,
    handler: BatchHandler,
  ): Promise<void> {
    if (request.url?.split("?")[0] !== "/v1/events")
      return reply(response, 404, { error: "not found; POST events to /v1/events" });
    if (request.method !== "POST") return reply(response, 405, { error: "use POST" });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of request) {
      size += (chunk as Buffer).length;
      if (size > this.maxBody) {
        reply(response, 413, { error: `body larger than ${this.maxBody} bytes` });
        request.destroy();
        return;
      }
      chunks.push(chunk as Buffer);
    }
    const body = Buffer.concat(chunks).toString("utf8");
    const type = (request.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
    const records: SourceRecord[] = [];
    const ndjson =
      type === "application/x-ndjson" || type === "application/ndjson" || type === "application/jsonl";
    if (ndjson) {
      for (const line of body.split("\n")) if (line.trim() !== "") records.push({ value: line });
    } else {
      const trimmed = body.trimStart();
      let array: unknown[] | null = null;
      if (trimmed.startsWith("[")) {
        try {
          array = JSON.parse(trimmed) as unknown[];
        } catch {
          array = null;
        }
      }
      if (array !== null)
        for (const item of array) records.push({ value: JSON.stringify(item), parsed: item });
      else records.push({ value: body });
    }
    const outcome = await handler(records);
    reply(response, 202, { received: records.length, ...(outcome ?? {}) });
  }

  async commit(): Promise<void> {}

  async drain(): Promise<void> {
    // Closing the server refuses new requests and waits for those in flight.
    await this.stop();
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (server === null) return;
    this.server = null;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
