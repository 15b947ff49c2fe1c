/**
 * A real single-node Apache Kafka broker for integration tests, started and stopped through
 * `scripts/kafka-up.sh` / `scripts/kafka-down.sh` (Maven Central jars, no Docker).
 *
 * Each call gets its own instance dir under the git-ignored `.kafka/` and, unless told otherwise,
 * its own free port pair, so parallel test files do not share a broker or its data.
 *
 * @example
 * const kafka = await startKafka();
 * await createTopic(kafka.brokers, "orders", 3);
 * // ... produce and consume against kafka.brokers ...
 * await kafka.stop();
 */
import { execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Kafka, logLevel } from "kafkajs";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const upScript = join(repoRoot, "scripts", "kafka-up.sh");
const downScript = join(repoRoot, "scripts", "kafka-down.sh");

/** Options for {@link startKafka}; every field is optional. */
export interface KafkaOptions {
  /** Client port on 127.0.0.1; a free one when omitted. */
  readonly port?: number;
  /** KRaft controller port on 127.0.0.1; a free one when omitted. */
  readonly controllerPort?: number;
  /** Bound on the up script, which includes the first-run Maven download (default 300 000). */
  readonly startTimeoutMs?: number;
  /** Bound on the kafkajs readiness loop (cluster, then group coordinator) after the script (default 30 000). */
  readonly readyTimeoutMs?: number;
  /** Seconds between SIGTERM and SIGKILL when stopping (default 30). */
  readonly stopTimeoutSecs?: number;
  /** Keep the instance dir (config, data, broker.log) after `stop()`, for debugging (default false). */
  readonly keepDir?: boolean;
  /**
   * Also a SASL_SSL listener (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER with unsecured
   * tokens) on a free port, advertised as `localhost`: the broker's key and certificate (one PEM
   * file), the CA of client certificates, and `user:password` pairs separated by spaces.
   */
  readonly saslSsl?: { readonly keystore: string; readonly truststore: string; readonly users: string };
}

/** A running broker: where to connect, and how to stop it. */
export interface KafkaBroker {
  /** Bootstrap servers for kafkajs, e.g. `["127.0.0.1:40123"]`. */
  readonly brokers: string[];
  /** With `saslSsl`: the secured listener's bootstrap servers, e.g. `["localhost:40125"]`. */
  readonly secureBrokers: string[];
  /** The instance dir holding server.properties, data/ and broker.log. */
  readonly dir: string;
  /** Stops the broker (SIGTERM, then SIGKILL after the bounded wait) and removes its dir; idempotent. */
  stop(): Promise<void>;
  /** Stops the broker and starts it again on the same ports with the same data (topics, offsets, groups). */
  restart(): Promise<void>;
}

interface ScriptResult {
  readonly code: number | null;
  readonly output: string;
  readonly timedOut: boolean;
}

/** Runs a bash script to completion, killing it if it outlives `timeoutMs`. */
function runScript(script: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<ScriptResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", [script], { env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    let timedOut = false;
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    // SIGTERM lets kafka-up.sh's trap stop a half-started broker.
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGTERM");
    }, timeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output, timedOut });
    });
  });
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      if (address === null || typeof address === "string") reject(new Error("no tcp address"));
      else resolve(address.port);
    });
  });
}

/** Two distinct free ports on 127.0.0.1, both held open until both are known so they differ. */
async function freePortPair(): Promise<[number, number]> {
  const servers = [createServer(), createServer()];
  try {
    const [a, b] = await Promise.all(servers.map(listen));
    return [a, b];
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves once the broker serves metadata and a group coordinator to kafkajs; rejects after `timeoutMs`. */
async function waitUntilReady(brokers: string[], timeoutMs: number): Promise<void> {
  // Retries are ours, with a deadline; kafkajs's own would multiply the wait and log each attempt.
  const kafka = new Kafka({
    clientId: "driftwatch-test-ready",
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    retry: { retries: 0 },
  });
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    const admin = kafka.admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      if (cluster.brokers.length > 0 && cluster.controller !== null) {
        // Finding a group coordinator creates __consumer_offsets. Doing it here, quietly, spares
        // each test's first group join the retriable COORDINATOR_NOT_AVAILABLE errors kafkajs logs.
        await admin.describeGroups(["driftwatch-test-ready"]);
        return;
      }
      lastError = new Error("cluster has no broker or controller yet");
    } catch (err) {
      lastError = err;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    await sleep(250);
  }
  throw new Error(`kafka on ${brokers.join(",")} not ready after ${timeoutMs} ms: ${String(lastError)}`);
}

/** Sends SIGTERM to the broker of `dir`, synchronously: the last resort when the test process exits. */
function signalBrokerSync(dir: string): void {
  try {
    const pid = Number(readFileSync(join(dir, "broker.pid"), "utf8").trim());
    // As kafka-down.sh does: only a pid whose command line is still this broker's.
    const args = execFileSync("ps", ["-p", String(pid), "-o", "args="], { encoding: "utf8" });
    if (pid > 0 && args.includes(`kafka.Kafka ${dir}/server.properties`)) process.kill(pid, "SIGTERM");
  } catch {
    // No pid file or no such process: nothing left to stop.
  }
}

/**
 * Starts a broker with `scripts/kafka-up.sh` in a fresh dir under `.kafka/`, waits until kafkajs
 * can describe the cluster, and returns its bootstrap servers and a `stop()`.
 */
export async function startKafka(opts: KafkaOptions = {}): Promise<KafkaBroker> {
  const startTimeoutMs = opts.startTimeoutMs ?? 300_000;
  const readyTimeoutMs = opts.readyTimeoutMs ?? 30_000;
  const stopTimeoutSecs = opts.stopTimeoutSecs ?? 30;

  await mkdir(join(repoRoot, ".kafka"), { recursive: true });
  const dir = await mkdtemp(join(repoRoot, ".kafka", "test-"));
  const securePort = opts.saslSsl === undefined ? null : await freePortPair().then(([a]) => a);
  const env = {
    ...process.env,
    KAFKA_DIR: dir,
    KAFKA_STOP_TIMEOUT: String(stopTimeoutSecs),
    ...(opts.saslSsl === undefined
      ? {}
      : {
          KAFKA_SASL_SSL_PORT: String(securePort),
          KAFKA_SSL_KEYSTORE: opts.saslSsl.keystore,
          KAFKA_SSL_TRUSTSTORE: opts.saslSsl.truststore,
          KAFKA_SASL_USERS: opts.saslSsl.users,
        }),
  };

  // If mocha exits (or crashes) without calling stop(), do not leave the JVM behind.
  const onExit = () => signalBrokerSync(dir);
  process.once("exit", onExit);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      const down = await runScript(downScript, env, (stopTimeoutSecs + 15) * 1000);
      if (down.code !== 0 || down.timedOut) {
        throw new Error(`kafka-down.sh failed (exit ${down.code}):\n${down.output}`);
      }
      process.removeListener("exit", onExit);
      if (!opts.keepDir) await rm(dir, { recursive: true, force: true });
    })();
    return stopping;
  };

  try {
    const { port, controllerPort } = await runUpScript(opts, env, startTimeoutMs);
    const brokers = [`127.0.0.1:${port}`];
    const restart = async (): Promise<void> => {
      const down = await runScript(downScript, env, (stopTimeoutSecs + 15) * 1000);
      if (down.code !== 0 || down.timedOut)
        throw new Error(`kafka-down.sh failed (exit ${down.code}):\n${down.output}`);
      await runUpScript({ ...opts, port, controllerPort }, { ...env, KAFKA_KEEP_DATA: "1" }, startTimeoutMs);
      await waitUntilReady(brokers, readyTimeoutMs);
    };
    await waitUntilReady(brokers, readyTimeoutMs).catch(async (err: unknown) => {
      // stop() removes the dir, so keep the broker's own account of what went wrong.
      const log = await readFile(join(dir, "broker.log"), "utf8").catch(() => "");
      const tail = log.split("\n").slice(-40).join("\n");
      throw new Error(
        `${err instanceof Error ? err.message : String(err)}\nlast lines of broker.log:\n${tail}`,
      );
    });
    return {
      brokers,
      secureBrokers: securePort === null ? [] : [`localhost:${securePort}`],
      dir,
      stop,
      restart,
    };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}

/** kafka-up.sh's exit code when a port is taken. */
const PORT_TAKEN = 3;
const PORT_ATTEMPTS = 3;

/**
 * Runs kafka-up.sh and returns the ports it listens on. Ports the caller did not give are
 * picked here; another process may take them before the broker binds, so when both were picked
 * here that case is retried with a fresh pair.
 */
async function runUpScript(
  opts: KafkaOptions,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<{ port: number; controllerPort: number }> {
  const pinned = opts.port !== undefined || opts.controllerPort !== undefined;
  for (let attempt = 1; ; attempt++) {
    const [freeA, freeB] =
      opts.port !== undefined && opts.controllerPort !== undefined
        ? [opts.port, opts.controllerPort]
        : await freePortPair();
    const port = opts.port ?? (freeA === opts.controllerPort ? freeB : freeA);
    const controllerPort = opts.controllerPort ?? (freeB === port ? freeA : freeB);
    const up = await runScript(
      upScript,
      { ...env, KAFKA_PORT: String(port), KAFKA_CONTROLLER_PORT: String(controllerPort) },
      timeoutMs,
    );
    if (up.code === 0) return { port, controllerPort };
    if (up.code === PORT_TAKEN && !pinned && attempt < PORT_ATTEMPTS) continue;
    const why = up.timedOut ? `stopped after ${timeoutMs} ms` : `exit ${up.code}`;
    throw new Error(`kafka-up.sh failed (${why}):\n${up.output}`);
  }
}

/**
 * Creates `topic` with `partitions` partitions (replication factor 1) and waits for their leaders.
 * An existing topic is accepted only if it has the same partition count.
 */
export async function createTopic(brokers: string[], topic: string, partitions: number): Promise<void> {
  const kafka = new Kafka({ clientId: "driftwatch-test-admin", brokers, logLevel: logLevel.WARN });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }],
      waitForLeaders: true,
    });
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    const actual = metadata.topics[0]?.partitions.length;
    if (actual !== partitions) {
      throw new Error(`topic "${topic}" has ${actual} partitions, wanted ${partitions}`);
    }
  } finally {
    await admin.disconnect();
  }
}
