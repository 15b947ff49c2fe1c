import { parentPort } from "node:worker_threads";
import { readTableFromSpec, type TableSpec } from "./spec.js";

// Worker entry: reads one table and sends it back, typed arrays transferred rather than copied.
parentPort?.once("message", async (spec: TableSpec) => {
  try {
    const table = await readTableFromSpec(spec, (bytes) =>
      parentPort?.postMessage({ type: "progress", bytes }),
    );
    const transfer: ArrayBuffer[] = [];
    for (const column of table.columns) {
      if (column.kind === "numeric") transfer.push(column.sample.sorted.buffer as ArrayBuffer);
      if (column.kind === "numeric" && column.rows) transfer.push(column.rows.buffer as ArrayBuffer);
    }
    parentPort?.postMessage({ type: "table", table }, transfer);
  } catch (error) {
    parentPort?.postMessage({
      type: "error",
      name: (error as Error).name,
      message: (error as Error).message,
      stack: (error as Error).stack,
    });
  }
});
