import { type MessagePort, workerData } from "node:worker_threads";
import { type AnyOutlierScorerKind, outlierScorers } from "./registry.js";
import type { ScoringMessage } from "./scoring-thread.js";

// Worker entry: holds the fitted scorers it is sent, by key, and scores the blocks of rows it is
// sent with them, in order, one answer per block, until terminated. It talks over the port it is
// given, which the main thread reads synchronously (see ScoringThread).
const port = (workerData as { port: MessagePort }).port;
const fitted = new Map<string, { kind: AnyOutlierScorerKind; model: unknown }[]>();

port.on("message", (message: ScoringMessage) => {
  if (message.type === "models") {
    fitted.set(
      message.key,
      message.scorers.map((s) => ({
        kind: outlierScorers[s.type as keyof typeof outlierScorers],
        model: s.model,
      })),
    );
    return;
  }
  if (message.type === "drop") {
    fitted.delete(message.key);
    return;
  }
  if (message.type === "ping") {
    port.postMessage({ id: message.id, scores: new Float64Array(0) });
    return;
  }
  const { id, key, rows, n, d } = message;
  try {
    const scorers = fitted.get(key);
    if (scorers === undefined) throw new Error(`no scorers under ${key}`);
    const s = scorers.length;
    const scores = new Float64Array(n * s);
    for (let k = 0; k < n; k++) {
      const row = rows.subarray(k * d, (k + 1) * d);
      for (let i = 0; i < s; i++) scores[k * s + i] = scorers[i].kind.score(scorers[i].model, row);
    }
    port.postMessage({ id, scores }, [scores.buffer]);
  } catch (error) {
    port.postMessage({ id, error: (error as Error).message });
  }
});
