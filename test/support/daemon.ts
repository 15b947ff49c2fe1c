/**
 * The daemon as a child process for integration tests: `node bin/driftwatch.js run ...`, with its
 * verdict lines (stdout) and logs (stderr) collected, `/metrics` scraped and parsed, and bounded
 * waits whose failure message shows the last scrape and the tail of the log.
 *
 * Every daemon started here is remembered until it exits; `killAllDaemons()` (for `after`) and a
 * process `exit` hook SIGKILL any survivor, so a failed test never leaves one running.
 *
 * @example
 * const daemon = await startDaemon({ config: "drift/weather/driftwatch.yaml", stateDir });
 * await daemon.waitReady(60_000);
 * const scrape = await daemon.waitFor((s) => s.value("driftwatch_window_events") === 368, 30_000, "a window");
 * await daemon.stop(); // SIGTERM, asserts exit code 0
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Checkpoint, CheckpointStore } from "../../src/state/checkpoint.js";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const bin = join(repoRoot, "bin", "driftwatch.js");

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One sample of the Prometheus text format: a metric name, its labels and its value. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Parses a Prometheus text-format value: a float, `NaN`, `+Inf` or `-Inf`. */
function parseValue(text: string): number {
  if (text === "+Inf" || text === "Inf") return Number.POSITIVE_INFINITY;
  if (text === "-Inf") return Number.NEGATIVE_INFINITY;
  if (text === "NaN" || text === "Nan") return Number.NaN;
  const value = Number(text);
  if (text === "" || Number.isNaN(value)) throw new Error(`not a sample value: ${JSON.stringify(text)}`);
  return value;
}

/**
 * Parses the Prometheus text exposition format (0.0.4) into samples; comments and blank lines are
 * skipped. Label values are unescaped (`\\`, `\"`, `\n`). Values keep every digit prom-client
 * printed, which is the shortest text that round-trips the double, so comparisons can be exact.
 */
export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const [index, raw] of text.split("\n").entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const fail = (why: string) => new Error(`line ${index + 1} of the scrape: ${why}: ${line}`);
    const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0];
    if (name === undefined) throw fail("no metric name");
    let at = name.length;
    const labels: Record<string, string> = {};
    if (line[at] === "{") {
      at++;
      while (line[at] !== "}") {
        const label = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)="/.exec(line.slice(at));
        if (label === null) throw fail("bad label");
        at += label[0].length;
        let value = "";
        while (line[at] !== '"') {
          if (at >= line.length) throw fail("unterminated label value");
          if (line[at] === "\\") {
            const next = line[at + 1];
            value += next === "n" ? "\n" : next;
            at += 2;
          } else {
            value += line[at++];
          }
        }
        labels[label[1]] = value;
        at++;
        if (line[at] === ",") at++;
        while (line[at] === " ") at++;
      }
      at++;
    }
    const [value] = line.slice(at).trim().split(/\s+/);
    samples.push({ name, labels, value: parseValue(value ?? "") });
  }
  return samples;
}

/** One scrape of `/metrics`: its text and its samples, with lookups by name and label subset. */
export class Scrape {
  readonly samples: readonly Sample[];

  constructor(readonly text: string) {
    this.samples = parseMetrics(text);
  }

  /** Every sample of `name` whose labels include `labels`. */
  all(name: string, labels: Readonly<Record<string, string>> = {}): Sample[] {
    return this.samples.filter(
      (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
    );
  }

  /** The value of the one sample of `name` matching `labels`; undefined when none; throws when several. */
  value(name: string, labels: Readonly<Record<string, string>> = {}): number | undefined {
    const found = this.all(name, labels);
    if (found.length > 1) {
      throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}; name more labels`);
    }
    return found[0]?.value;
  }

  /** The daemon's own samples (`driftwatch_*`) as text, for failure messages. */
  get own(): string {
    return this.text
      .split("\n")
      .filter((line) => line.startsWith("driftwatch_"))
      .join("\n");
  }
}

/** A free TCP port on 127.0.0.1 (closed again before it is returned, so it may be taken meanwhile). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no tcp address");
  return address.port;
}

/** Fails unless nothing listens on 127.0.0.1:`port` (so a test does not scrape someone else's daemon). */
export async function assertPortFree(port: number, why: string): Promise<void> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(new Error(`127.0.0.1:${port} is taken (${error.code}); ${why}`)),
    );
    server.listen(port, "127.0.0.1", () => resolve());
  });
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** The checkpoint in a state dir, or null when none was written yet. */
export function readCheckpoint(stateDir: string): Checkpoint | null {
  try {
    return new CheckpointStore(stateDir).load();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

/** Polls `probe` every `intervalMs` until it returns a value other than undefined; fails after `timeoutMs` with `describe()`. */
export async function poll<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
  describe: () => string,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() >= deadline) throw new Error(`waited ${timeoutMs} ms: ${describe()}`);
    await sleep(intervalMs);
  }
}

/** How to run one daemon. */
export interface DaemonOptions {
  /** The config file, passed to `--config` as given (relative paths are relative to the repo root). */
  readonly config: string;
  /** `--state-dir`. */
  readonly stateDir: string;
  /**
   * `--metrics-listen` as `127.0.0.1:<port>`; a free port when omitted; `null` leaves the flag out,
   * so the config's `metrics.listen` applies and `metricsAddress` must say where that is.
   */
  readonly metricsPort?: number | null;
  /** Where `/metrics` is when `metricsPort` is null, e.g. `127.0.0.1:9464`. */
  readonly metricsAddress?: string;
  /** `--log-level` (default info). */
  readonly logLevel?: "debug" | "info" | "warn" | "error";
  /** A name for messages (default the pid). */
  readonly label?: string;
  /** The bearer token of `metrics.auth`, sent with every request to the metrics server. */
  readonly token?: string;
}

/** How a daemon ended. */
export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

const running = new Set<ChildProcess>();

function killSurvivors(): void {
  for (const child of running) child.kill("SIGKILL");
}
process.once("exit", killSurvivors);

/** SIGKILLs every daemon started by this module that has not exited yet, and waits for them. */
export async function killAllDaemons(): Promise<void> {
  const waits = [...running].map(
    (child) => new Promise<void>((resolve) => child.once("exit", () => resolve())),
  );
  killSurvivors();
  await Promise.all(waits);
}

/** A running `driftwatch run`. */
export class Daemon {
  /** Verdict lines printed on stdout so far. */
  readonly verdicts: string[] = [];
  /** Everything the daemon logged on stderr so far. */
  stderr = "";
  /** Resolves when the process exits. */
  readonly exited: Promise<Exit>;
  private exit: Exit | null = null;
  private stdoutRest = "";
  private lastScrape: Scrape | null = null;

  constructor(
    private readonly child: ChildProcess,
    /** `host:port` of the metrics server. */
    readonly metricsAddress: string,
    readonly label: string,
    private readonly token?: string,
  ) {
    running.add(child);
    child.stdout?.setEncoding("utf8");
    child.stderr?.setEncoding("utf8");
    child.stdout?.on("data", (chunk: string) => {
      const lines = (this.stdoutRest + chunk).split("\n");
      this.stdoutRest = lines.pop() ?? "";
      this.verdicts.push(...lines.filter((line) => line !== ""));
    });
    child.stderr?.on("data", (chunk: string) => {
      this.stderr += chunk;
    });
    this.exited = new Promise<Exit>((resolve) => {
      child.once("exit", (code, signal) => {
        running.delete(child);
        this.exit = { code, signal };
        resolve(this.exit);
      });
    });
  }

  /** The process id. */
  get pid(): number {
    return this.child.pid as number;
  }

  /** The last lines of the log, for failure messages. */
  logTail(lines = 30): string {
    return this.stderr.trimEnd().split("\n").slice(-lines).join("\n");
  }

  private failure(what: string, timeoutMs: number): Error {
    const exit = this.exit ? `; the daemon exited (code ${this.exit.code}, signal ${this.exit.signal})` : "";
    return new Error(
      `${this.label}: waited ${timeoutMs} ms for ${what}${exit}\n` +
        `--- last scrape of http://${this.metricsAddress}/metrics (driftwatch_*) ---\n${this.lastScrape?.own ?? "(none)"}\n` +
        `--- verdict lines ---\n${this.verdicts.join("\n") || "(none)"}\n` +
        `--- last lines of the log ---\n${this.logTail()}`,
    );
  }

  private async get(path: string): Promise<{ status: number; text: string }> {
    const response = await fetch(`http://${this.metricsAddress}${path}`, {
      signal: AbortSignal.timeout(2000),
      ...(this.token === undefined ? {} : { headers: { authorization: `Bearer ${this.token}` } }),
    });
    return { status: response.status, text: await response.text() };
  }

  /** `/readyz` once: its status (0 when the daemon does not answer) and body. */
  async readyz(): Promise<{ status: number; text: string }> {
    return this.get("/readyz").catch(() => ({ status: 0, text: "" }));
  }

  /** Waits until `/readyz` answers 200; fails after `timeoutMs`, or at once when the daemon exits. */
  async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.exit) break;
      const status = await this.get("/readyz").then(
        (r) => r.status,
        () => 0,
      );
      if (status === 200) return;
      await sleep(100);
    }
    throw this.failure("/readyz to answer 200", timeoutMs);
  }

  /** Scrapes `/metrics` once. */
  async scrape(): Promise<Scrape> {
    const { status, text } = await this.get("/metrics");
    assert.equal(status, 200, `${this.label}: GET /metrics answered ${status}: ${text}`);
    this.lastScrape = new Scrape(text);
    return this.lastScrape;
  }

  /**
   * Scrapes every `intervalMs` until `predicate` holds and returns that scrape. Fails after
   * `timeoutMs` (or at once when the daemon exits) with `what`, the last scrape and the log tail.
   */
  async waitFor(
    predicate: (scrape: Scrape) => boolean,
    timeoutMs: number,
    what: string,
    intervalMs = 50,
  ): Promise<Scrape> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && this.exit === null) {
      const scrape = await this.scrape().catch(() => null);
      if (scrape !== null && predicate(scrape)) return scrape;
      await sleep(intervalMs);
    }
    throw this.failure(what, timeoutMs);
  }

  /** Waits until the log has a line matching `pattern`; fails after `timeoutMs` or when the daemon exits. */
  async waitForLog(pattern: RegExp, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && this.exit === null) {
      if (pattern.test(this.stderr)) return;
      await sleep(50);
    }
    if (pattern.test(this.stderr)) return;
    throw this.failure(`a log line matching ${pattern}`, timeoutMs);
  }

  /** SIGTERM, then waits for the exit (bounded) and asserts exit code 0; returns how long it took (ms). */
  async stop(timeoutMs = 20_000): Promise<number> {
    const started = Date.now();
    this.child.kill("SIGTERM");
    let timer: NodeJS.Timeout | undefined;
    const exit = await Promise.race([
      this.exited,
      new Promise<null>((resolve) => {
        timer = setTimeout(() => resolve(null), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (exit === null) {
      const error = this.failure("the exit after SIGTERM", timeoutMs);
      await this.kill();
      throw error;
    }
    assert.deepEqual(exit, { code: 0, signal: null }, `${this.label}: exit after SIGTERM\n${this.logTail()}`);
    return Date.now() - started;
  }

  /** SIGKILL (kill -9), then waits for the exit. */
  async kill(): Promise<void> {
    if (this.exit === null) this.child.kill("SIGKILL");
    await this.exited;
  }
}

/**
 * Starts `node bin/driftwatch.js run --config <config> --state-dir <dir> [--metrics-listen 127.0.0.1:<port>]`
 * from the repo root. It returns at once; call `waitReady` next.
 */
export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const port = options.metricsPort === undefined ? await freePort() : options.metricsPort;
  const args = [bin, "run", "--config", options.config, "--state-dir", options.stateDir];
  if (port !== null) args.push("--metrics-listen", `127.0.0.1:${port}`);
  args.push("--log-level", options.logLevel ?? "info");
  const address = port === null ? options.metricsAddress : `127.0.0.1:${port}`;
  if (address === undefined) throw new Error("metricsAddress is required when metricsPort is null");
  const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
  return new Daemon(child, address, options.label ?? `daemon ${child.pid}`, options.token);
}
