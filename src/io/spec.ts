import { Worker } from "node:worker_threads";
import { UserError } from "../errors.js";
import type { KindHint } from "./columns.js";
import type { ReadLimits } from "./limits.js";
import { type InputFormat, readTable } from "./read.js";
import type { Table } from "./table.js";

/** What to read from a file, as plain data so that it can be sent to a worker thread. */
export interface TableSpec {
  readonly path: string;
  readonly format?: InputFormat;
  /** Column kinds decided by the user; others are inferred. */
  readonly forced: readonly (readonly [string, KindHint])[];
  /** Kind for every column not in `forced` (default auto). */
  readonly otherwise?: KindHint;
  /** Only these columns (all when empty). */
  readonly only: readonly string[];
  readonly ignore: readonly string[];
  /** Size limits enforced while reading (default `defaultReadLimits`). */
  readonly limits?: ReadLimits;
  /** Columns whose raw cells are kept (`Table.raw`): every column, or these. */
  readonly keep?: "all" | readonly string[];
  /** Whether numeric columns keep their values in row order too (`ColumnData.rows`). */
  readonly rowOrder?: boolean;
}

/** Reads the table a spec describes. */
export function readTableFromSpec(spec: TableSpec, onProgress?: (bytes: number) => void): Promise<Table> {
  const forced = new Map(spec.forced);
  const only = new Set(spec.only);
  const ignore = new Set(spec.ignore);
  const keep = spec.keep === undefined || spec.keep === "all" ? undefined : new Set(spec.keep);
  return readTable(
    spec.path,
    {
      hint: (name) => forced.get(name) ?? spec.otherwise ?? "auto",
      include: (name) => !ignore.has(name) && (only.size === 0 || only.has(name)),
      onProgress,
      limits: spec.limits,
      ...(spec.keep === undefined ? {} : { keep: (name: string) => keep?.has(name) ?? true }),
      rowOrder: spec.rowOrder,
    },
    spec.format,
  );
}

// Under the TypeScript loader (tests, development) the worker is the .ts file next to this one.
const workerUrl = new URL(
  import.meta.url.endsWith(".ts") ? "./read-worker.ts" : "./read-worker.js",
  import.meta.url,
);

/** Starts the worker; under the TypeScript loader (which workers do not inherit) through tsx's API. */
function startWorker(): Worker {
  if (!workerUrl.pathname.endsWith(".ts")) return new Worker(workerUrl);
  const boot = `import("tsx/esm/api").then(({ register }) => { register(); return import(${JSON.stringify(workerUrl.href)}); });`;
  return new Worker(boot, { eval: true });
}

/**
 * Reads several tables at once, each in its own worker thread, so that two large files use both
 * cores; small inputs are read in this thread, where a worker's start-up would cost more than it
 * saves. Errors keep their kind: a user error in a worker is a `UserError` here, with the same
 * one-line message; a worker that stops without an answer is an error, never a wait.
 */
export async function readTables(
  specs: readonly TableSpec[],
  totalBytes: number,
  onProgress?: (bytes: number) => void,
): Promise<Table[]> {
  if (specs.length < 2 || totalBytes < 16 << 20)
    return Promise.all(specs.map((spec) => readTableFromSpec(spec, onProgress)));
  return Promise.all(
    specs.map(
      (spec) =>
        new Promise<Table>((resolve, reject) => {
          const worker = startWorker();
          worker.on(
            "message",
            (message: {
              type: string;
              bytes?: number;
              table?: Table;
              name?: string;
              message?: string;
              stack?: string;
            }) => {
              if (message.type === "progress") onProgress?.(message.bytes as number);
              else if (message.type === "table") {
                resolve(message.table as Table);
                worker.terminate();
              } else if (message.type === "error") {
                const error =
                  message.name === "UserError"
                    ? new UserError(message.message as string)
                    : new Error(message.message);
                if (message.name !== "UserError") error.stack = message.stack;
                reject(error);
                worker.terminate();
              }
            },
          );
          worker.once("error", reject);
          // After a result or an error this is a no-op: a promise settles once.
          worker.once("exit", (code) =>
            reject(
              new Error(
                `reading ${spec.path}: the reader thread stopped (exit code ${code}) without a result`,
              ),
            ),
          );
          worker.postMessage(spec);
        }),
    ),
  );
}
