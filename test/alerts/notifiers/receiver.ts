/**
 * A local HTTP receiver for notifier tests: listens on 127.0.0.1 (port 0), records every request
 * (method, path, headers, parsed JSON body) and answers with the statuses it is told to, in turn.
 *
 * @example
 * const receiver = await startReceiver({ statuses: [500, 200] });
 * await notifier.notify(alerts);
 * receiver.requests[0].body; // what the notifier sent
 * await receiver.close();
 */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** One recorded request. */
export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  readonly body: unknown;
}

/** A running receiver. */
export interface Receiver {
  /** Base URL, `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly requests: ReceivedRequest[];
  /** Resolves with the first `count` requests once they have arrived, or rejects after `timeoutMs`. */
  waitFor(count: number, timeoutMs: number, what?: string): Promise<ReceivedRequest[]>;
  close(): Promise<void>;
}

/** Options: statuses answered in turn (the last repeats; default 200) and a delay before answering. */
export interface ReceiverOptions {
  readonly statuses?: readonly number[];
  readonly delayMs?: number;
}

/** Starts a receiver on a free loopback port. */
export async function startReceiver(options: ReceiverOptions = {}): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const statuses = options.statuses ?? [200];
  const waiters: (() => void)[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      let body: unknown;
      try {
        body = text === "" ? undefined : JSON.parse(text);
      } catch {
        body = text;
      }
      const status = statuses[Math.min(requests.length, statuses.length - 1)];
      requests.push({
        method: request.method ?? "",
        path: request.url ?? "",
        headers: request.headers,
        text,
        body,
      });
      for (const wake of waiters.splice(0)) wake();
      const answer = () => {
        if (response.destroyed) return;
        response.writeHead(status, { "content-type": "text/plain" });
        response.end(status >= 400 ? `status ${status} from the test receiver` : "ok");
      };
      if (options.delayMs) setTimeout(answer, options.delayMs);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    async waitFor(count, timeoutMs, what = `${count} request(s)`) {
      const deadline = Date.now() + timeoutMs;
      while (requests.length < count) {
        const left = deadline - Date.now();
        if (left <= 0)
          throw new Error(
            `waited ${timeoutMs} ms for ${what}; received ${requests.length}: ${JSON.stringify(requests.map((r) => r.body))}`,
          );
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(left, 200));
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      return requests.slice(0, count);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Captures log lines: a `write` for `new Logger(level, {}, write)` and the lines it got. */
export function captureLines(): { lines: string[]; write: (line: string) => void } {
  const lines: string[] = [];
  return { lines, write: (line) => lines.push(line) };
}
