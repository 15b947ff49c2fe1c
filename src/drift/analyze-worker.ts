import { parentPort } from "node:worker_threads";
import type { DriftTestName } from "../stats/registry.js";
import { analyzeColumn, type ColumnInput } from "./evaluate.js";

// Worker entry: analyzes the columns it is sent, one message per column, until terminated.
parentPort?.on("message", (job: { id: number; input: ColumnInput; test: DriftTestName }) => {
  try {
    parentPort?.postMessage({ id: job.id, analysis: analyzeColumn(job.input, job.test) });
  } catch (error) {
    parentPort?.postMessage({
      id: job.id,
      error: {
        name: (error as Error).name,
        message: (error as Error).message,
        stack: (error as Error).stack,
      },
    });
  }
});
