import { readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { resolve } from "node:path";
import { Command } from "commander";
import { loadConfig } from "../config/load.js";
import { showValue, UserError } from "../errors.js";
import { readSecret } from "../io/secrets.js";
import { parseReferenceSource } from "../monitors/reference-source.js";
import { parseListen } from "../sources/http.js";

/** Where a running daemon of `config` answers: its metrics endpoint, with the token it needs. */
function daemonOf(configFile: string): { url: string; token: string | undefined } {
  const { config, resolvePath } = loadConfig(configFile);
  const metrics = config.metrics;
  const { host, port } = parseListen(metrics?.listen ?? "127.0.0.1:9464");
  // A daemon listening on every address is reached on this host's loopback.
  const reach =
    host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "[::1]" : host.includes(":") ? `[${host}]` : host;
  const scheme = metrics?.tls === undefined ? "http" : "https";
  return {
    url: `${scheme}://${reach}:${port}`,
    token: readSecret(metrics?.auth?.token_env, metrics?.auth?.token_file, resolvePath),
  };
}

/** POSTs a JSON body; resolves to the status and the text of the answer. */
function post(
  url: URL,
  body: unknown,
  token: string | undefined,
  ca: Buffer | undefined,
): Promise<{ status: number; text: string }> {
  const payload = Buffer.from(JSON.stringify(body));
  const request = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((done, fail) => {
    const req = request(
      url,
      {
        method: "POST",
        timeout: 120_000,
        headers: {
          "content-type": "application/json",
          "content-length": payload.length,
          ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        },
        ...(ca === undefined ? {} : { ca }),
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () =>
          done({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8").trim() }),
        );
        response.on("error", fail);
      },
    );
    req.on("timeout", () => req.destroy(new Error("no answer within 120 s")));
    req.on("error", fail);
    req.end(payload);
  });
}

/**
 * `driftwatch reference set`: replaces a running daemon's reference of one monitor, through its
 * metrics endpoint (`POST /admin/reference`, with the endpoint's token).
 */
export function referenceCommand(): Command {
  const set = new Command("set")
    .description("replace a running monitor's reference without a restart (drift and outlier monitors)")
    .requiredOption("--config <file>", "the running daemon's config: where it listens, its token")
    .requiredOption("--monitor <name>", "the monitor whose reference changes")
    .requiredOption(
      "--from <source>",
      "a data file (or file:PATH), a profile (profile:PATH), or window:N (the window of index N, when it closes)",
    )
    .option("--url <url>", "the daemon's metrics endpoint, instead of the config's metrics.listen")
    .option("--ca-file <file>", "PEM of the CA that signed an https endpoint's certificate")
    .action(
      async (flags: { config: string; monitor: string; from: string; url?: string; caFile?: string }) => {
        const daemon = daemonOf(flags.config);
        const from = parseReferenceSource(flags.from, (path) => resolve(path));
        let base: URL;
        try {
          base = new URL(flags.url ?? daemon.url);
        } catch {
          throw new UserError(`--url ${showValue(flags.url)} is not a URL`);
        }
        let ca: Buffer | undefined;
        if (flags.caFile !== undefined) {
          try {
            ca = readFileSync(flags.caFile);
          } catch (error) {
            throw new UserError(`--ca-file ${flags.caFile}: ${(error as Error).message}`);
          }
        }
        const target = new URL("/admin/reference", base);
        const answer = await post(
          target,
          {
            monitor: flags.monitor,
            from: from.type === "window" ? `window:${from.index}` : `${from.type}:${from.path}`,
          },
          daemon.token,
          ca,
        ).catch((error: Error) => {
          throw new UserError(`cannot reach the daemon at ${base.origin}: ${error.message}`);
        });
        if (answer.status !== 200)
          throw new UserError(`${flags.monitor}: ${answer.text || `the daemon answered ${answer.status}`}`);
        const outcome = JSON.parse(answer.text) as { reference: string; pending: boolean };
        process.stdout.write(
          outcome.pending
            ? `${flags.monitor}: the reference becomes ${outcome.reference} when that window closes\n`
            : `${flags.monitor}: the reference is now ${outcome.reference}\n`,
        );
      },
    );
  return new Command("reference").description("manage the references of a running daemon").addCommand(set);
}
