/**
 * A real Prometheus and a real Alertmanager (the Debian packages) for end-to-end tests, each on a
 * free loopback port with a temporary config and data dir, plus a local webhook receiver that
 * records every request with its arrival time.
 *
 * Every process started here is remembered until it exits; `stop()` sends SIGTERM (SIGKILL after
 * a bounded wait) and a process `exit` hook SIGKILLs any survivor.
 *
 * @example
 * const hooks = await startWebhookReceiver();
 * const am = await startAlertmanager({ webhookUrl: `${hooks.url}/alertmanager` });
 * const prom = await startPrometheus({ scrapeTarget: "127.0.0.1:9464", ruleFiles: [rules], alertmanager: am.address });
 * await prom.query("up"); // [{ metric: { job: "driftwatch", ... }, value: [t, "1"] }]
 * await prom.stop(); await am.stop(); await hooks.close();
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, poll } from "./daemon.js";

export const prometheusBin = process.env.PROMETHEUS_BIN ?? "/usr/bin/prometheus";
export const alertmanagerBin = process.env.ALERTMANAGER_BIN ?? "/usr/bin/prometheus-alertmanager";

/** Fails (never skips) when a binary the end-to-end tests need is not installed. */
export function requireBinary(path: string, debianPackage: string): void {
  if (!existsSync(path))
    throw new Error(`${path} not found: this test needs Debian's ${debianPackage}; run \`npm run setup\``);
}

const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** A child process with its output kept, its readiness awaited and a bounded stop. */
export class Service {
  output = "";
  private readonly exited: Promise<void>;

  constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    /** `127.0.0.1:<port>`. */
    readonly address: string,
    /** The temp dir holding its config and data, removed by `stop()`. */
    readonly dir: string,
  ) {
    running.add(child);
    const keep = (chunk: Buffer) => {
      this.output += chunk.toString();
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    this.exited = new Promise((resolve) => {
      child.once("exit", () => {
        running.delete(child);
        resolve();
      });
    });
  }

  get url(): string {
    return `http://${this.address}`;
  }

  /** The last lines of its log, for failure messages. */
  logTail(lines = 20): string {
    return this.output.trimEnd().split("\n").slice(-lines).join("\n");
  }

  /** Waits until `GET /-/ready` answers 200; fails at once if the process exits. */
  async waitReady(timeoutMs: number): Promise<void> {
    await poll(
      async () => {
        if (this.child.exitCode !== null || this.child.signalCode !== null)
          throw new Error(
            `${this.name} exited (${this.child.exitCode ?? this.child.signalCode}):\n${this.logTail()}`,
          );
        const response = await fetch(`${this.url}/-/ready`, { signal: AbortSignal.timeout(1000) }).catch(
          () => null,
        );
        return response?.ok ? true : undefined;
      },
      timeoutMs,
      () => `${this.name} on ${this.address} to be ready; its log:\n${this.logTail()}`,
      100,
    );
  }

  /** GET `path` and parse the JSON answer. */
  async getJson<T>(path: string): Promise<T> {
    const response = await fetch(`${this.url}${path}`, { signal: AbortSignal.timeout(5000) });
    const text = await response.text();
    if (!response.ok) throw new Error(`${this.name} GET ${path}: HTTP ${response.status}: ${text}`);
    return JSON.parse(text) as T;
  }

  /** SIGTERM, SIGKILL after `timeoutMs`; then removes the temp dir. Idempotent. */
  async stop(timeoutMs = 10_000): Promise<void> {
    if (running.has(this.child)) {
      this.child.kill("SIGTERM");
      const timer = setTimeout(() => this.child.kill("SIGKILL"), timeoutMs);
      await this.exited;
      clearTimeout(timer);
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}

function start(name: string, bin: string, args: string[], address: string, dir: string): Service {
  const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
  return new Service(name, child, address, dir);
}

/** Options for {@link startAlertmanager}. */
export interface AlertmanagerOptions {
  /** Where every notification goes (a webhook receiver with `send_resolved`). */
  readonly webhookUrl: string;
  /** `global.resolve_timeout` (default `5m`). */
  readonly resolveTimeout?: string;
}

/**
 * Starts Alertmanager with one route to `webhookUrl` (`group_by: [alertname, monitor]`,
 * `group_wait` and `group_interval` 1s, `repeat_interval` 1h), no clustering, and waits until ready.
 */
export async function startAlertmanager(options: AlertmanagerOptions): Promise<Service> {
  requireBinary(alertmanagerBin, "prometheus-alertmanager");
  const dir = await mkdtemp(join(tmpdir(), "driftwatch-e2e-am-"));
  const config = [
    "global:",
    `  resolve_timeout: ${options.resolveTimeout ?? "5m"}`,
    "route:",
    "  receiver: test",
    "  group_by: [alertname, monitor]",
    "  group_wait: 1s",
    "  group_interval: 1s",
    "  repeat_interval: 1h",
    "receivers:",
    "  - name: test",
    "    webhook_configs:",
    `      - url: ${options.webhookUrl}`,
    "        send_resolved: true",
    "",
  ].join("\n");
  await writeFile(join(dir, "alertmanager.yml"), config);
  const address = `127.0.0.1:${await freePort()}`;
  const service = start(
    "alertmanager",
    alertmanagerBin,
    [
      `--config.file=${join(dir, "alertmanager.yml")}`,
      `--storage.path=${join(dir, "data")}`,
      `--web.listen-address=${address}`,
      "--cluster.listen-address=",
      "--log.level=info",
    ],
    address,
    dir,
  );
  await service.waitReady(20_000);
  return service;
}

/** Options for {@link startPrometheus}. */
export interface PrometheusOptions {
  /** `host:port` of the daemon's /metrics, scraped every second by the job `driftwatch`. */
  readonly scrapeTarget: string;
  /** Absolute paths of rule files, loaded as they are. */
  readonly ruleFiles: readonly string[];
  /** `host:port` of the Alertmanager. */
  readonly alertmanager: string;
}

/** A running Prometheus, with its HTTP API. */
export class Prometheus extends Service {
  /** An instant query; throws unless the API answers `status: success`. */
  async query(expr: string): Promise<QueryResult> {
    const body = await this.getJson<{ status: string; data: QueryResult; error?: string }>(
      `/api/v1/query?query=${encodeURIComponent(expr)}`,
    );
    if (body.status !== "success") throw new Error(`query ${expr}: ${body.error ?? body.status}`);
    return body.data;
  }
}

/** The `data` of an instant query. */
export interface QueryResult {
  readonly resultType: "vector" | "matrix" | "scalar" | "string";
  readonly result: unknown;
}

/**
 * Starts Prometheus (scrape and evaluation every 1s, the given rule files, alerts to the
 * Alertmanager) on a free port with a temp TSDB, and waits until ready.
 */
export async function startPrometheus(options: PrometheusOptions): Promise<Prometheus> {
  requireBinary(prometheusBin, "prometheus");
  const dir = await mkdtemp(join(tmpdir(), "driftwatch-e2e-prom-"));
  const config = [
    "global:",
    "  scrape_interval: 1s",
    "  evaluation_interval: 1s",
    "rule_files:",
    ...options.ruleFiles.map((file) => `  - ${JSON.stringify(file)}`),
    "alerting:",
    "  alertmanagers:",
    "    - static_configs:",
    `        - targets: ["${options.alertmanager}"]`,
    "scrape_configs:",
    "  - job_name: driftwatch",
    "    static_configs:",
    `      - targets: ["${options.scrapeTarget}"]`,
    "",
  ].join("\n");
  await writeFile(join(dir, "prometheus.yml"), config);
  const address = `127.0.0.1:${await freePort()}`;
  const child = spawn(
    prometheusBin,
    [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=${address}`,
      "--log.level=info",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const service = new Prometheus("prometheus", child, address, dir);
  await service.waitReady(30_000);
  return service;
}

/** One request the receiver got. */
export interface Delivery {
  readonly path: string;
  /** `Date.now()` when its body had arrived. */
  readonly at: number;
  readonly body: WebhookBody;
}

/** The part of a webhook body (Alertmanager's, or the daemon's own) the tests read. */
export interface WebhookBody {
  readonly status: "firing" | "resolved";
  readonly alerts: readonly {
    readonly status: "firing" | "resolved";
    readonly labels: Readonly<Record<string, string>>;
    readonly annotations: Readonly<Record<string, string>>;
    readonly startsAt?: string;
    readonly endsAt?: string;
  }[];
}

/** A running receiver: every delivery so far, in arrival order. */
export interface WebhookReceiver {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly deliveries: Delivery[];
  close(): Promise<void>;
}

/** Starts an HTTP server on 127.0.0.1 (port 0) that answers 200 to everything and records JSON bodies. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const deliveries: Delivery[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      let body: WebhookBody;
      try {
        body = JSON.parse(text) as WebhookBody;
      } catch {
        body = { status: "firing", alerts: [] };
      }
      deliveries.push({ path: request.url ?? "", at: Date.now(), body });
      response.writeHead(200, { "content-type": "text/plain" });
      response.end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    deliveries,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
