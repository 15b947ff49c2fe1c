import { availableParallelism } from "node:os";
import { UserError } from "../errors.js";
import { startWorker, workerUrl } from "../worker.js";
import {
  analyzeColumn,
  type ColumnAnalysis,
  type ColumnInput,
  type DriftOptions,
  testFor,
} from "./evaluate.js";

const analyzeWorker = workerUrl(import.meta.url, "analyze-worker");

function values(input: ColumnInput): number {
  const size = (s: ColumnInput["reference"]): number =>
    s.kind === "numeric" ? s.sorted.length : s.counts.size;
  return size(input.reference) + size(input.current);
}

/**
 * Analyzes columns on every core: the per-column work (tests, distances, bins) is independent,
 * and on large inputs the asymptotic KS p-value alone can take a second per column. The results
 * are the same values `analyzeColumn` gives in this thread, in input order. Small inputs stay in
 * this thread. The inputs' typed arrays are transferred to the workers: do not use them after.
 */
export async function analyzeColumnsParallel(
  inputs: readonly ColumnInput[],
  options: DriftOptions,
): Promise<ColumnAnalysis[]> {
  const total = inputs.reduce((sum, input) => sum + values(input), 0);
  const threads = Math.min(availableParallelism(), inputs.length, 8);
  if (threads < 2 || total < 1_000_000)
    return inputs.map((input) => analyzeColumn(input, testFor(input.kind, options)));
  const results: ColumnAnalysis[] = new Array(inputs.length);
  // Largest columns first, so that no worker is left with a big one at the end.
  const queue = inputs.map((input, id) => ({ id, input })).sort((a, b) => values(b.input) - values(a.input));
  const workers = Array.from({ length: threads }, () => startWorker(analyzeWorker));
  let taken = 0;
  try {
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve, reject) => {
            const next = (): void => {
              // An index, not shift(): shifting a 100 000-column queue is quadratic.
              const job = queue[taken++];
              if (job === undefined) {
                resolve();
                return;
              }
              const transfer: ArrayBuffer[] = [];
              for (const side of [job.input.reference, job.input.current]) {
                if (side.kind === "numeric") transfer.push(side.sorted.buffer as ArrayBuffer);
              }
              worker.postMessage(
                { id: job.id, input: job.input, test: testFor(job.input.kind, options) },
                transfer,
              );
            };
            worker.on(
              "message",
              (message: {
                id: number;
                analysis?: ColumnAnalysis;
                error?: { name: string; message: string; stack?: string };
              }) => {
                if (message.error) {
                  const error =
                    message.error.name === "UserError"
                      ? new UserError(message.error.message)
                      : new Error(message.error.message);
                  if (message.error.name !== "UserError") error.stack = message.error.stack;
                  reject(error);
                  return;
                }
                results[message.id] = message.analysis as ColumnAnalysis;
                next();
              },
            );
            worker.once("error", reject);
            next();
          }),
      ),
    );
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
  return results;
}
